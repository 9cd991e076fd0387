import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLI, qo, RAMBLER, REPO } from './helpers.js';
import { Tmux } from './tmux.js';

const STATS = /\[(\d+) tokens? · \d+\.\d tok\/s · first token \d+ ms · prompt \d+ tokens at \d+ tok\/s · (end of reply|token limit|stopped)\]/;
const READY = /\/reset forgets the conversation · \/exit or Ctrl-D quits · Ctrl-C stops a reply\n>$/;

let term: Tmux | undefined;
beforeAll(() => Tmux.check());
afterEach(() => term?.kill());

/** `qo chat ARGS` in a fresh terminal; the shell line after it reports how it exited. */
function startChat(...args: string[]): Tmux {
  term = new Tmux(`node ${CLI} chat ${args.join(' ')}; echo "[qo exited $?]"; sleep 60`, REPO);
  return term;
}

/** The text between the echoed message `> msg` (the n-th one) and the stats line after it. */
function replyAfter(screen: string, msg: string, n = 1): string {
  let at = -1;
  for (let i = 0; i < n; i++) at = screen.indexOf(`> ${msg}\n`, at + 1);
  const start = at + `> ${msg}\n`.length;
  return screen.slice(start, screen.indexOf('\n[', start));
}

const squash = (s: string): string => s.replace(/\s+/g, ' ').trim();

describe('qo chat in a terminal (tmux)', () => {
  it('replies to a message with stats after it; /reset starts over; /exit quits', async () => {
    const t = startChat('--seed', '1');
    await t.waitFor(READY);
    expect(t.screen()).toMatch(/^qo chat · qo-fortune · qwen3 · bf16 · cpu · context 1024 tokens\n/);
    t.type('Tell me a fortune');
    t.send('Enter');
    await t.waitFor(new RegExp(`> Tell me a fortune\\n[^]*${STATS.source}\\n>$`));
    const first = replyAfter(t.screen(), 'Tell me a fortune');
    expect(squash(first).length).toBeGreaterThan(0);
    // the same first turn through `qo run --chat`: same seed, same reply
    const ran = JSON.parse((await qo('run', '--chat', 'Tell me a fortune', '--seed', '1', '--json')).stdout);
    expect(squash(first)).toBe(squash(ran.content));

    t.type('/reset');
    t.send('Enter');
    await t.waitFor(/> \/reset\n\(conversation cleared\)\n>$/);
    t.type('Tell me a fortune');
    t.send('Enter');
    await t.waitFor(new RegExp(`> Tell me a fortune\\n[^]*> Tell me a fortune\\n[^]*${STATS.source}\\n>$`));
    expect(replyAfter(t.screen(), 'Tell me a fortune', 2)).toBe(first); // no history left, seeds start over

    t.type('/exit');
    t.send('Enter');
    await t.waitFor(/> \/exit\n\[qo exited 0\]/);
  });

  it('Ctrl-C stops a long reply and not the session; Up recalls the message; Ctrl-D quits', async () => {
    const t = startChat('--model', RAMBLER); // a random model: its replies run to the context limit
    await t.waitFor(READY);
    t.type('hello');
    t.send('Enter');
    await t.waitFor(/> hello\n.+/); // the reply has started
    t.send('C-c');
    const m = await t.waitFor(new RegExp(` \\[stopped\\]\\n${STATS.source}\\n>$`));
    expect(m[2]).toBe('stopped');
    expect(Number(m[1])).toBeLessThan(4000);

    t.send('Up');
    await t.waitFor(/stopped\]\n> hello$/);
    t.send('C-u');
    t.type('/help');
    t.send('Enter');
    await t.waitFor(/> \/help\n\/reset forgets the conversation · \/exit or Ctrl-D quits · Ctrl-C stops a reply\n>$/);

    t.send('C-c'); // at the prompt: a hint, not an exit
    await t.waitFor(/> \^C\n\(Ctrl-D or \/exit quits\)\n>$/);
    t.send('C-d');
    await t.waitFor(/\[qo exited 0\]/);
  });
});
