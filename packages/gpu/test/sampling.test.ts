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

interface Warp {
  temperature: number;
  topK: number;
  topP: number;
}

/**
 * The CPU computation of the kept set and its probabilities, as HF's warpers define them
 * (temperature, then top-k keeping ties, then top-p keeping every token whose strictly larger
 * tokens hold < top_p), in double; and the inverse-CDF pick in index order for a uniform u.
 */
function keptProbs(logits: Float32Array, w: Warp): Map<number, number> {
  const z = logits.map((x) => Math.fround(x / w.temperature));
  let kept = Array.from(z.keys());
  if (w.topK > 0 && w.topK < z.length) {
    const kth = [...z].sort((a, b) => b - a)[w.topK - 1];
    kept = kept.filter((i) => z[i] >= kth);
  }
  const zmax = Math.max(...kept.map((i) => z[i]));
  const e = new Map(kept.map((i) => [i, Math.exp(z[i] - zmax)]));
  const massK = [...e.values()].reduce((a, b) => a + b, 0);
  if (w.topP < 1) {
    kept = kept.filter((i) => {
      let above = 0;
      for (const j of kept) if (z[j] > z[i]) above += e.get(j) as number;
      return above < w.topP * massK;
    });
  }
  const total = kept.reduce((a, i) => a + (e.get(i) as number), 0);
  return new Map(kept.map((i) => [i, (e.get(i) as number) / total]));
}

/** The pick for u, or undefined when u lies within `margin` of a CDF boundary (rounding may go either way). */
function pick(probs: Map<number, number>, u: number, margin: number): number | undefined {
  let cum = 0;
  for (const [i, p] of [...probs].sort((a, b) => a[0] - b[0])) {
    if (Math.abs(u - cum) < margin || Math.abs(u - (cum + p)) < margin) return undefined;
    cum += p;
    if (u < cum) return i;
  }
  return undefined;
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

  const cases: [string, number, Warp, number][] = [
    ['Qwen3 defaults (T=0.6, top-k 20, top-p 0.95)', 1001, { temperature: 0.6, topK: 20, topP: 0.95 }, 3],
    ['top-p 0.5 alone', 1001, { temperature: 1, topK: 0, topP: 0.5 }, 2],
    ['top-k 5 alone', 333, { temperature: 1.3, topK: 5, topP: 1 }, 1],
    ['plain softmax (top-k ≥ n)', 33, { temperature: 1, topK: 50, topP: 1 }, 1],
    ['top-k 3 with ties at the boundary', 100, { temperature: 1, topK: 3, topP: 1 }, 0],
  ];
  run.each(cases)('%s over n=%i: every pick is the CPU inverse-CDF pick from the allowed set', async (_n, n, warp, scale) => {
    const c = ctx as GpuContext;
    const logits = randn(rng(n), n, scale || 1);
    if (scale === 0) {
      // integer logits: 9 at 0, 17 and 40 (the top 3), 8 at 5 and 93 (tied 4th)… ties at the k boundary
      logits.fill(0);
      logits[17] = 9;
      logits[40] = 9;
      logits[0] = 9;
      logits[5] = 8;
      logits[93] = 8;
      warp.topK = 4; // the 4th value (8) is tied: both 8s are kept
    }
    const probs = keptProbs(logits, warp);
    const us = Array.from({ length: 200 }, (_, j) => (j + 0.5) / 200);
    const gx = await c.upload(logits, [n], 'logits');
    const out = await c.tensor('u32', [us.length], 'ids');
    const rec = new Recorder(c).begin();
    for (const [j, u] of us.entries()) sample(rec, { out, x: gx, n, outOffset: j, ...warp, u });
    rec.submit();
    const got = Array.from(await c.read(out));
    const counts = new Map<number, number>();
    let compared = 0;
    for (const [j, u] of us.entries()) {
      expect(probs.has(got[j]), `token ${got[j]} for u=${u} is outside the allowed set`).toBe(true);
      counts.set(got[j], (counts.get(got[j]) ?? 0) + 1);
      const want = pick(probs, u, 1e-5);
      if (want !== undefined) {
        expect(got[j]).toBe(want);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(us.length * 0.9);
    // the empirical distribution over the u grid is the allowed set's distribution
    for (const [i, p] of probs) expect(Math.abs((counts.get(i) ?? 0) / us.length - p)).toBeLessThanOrEqual(1 / us.length + 1e-9);
    if (scale === 0) expect([...probs.keys()].sort((a, b) => a - b)).toEqual([0, 5, 17, 40, 93]);
  });
});
