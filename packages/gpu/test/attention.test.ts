import { attention as cpuAttention, rmsnorm as cpuRmsnorm, rope as cpuRope, ropeInit, type RopeParameters } from '@qo/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { Recorder, attention, attentionPartialsSize, ropeQk, ropeTable, type AttentionArgs, type GpuContext } from '../src/index.js';
import { ATTENTION_PREFILL_TILES, attentionPrefillStorage, type AttentionPrefillTile } from '../src/ops/attention.js';
import { randn, relL2, rng, testContext } from './helpers.js';

// f32 compute on both sides (the CPU in double where it accumulates): rel L2 ≤ 1e-5.
// The v cache rows are copies: exact.
const F32_BOUND = 1e-5;

const contexts: [string, GpuContext | undefined][] = [
  ['default', await testContext()],
  ['no subgroups', await testContext({ subgroups: false })],
];

afterAll(() => {
  for (const [, c] of contexts) c?.destroy();
});

const yarn: RopeParameters = { rope_type: 'yarn', rope_theta: 1_000_000, factor: 4, original_max_position_embeddings: 64 };
const dflt: RopeParameters = { rope_type: 'default', rope_theta: 10_000 };

describe.each(contexts)('ropeQk and attention on the GPU (%s) match @qo/tensor', (name, ctx) => {
  const run = it.skipIf(ctx === undefined);

  run.each([
    ['default', 7, 4, 2, 6, 5, true, dflt],
    ['default', 33, 3, 1, 128, 0, true, dflt],
    ['yarn', 1, 4, 2, 64, 1000, true, yarn],
    ['yarn', 7, 2, 2, 10, 3, false, yarn],
  ] as const)('ropeQk %s T=%i nHeads=%i nKvHeads=%i headDim=%i pos0=%i norms=%s', async (_n, T, nH, nKv, hd, pos0, norm, params) => {
    const c = ctx as GpuContext;
    const r = rng(T * 1000 + hd);
    const width = (nH + 2 * nKv) * hd;
    const qkv = randn(r, T * width, 2);
    const qn = randn(r, hd);
    const kn = randn(r, hd);
    const eps = 1e-6;
    const { invFreq, attentionScaling } = ropeInit(params, hd, 4096);
    // CPU: split, per-head rmsnorm, rope at positions pos0 + t
    const q = new Float32Array(T * nH * hd);
    const k = new Float32Array(T * nKv * hd);
    const v = new Float32Array(T * nKv * hd);
    for (let t = 0; t < T; t++) {
      q.set(qkv.subarray(t * width, t * width + nH * hd), t * nH * hd);
      k.set(qkv.subarray(t * width + nH * hd, t * width + (nH + nKv) * hd), t * nKv * hd);
      v.set(qkv.subarray(t * width + (nH + nKv) * hd, (t + 1) * width), t * nKv * hd);
    }
    if (norm) {
      cpuRmsnorm(q, q, qn, T * nH, hd, eps);
      cpuRmsnorm(k, k, kn, T * nKv, hd, eps);
    }
    const positions = Array.from({ length: T }, (_, t) => pos0 + t);
    cpuRope(q, positions, T, nH, hd, invFreq, attentionScaling);
    cpuRope(k, positions, T, nKv, hd, invFreq, attentionScaling);

    const maxSeq = pos0 + T + 3;
    const table = await ropeTable(c, invFreq, attentionScaling, maxSeq);
    const [gqkv, gqn, gkn, qOut, kc, vc] = await Promise.all([
      c.upload(qkv, [T, width], 'qkv'),
      c.upload(qn, [hd], 'q_norm'),
      c.upload(kn, [hd], 'k_norm'),
      c.tensor('f32', [T, nH, hd], 'q'),
      c.tensor('f32', [maxSeq, nKv, hd], 'k cache'),
      c.tensor('f32', [maxSeq, nKv, hd], 'v cache'),
    ]);
    const rec = new Recorder(c).begin();
    ropeQk(rec, {
      qkv: gqkv,
      qOut,
      qNorm: norm ? gqn : undefined,
      kNorm: norm ? gkn : undefined,
      rope: table,
      kCache: kc,
      vCache: vc,
      T,
      nHeads: nH,
      nKvHeads: nKv,
      headDim: hd,
      pos0,
      eps,
    });
    expect(rec.dispatches).toBe(1);
    rec.submit();
    expect(relL2(await c.read(qOut), q)).toBeLessThanOrEqual(F32_BOUND);
    const kd = nKv * hd;
    const gk = await c.read(kc);
    const gv = await c.read(vc);
    expect(relL2(gk.subarray(pos0 * kd, (pos0 + T) * kd), k)).toBeLessThanOrEqual(F32_BOUND);
    expect(Array.from(gv.subarray(pos0 * kd, (pos0 + T) * kd))).toEqual(Array.from(v));
    // rows outside [pos0, pos0 + T) are untouched
    expect(gk.subarray(0, pos0 * kd).every((x) => x === 0)).toBe(true);
    expect(gv.subarray((pos0 + T) * kd).every((x) => x === 0)).toBe(true);
  });

  // attention_prefill.wgsl uses no subgroups: its cases run in the default context only
  const cases = (
    [
      ['prefill, GQA', 7, 7, 4, 2, 6, undefined],
      ['prefill after a past, MQA', 33, 100, 3, 1, 128, undefined],
      ['prefill, MHA', 33, 40, 8, 8, 64, undefined],
      ['prefill, tiled GQA, one partial block', 100, 230, 4, 2, 32, undefined],
      ['prefill, tiled, T = 2', 2, 2, 2, 1, 8, undefined],
      ['decode, one tile', 1, 7, 4, 2, 6, undefined],
      ['decode, split-K', 1, 1000, 4, 1, 64, 8],
      ['decode, split-K with more splits than keys allow', 1, 100, 2, 2, 32, 16],
      ['split-K with T > 1', 5, 300, 2, 1, 20, 4],
    ] as const
  ).filter(([, T, , , , hd, splits]) => name === 'default' || !(T > 1 && hd % 4 === 0 && splits === undefined));
  run.each(cases)('attention %s: T=%i S=%i nHeads=%i nKvHeads=%i headDim=%i splits=%s', async (_n, T, S, nH, nKv, hd, splits) => {
    const c = ctx as GpuContext;
    const r = rng(S * 7 + hd);
    const q = randn(r, T * nH * hd, 1);
    const k = randn(r, S * nKv * hd, 1);
    const v = randn(r, S * nKv * hd, 1);
    const scale = hd ** -0.5;
    const want = new Float32Array(T * nH * hd);
    cpuAttention(want, q, k, v, { T, S, nHeads: nH, nKvHeads: nKv, headDim: hd, scale }, new Float32Array(S));
    // the cache holds more rows than S: rows past S are poison and must not be read
    const maxSeq = S + 5;
    const kFull = new Float32Array(maxSeq * nKv * hd).fill(1e30);
    const vFull = new Float32Array(maxSeq * nKv * hd).fill(Number.NaN);
    kFull.set(k);
    vFull.set(v);
    const [gq, kc, vc, out] = await Promise.all([
      c.upload(q, [T, nH, hd], 'q'),
      c.upload(kFull, [maxSeq, nKv, hd], 'k cache'),
      c.upload(vFull, [maxSeq, nKv, hd], 'v cache'),
      c.tensor('f32', [T, nH, hd], 'out'),
    ]);
    const split =
      splits === undefined
        ? undefined
        : { partials: await c.tensor('f32', [attentionPartialsSize(T, nH, hd, splits)], 'partials'), maxSplits: splits, minSplitLen: 64 };
    const rec = new Recorder(c).begin();
    attention(rec, { out, q: gq, kCache: kc, vCache: vc, T, S, nHeads: nH, nKvHeads: nKv, headDim: hd, scale, split });
    expect(rec.dispatches).toBe(split === undefined ? 1 : 2);
    expect(ctx?.maxWorkgroupStorageBytes).toBeGreaterThanOrEqual(26 * 1024); // lavapipe runs the tiled kernel
    rec.submit();
    expect(relL2(await c.read(out), want)).toBeLessThanOrEqual(F32_BOUND);
  });
});

// Every prefill tile a benchmark may pick (bench/gpu/micro/attention.ts), on odd sizes: T not a multiple
// of the rows, S > T, GQA ratios 1, 2, 8, at one headDim (one pipeline per tile: lavapipe compiles slowly).
// The default tile also at headDim 20 (columns left idle) and 128.
const PREFILL_TILES: AttentionPrefillTile[] = [
  ...ATTENTION_PREFILL_TILES,
  { rows: 32, keys: 32, rowsPerInvocation: 1, kvTiles: 1 },
  { rows: 32, keys: 16, rowsPerInvocation: 2, kvTiles: 2 },
  { rows: 32, keys: 32, rowsPerInvocation: 2, kvTiles: 1, prefetch: true },
  { rows: 32, keys: 32, rowsPerInvocation: 1, kvTiles: 1, prefetch: true },
  { rows: 32, keys: 16, rowsPerInvocation: 2, kvTiles: 2, prefetch: true },
  { rows: 64, keys: 16, rowsPerInvocation: 4, kvTiles: 1, prefetch: true },
  { rows: 4, keys: 32, rowsPerInvocation: 2, kvTiles: 1, prefetch: true }, // more loads than PF · NT
];
const PREFILL_SHAPES = [
  // name, T, S, nHeads, nKvHeads, headDim
  ['GQA 2', 37, 37, 4, 2, 32],
  ['GQA 8 after a past', 45, 130, 8, 1, 32],
  ['MHA after a past', 21, 50, 3, 3, 32],
] as const;
const DEFAULT_SHAPES = [
  ['MHA, headDim 20', 21, 50, 3, 3, 20],
  ['GQA 2 after a past, headDim 128', 19, 40, 4, 2, 128],
] as const;

async function checkAttention(
  c: GpuContext,
  [T, S, nH, nKv, hd]: readonly [number, number, number, number, number],
  prefill: AttentionArgs['prefill'],
): Promise<number> {
  const r = rng(S * 7 + hd + T);
  const q = randn(r, T * nH * hd, 1);
  const k = randn(r, S * nKv * hd, 1);
  const v = randn(r, S * nKv * hd, 1);
  const scale = hd ** -0.5;
  const want = new Float32Array(T * nH * hd);
  cpuAttention(want, q, k, v, { T, S, nHeads: nH, nKvHeads: nKv, headDim: hd, scale }, new Float32Array(S));
  const maxSeq = S + 5; // rows past S are poison and must not be read
  const kFull = new Float32Array(maxSeq * nKv * hd).fill(1e30);
  const vFull = new Float32Array(maxSeq * nKv * hd).fill(Number.NaN);
  kFull.set(k);
  vFull.set(v);
  const [gq, kc, vc, out] = await Promise.all([
    c.upload(q, [T, nH, hd], 'q'),
    c.upload(kFull, [maxSeq, nKv, hd], 'k cache'),
    c.upload(vFull, [maxSeq, nKv, hd], 'v cache'),
    c.tensor('f32', [T, nH, hd], 'out'),
  ]);
  const rec = new Recorder(c).begin();
  attention(rec, { out, q: gq, kCache: kc, vCache: vc, T, S, nHeads: nH, nKvHeads: nKv, headDim: hd, scale, prefill });
  expect(rec.dispatches).toBe(1);
  rec.submit();
  return relL2(await c.read(out), want);
}

describe('attention prefill tiles on the GPU match @qo/tensor', () => {
  const c = contexts[0][1];
  const run = it.skipIf(c === undefined);
  const cases = [
    ...PREFILL_SHAPES.flatMap(([name, ...shape]) =>
      [...PREFILL_TILES, 'tiled16' as const].map((t) => [name, JSON.stringify(t), shape, t] as const),
    ),
    ...DEFAULT_SHAPES.map(([name, ...shape]) => [name, 'default', shape, undefined] as const),
  ];

  run.each(cases)('%s, tile %s', async (_n, _t, shape, tile) => {
    expect(await checkAttention(c as GpuContext, shape, tile)).toBeLessThanOrEqual(F32_BOUND);
  });

  run('the tiles of headDim 128 that lavapipe cannot hold are those of the H100 only', () => {
    const over = PREFILL_TILES.filter((t) => attentionPrefillStorage(t, 128) > 32768);
    expect(over.every((t) => attentionPrefillStorage(t, 128) <= 48 * 1024)).toBe(true);
    expect(c?.maxWorkgroupStorageBytes).toBe(32768);
  });

  run('a tile that does not fit, or a bad one, is an error', async () => {
    const big = { rows: 256, keys: 64, rowsPerInvocation: 4, kvTiles: 2 } as const;
    await expect(checkAttention(c as GpuContext, [5, 5, 2, 1, 128], big)).rejects.toThrow(/workgroup memory/);
    await expect(checkAttention(c as GpuContext, [5, 5, 2, 1, 8], { ...big, rows: 30 })).rejects.toThrow(/multiple of rowsPerInvocation/);
    await expect(checkAttention(c as GpuContext, [1, 5, 2, 1, 8], 'tiled16')).rejects.toThrow(/T > 1/);
  });
});
