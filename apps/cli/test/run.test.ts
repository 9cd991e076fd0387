import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, FORTUNE, qo, qoWith, RAMBLER, REPO } from './helpers.js';

const STATS = /^\[(\d+) tokens? · \d+\.\d tok\/s · first token \d+ ms · prompt (\d+) tokens at \d+ tok\/s · (end of reply|token limit|stopped|stop string)\]\n$/;

describe('qo run', () => {
  it('same seed, same text; another seed, another text (embedded model, no --model)', async () => {
    const [a, b, c] = await Promise.all([
      qo('run', 'Once upon a time', '--max-tokens', '20', '--seed', '1'),
      qo('run', 'Once upon a time', '--max-tokens', '20', '--seed', '1'),
      qo('run', 'Once upon a time', '--max-tokens', '20', '--seed', '2'),
    ]);
    for (const r of [a, b, c]) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(STATS);
    }
    expect(a.stdout.trim().length).toBeGreaterThan(0);
    expect(b.stdout).toBe(a.stdout);
    expect(c.stdout).not.toBe(a.stdout);
    const n = Number(STATS.exec(a.stderr)![1]);
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThanOrEqual(20);
  });

  it('--greedy --chat --no-think reproduces transformers\' reply (qo-fortune e2e-chat fixture), as --json', async () => {
    const ref = JSON.parse(await readFile(join(FORTUNE, 'reference.json'), 'utf8'));
    const args = ['run', '--chat', '--no-think', '--greedy', '--json', '-n', String(ref.greedy.new_ids.length), ref.messages[0].content];
    const [a, b] = await Promise.all([qo(...args), qo(...args)]);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stderr).toBe('');
    const j = JSON.parse(a.stdout);
    expect(j.promptIds).toEqual(ref.prompt_ids);
    expect(j.ids).toEqual(ref.greedy.new_ids);
    expect(j.text).toBe(ref.greedy.text);
    expect(j.content).toBe(ref.greedy.text);
    expect(j.reasoning).toBe('');
    expect(j.stopReason).toBe('length');
    const { seed: _s1, timings: _t1, ...rest } = j;
    const { seed: _s2, timings: _t2, ...restB } = JSON.parse(b.stdout);
    expect(restB).toEqual(rest); // greedy: the seed does not matter
  });

  it('--json: one object with text, ids, stop reason, seed, sampling and timings', async () => {
    const r = await qo('run', 'Once upon a time', '--json', '--seed', '5', '-n', '8', '--temperature', '0.7', '--top-k', '20');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(1);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j)).toEqual(['model', 'dir', 'dtype', 'prompt', 'text', 'ids', 'promptIds', 'stopReason', 'seed', 'sampling', 'timings']);
    expect(j).toMatchObject({ model: 'qo-fortune', dtype: 'bf16', prompt: 'Once upon a time', seed: 5 });
    expect(typeof j.text).toBe('string');
    expect(j.ids.length).toBeGreaterThan(0);
    expect(j.ids.length).toBeLessThanOrEqual(8);
    expect(['eos', 'length']).toContain(j.stopReason);
    if (j.stopReason === 'length') expect(j.ids).toHaveLength(8);
    // generation_config.json's top_p and repetition_penalty stay; the flags win where given
    expect(j.sampling).toEqual({ doSample: true, temperature: 0.7, topK: 20, topP: 0.95, minP: 0, repetitionPenalty: 1.1, presencePenalty: 0, frequencyPenalty: 0, penaltyWindow: null });
    expect(j.timings.generatedTokens).toBe(j.ids.length);
    expect(j.timings.promptTokens).toBe(j.promptIds.length);
    expect(j.timings.timeToFirstTokenMs).toBeGreaterThan(0);
    // same run as text: the streamed stdout is the JSON's text
    const t = await qo('run', 'Once upon a time', '--seed', '5', '-n', '8', '--temperature', '0.7', '--top-k', '20');
    expect(t.stdout).toBe(j.text.endsWith('\n') || j.text === '' ? j.text : j.text + '\n');
  });

  it('--chat: the answer on stdout, reasoning on stderr, as the model split them', async () => {
    // seed 1 at temperature 1 makes the embedded model think first (found by trying seeds)
    const args = ['run', '--chat', 'Say something about science.', '--seed', '1', '--temperature', '1'];
    const [text, json] = await Promise.all([qo(...args), qo(...args, '--json')]);
    const j = JSON.parse(json.stdout);
    expect(j.reasoning.length).toBeGreaterThan(0);
    expect(j.text).toMatch(/^<think>\n/);
    expect(text.stdout).toBe(j.content + '\n');
    expect(text.stderr.startsWith(j.reasoning + '\n')).toBe(true);
    expect(text.stderr.slice(j.reasoning.length + 1)).toMatch(STATS);
  });

  it('--model takes a Hub id from the Hugging Face cache (HF_HUB_CACHE, HF_HUB_OFFLINE)', async () => {
    const cache = await mkdtemp(join(tmpdir(), 'qo-hf-cache-'));
    try {
      const commit = 'b'.repeat(40);
      const repo = join(cache, 'models--qo--fortune');
      await mkdir(join(repo, 'refs'), { recursive: true });
      await writeFile(join(repo, 'refs/main'), commit);
      await cp(join(FORTUNE, 'model'), join(repo, 'snapshots', commit), { recursive: true });
      const args = ['run', 'Once upon a time', '--greedy', '-n', '12', '--json'];
      const [hub, embedded] = await Promise.all([qoWith({ HF_HUB_CACHE: cache }, ...args, '--model', 'qo/fortune'), qo(...args)]);
      expect(hub.code, hub.stderr).toBe(0);
      const j = JSON.parse(hub.stdout);
      expect(j.model).toBe('qo/fortune');
      expect(j.dir).toBe(join(repo, 'snapshots', commit));
      expect(j.ids).toEqual(JSON.parse(embedded.stdout).ids);
    } finally {
      await rm(cache, { recursive: true, force: true });
    }
  });

  it('--dtype q8_0 and f32 load and generate', async () => {
    const [q, f] = await Promise.all([qo('run', 'Hello', '--dtype', 'q8_0', '-n', '4', '--json'), qo('run', 'Hello', '--dtype', 'f32', '-n', '4', '--greedy', '--json')]);
    expect(JSON.parse(q.stdout).dtype).toBe('q8_0');
    expect(JSON.parse(f.stdout).dtype).toBe('f32');
    expect(JSON.parse(f.stdout).ids.length).toBeGreaterThan(0);
  });

  it('Ctrl-C (SIGINT) stops generating: what was generated, the stats, exit 130', async () => {
    const child = spawn(process.execPath, [CLI, 'run', '--model', RAMBLER, '--chat', 'hello', '--context', '20000', '-n', '19000'], { cwd: REPO, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        if (stdout === '') setTimeout(() => child.kill('SIGINT'), 300);
        stdout += d.toString();
      });
      child.on('exit', (c) => resolve(c));
    });
    expect(code).toBe(130);
    const m = /\[(\d+) tokens · .* · stopped\]\n$/.exec(stderr);
    expect(m, stderr).not.toBeNull();
    expect(Number(m![1])).toBeLessThan(19000);
    expect(stdout.length).toBeGreaterThan(0);
  });
});

describe('qo chat with stdin from a pipe', () => {
  it('answers each line in order, keeps /reset, ends at EOF with exit 0', async () => {
    const child = spawn(process.execPath, [CLI, 'chat', '--seed', '1', '--no-think'], { cwd: REPO, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.end('Tell me a fortune\n/reset\nTell me a fortune\n');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, stderr).toBe(0);
    const [, first, second] = stdout.split('> Tell me a fortune\n');
    expect(first).toMatch(/\n> \/reset\n\(conversation cleared\)\n$/);
    expect(first.replace(/> \/reset\n\(conversation cleared\)\n$/, '')).toBe(second); // reset: same seed, same reply
    expect(second.trim().length).toBeGreaterThan(0);
    expect(stderr.match(/^\[\d+ tokens? · .* · end of reply\]$/gm)).toHaveLength(2);
  });
});
