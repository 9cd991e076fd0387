import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { int, num, parse } from '../src/args.js';
import { CliError } from '../src/errors.js';
import { ProgressBar } from '../src/progress.js';
import { ReplyPrinter } from '../src/reply.js';
import { bytes, statsLine } from '../src/style.js';

/** A WriteStream stand-in that records what is written; `tty` makes it a terminal. */
function sink(tty: boolean): NodeJS.WriteStream & { text: string } {
  const w = new Writable({
    write(chunk, _enc, cb) {
      (w as unknown as { text: string }).text += String(chunk);
      cb();
    },
  }) as unknown as NodeJS.WriteStream & { text: string };
  w.text = '';
  (w as { isTTY: boolean }).isTTY = tty;
  return w;
}

describe('ProgressBar', () => {
  it('draws on a terminal and erases itself when done', () => {
    const s = sink(true);
    const bar = new ProgressBar(s, 'loading m');
    bar.update(0, 4_000_000);
    bar.update(4_000_000, 4_000_000);
    bar.done();
    expect(s.text).toBe(
      '\r\x1b[2Kloading m ░░░░░░░░░░░░░░░░░░░░░░░░   0% 0 B / 4.0 MB' + '\r\x1b[2Kloading m ████████████████████████ 100% 4.0 MB / 4.0 MB' + '\r\x1b[2K',
    );
  });

  it('prints nothing where stderr is not a terminal', () => {
    const s = sink(false);
    const bar = new ProgressBar(s, 'loading m');
    bar.update(1, 2);
    bar.done();
    expect(s.text).toBe('');
  });
});

describe('ReplyPrinter', () => {
  it('one stream that is not a terminal: reasoning between <think> lines, one final newline', () => {
    const s = sink(false);
    const p = new ReplyPrinter(s);
    p.write('reasoning', 'Let me ');
    p.write('reasoning', 'think.');
    p.write('content', 'Hello');
    p.write('content', ' there.');
    p.end();
    expect(s.text).toBe('<think>\nLet me think.\n</think>\nHello there.\n');
  });

  it('a terminal: reasoning dimmed, then the answer on its own line', () => {
    const s = sink(true);
    const p = new ReplyPrinter(s);
    p.write('reasoning', 'hmm');
    p.write('content', 'Yes.\n');
    p.end();
    expect(s.text).toBe('\x1b[2mhmm\x1b[22m\nYes.\n');
  });

  it('reasoning on its own stream; nothing written, no newline', () => {
    const out = sink(false);
    const err = sink(false);
    const p = new ReplyPrinter(out, err);
    p.end();
    expect(out.text + err.text).toBe('');
    p.write('reasoning', 'why');
    p.write('content', 'because');
    p.note(' [stopped]');
    p.end();
    expect(err.text).toBe('why\n');
    expect(out.text).toBe('because [stopped]\n');
  });
});

describe('flags', () => {
  it('numbers are read strictly', () => {
    expect(int('n', '12', 1)).toBe(12);
    expect(int('n', undefined, 1)).toBeUndefined();
    for (const bad of ['1e3', '12abc', '', ' ', '0x10', '9007199254740993']) expect(() => int('n', bad, 0), bad).toThrow(CliError);
    expect(num('t', '0.5')).toBe(0.5);
    expect(num('t', '.5')).toBe(0.5);
    expect(num('t', '1e-2')).toBe(0.01);
    for (const bad of ['nan', 'Infinity', '0.5x', '', '1,5']) expect(() => num('t', bad), bad).toThrow(CliError);
  });

  it('unknown options suggest the nearest one, only when it is near', () => {
    const options = { temperature: { type: 'string' }, 'top-k': { type: 'string' } } as const;
    expect(() => parse('run', ['--topk', '3'], options, false)).toThrow(expect.objectContaining({ hint: 'did you mean --top-k? qo run --help lists the options' }));
    expect(() => parse('run', ['--banana'], options, false)).toThrow(expect.objectContaining({ message: "unknown option '--banana' for qo run", hint: 'qo run --help lists the options' }));
  });
});

describe('style', () => {
  it('stats line and sizes', () => {
    const t = { promptTokens: 5, generatedTokens: 1, timeToFirstTokenMs: 12.4, prefillMs: 10, decodeMs: 0, prefillTokensPerSecond: 500, decodeTokensPerSecond: 0 };
    expect(statsLine(t, 'eos')).toBe('[1 token · 0.0 tok/s · first token 12 ms · prompt 5 tokens at 500 tok/s · end of reply]');
    expect(bytes(999)).toBe('999 B');
    expect(bytes(7_607_808)).toBe('7.6 MB');
    expect(bytes(1_234_000_000)).toBe('1.2 GB');
    expect(bytes(578_000)).toBe('578 kB');
  });
});
