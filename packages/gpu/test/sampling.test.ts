import { Sampler, resolveSampling, type SamplingOptions } from '@qo/generate';
import { afterAll, describe, expect, it } from 'vitest';
import { Recorder, argmax, sample, type GpuContext } from '../src/index.js';
import { randn, rng, testContext } from './helpers.js';

const contexts: [string, GpuContext | undefined][] = [
  ['default', await testContext()],
  ['no subgroups', await testContext({ subgroups: false })],
];

afterAll(() => {
  for (const [, c] of contexts) c?.destroy();
});

/** Whether u lies within `margin` of a boundary of the cumulative distribution (index order), where f32 and float64 sums may pick differently. */
function nearBoundary(probs: Float64Array, u: number, margin: number): boolean {
  let cum = 0;
  for (const p of probs) {
    if (p === 0) continue;
    if (Math.abs(u - cum) < margin) return true;
    cum += p;
  }
  return Math.abs(u - cum) < margin;
}
describe.each(contexts)('sampling on the GPU (%s)', (_name, ctx) => {
  const run = it.skipIf(ctx === undefined);

  run('argmax of each row is exact, the lowest index on ties (torch.argmax)', async () => {
    const c = ctx as GpuContext;
    const n = 100_003;
    const rows = 4;
    const x = randn(rng(5), rows * n, 10);
    x[n + 77] = 50;
    x[n + 99_000] = 50; // tie: 77 wins
    x.fill(-3, 2 * n, 3 * n); // all equal: 0
    x[3 * n + n - 1] = 1e9; // the last index
    const want = [0, 1, 2, 3].map((r) => {
      let best = 0;
      for (let i = 1; i < n; i++) if (x[r * n + i] > x[r * n + best]) best = i;
      return best;
    });
    expect(want.slice(1)).toEqual([77, 0, n - 1]);
    const gx = await c.upload(x, [rows, n], 'logits');
    const out = await c.tensor('u32', [rows + 1], 'ids');
    const rec = new Recorder(c).begin();
    argmax(rec, { out, x: gx, rows, n, outOffset: 1 });
    argmax(rec, { out, x: gx, rows: 1, n: 7, xOffset: n }); // a short row from an offset
    rec.submit();
    const got = Array.from(await c.read(out));
    let short = 0;
    for (let i = 1; i < 7; i++) if (x[n + i] > x[n + short]) short = i;
    expect(got).toEqual([short, ...want]);
  });

  // @qo/generate's Sampler is the CPU op: the GPU must pick what sampler.sample(logits, u) picks
  const cases: [string, number, SamplingOptions, number, number[]][] = [
    ['Qwen3 defaults (T=0.6, top-k 20, top-p 0.95)', 1001, { temperature: 0.6, topK: 20, topP: 0.95 }, 3, []],
    ['top-p 0.5 alone (bisection path)', 1001, { temperature: 1, topP: 0.5 }, 2, []],
    ['top-k 5 alone', 333, { temperature: 1.3, topK: 5 }, 1, []],
    ['plain softmax (top-k ≥ n)', 33, { temperature: 1, topK: 50 }, 1, []],
    ['top-k 4 with ties at the boundary', 100, { temperature: 1, topK: 4 }, 0, []],
    ['top-k 300 (more candidates than the fast path holds)', 700, { temperature: 0.8, topK: 300, topP: 0.9 }, 1, []],
    ['min-p 0.05 with top-k 50', 500, { temperature: 0.7, topK: 50, minP: 0.05 }, 2, []],
    ['min-p 0.2 alone', 500, { temperature: 1, minP: 0.2 }, 2, []],
    ['penalties with top-k 40, top-p 0.9', 400, { temperature: 0.9, topK: 40, topP: 0.9, repetitionPenalty: 1.3, presencePenalty: 0.5, frequencyPenalty: 0.25 }, 2, [3, 3, 7, 99, 250, 3]],
    ['greedy after penalties', 400, { doSample: false, repetitionPenalty: 1.5, frequencyPenalty: 1 }, 2, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]],
  ];
  run.each(cases)('%s over n=%i picks what @qo/generate picks', async (_n, n, opts, scale, context) => {
    const c = ctx as GpuContext;
    const logits = randn(rng(n), n, scale || 1);
    if (scale === 0) {
      // integer logits: 9 at 0, 17 and 40 (the top 3), 8 at 5 and 93 (tied 4th): both 8s are kept
      logits.fill(0);
      for (const i of [0, 17, 40]) logits[i] = 9;
      for (const i of [5, 93]) logits[i] = 8;
    }
    if (context.length > 0) {
      // make the penalized tokens matter: put them at the top
      for (const i of context) logits[i] = Math.abs(logits[i]) + 4;
    }
    const params = resolveSampling(opts);
    const sampler = new Sampler(n, params);
    sampler.reset(context);
    const probs = sampler.probabilities(logits);
    const us = Array.from({ length: 200 }, (_, j) => (j + 0.5) / 200);
    const gx = await c.upload(logits, [n], 'logits');
    const counts = await c.upload(new Uint32Array(sampler.counts), [n], 'counts');
    const out = await c.tensor('u32', [us.length], 'ids');
    const rec = new Recorder(c).begin();
    for (const [j, u] of us.entries()) {
      sample(rec, {
        out,
        x: gx,
        n,
        outOffset: j,
        temperature: params.doSample ? params.temperature : 0,
        topK: params.topK,
        topP: params.topP,
        minP: params.minP,
        penalties: context.length > 0 ? { counts, repetition: params.repetitionPenalty, presence: params.presencePenalty, frequency: params.frequencyPenalty } : undefined,
        u,
      });
    }
    rec.submit();
    const got = Array.from(await c.read(out));
    const freq = new Map<number, number>();
    let compared = 0;
    for (const [j, u] of us.entries()) {
      expect(probs[got[j]], `token ${got[j]} for u=${u} is outside the allowed set`).toBeGreaterThan(0);
      freq.set(got[j], (freq.get(got[j]) ?? 0) + 1);
      if (!nearBoundary(probs, u, 1e-5)) {
        expect(got[j], `u=${u}`).toBe(sampler.sample(logits, u));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(us.length * 0.9);
    // the empirical distribution over the u grid is the allowed set's distribution
    for (const [i, p] of probs.entries()) if (p > 0) expect(Math.abs((freq.get(i) ?? 0) / us.length - p)).toBeLessThanOrEqual(1 / us.length + 1e-9);
    if (scale === 0) expect([...probs.keys()].filter((i) => probs[i] > 0)).toEqual([0, 5, 17, 40, 93]);
  });
});
