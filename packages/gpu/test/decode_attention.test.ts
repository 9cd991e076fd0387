import { f32ToBf16, quantizeQ8_0, ropeInit, type Weight } from '@qo/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import {
  Recorder,
  attention,
  attentionOutProj,
  attentionPartialsSize,
  attnOutStorage,
  decodeAttention,
  matmul,
  ropeQk,
  ropeTable,
  uploadWeight,
  GpuShapeError,
  type GpuContext,
} from '../src/index.js';
import { randn, relL2, rng, testContext } from './helpers.js';

// The fused decode path (decodeAttention + attentionOutProj) against the unfused one (ropeQk,
// split-K attention, combine, o_proj), which attention.test.ts and matmul.test.ts check against
// @qo/tensor. Both compute in f32; the fused one folds the new key into the softmax after the cached
// keys, so the results differ by f32 rounding only: rel L2 ≤ 1e-5. The cache rows are the same
// arithmetic (k) or copies (v).
const BOUND = 1e-5;

type Dtype = 'f32' | 'bf16' | 'q8_0';
// nHeads, nKvHeads, headDim, S, maxSplits, minSplitLen, o_proj dtype, q/k norms
type Case = [nH: number, nKv: number, hd: number, S: number, maxSplits: number, minLen: number, dtype: Dtype, norms: boolean];
const cases: Case[] = [
  [3, 3, 8, 1, 4, 1, 'f32', true], // GQA 1, the first token: one split holding only the new key
  [4, 2, 16, 2, 4, 1, 'bf16', true], // GQA 2, two splits: the cached key, then the new one alone
  [8, 1, 128, 33, 5, 4, 'q8_0', true], // GQA 8, 5 splits of 7 keys, the last one short (5)
  [2, 1, 24, 9, 4, 2, 'bf16', false], // splits of 3: the fourth is empty, the third holds the new key; no norms
  [16, 8, 128, 513, 32, 32, 'bf16', true], // Qwen3-0.6B's attention: 16 splits of 33, the last 18
];

// each kernel variant is a shader compile on lavapipe (seconds): without subgroups, two cases for the reductions
const contexts: [string, GpuContext | undefined, Case[]][] = [
  ['default', await testContext(), cases],
  ['no subgroups', await testContext({ subgroups: false }), [cases[2], cases[4]]],
];

afterAll(() => {
  for (const [, c] of contexts) c?.destroy();
});

function makeWeight(dtype: Dtype, rows: number, cols: number, seed: number): Weight {
  const v = randn(rng(seed), rows * cols, 0.1);
  if (dtype === 'f32') return { dtype, rows, cols, data: v };
  if (dtype === 'bf16') return { dtype, rows, cols, data: f32ToBf16(v) };
  return quantizeQ8_0(rows, cols, v);
}

describe.each(contexts)('decodeAttention + attentionOutProj on the GPU (%s) match ropeQk, split attention and o_proj', (_name, ctx, cases) => {
  const run = it.skipIf(ctx === undefined);

  run.each(cases)('nHeads=%i nKvHeads=%i headDim=%i S=%i maxSplits=%i minSplitLen=%i %s norms=%s', async (nH, nKv, hd, S, maxSplits, minLen, dtype, norms) => {
    const c = ctx as GpuContext;
    const r = rng(S * 100 + hd);
    const qd = nH * hd;
    const kd = nKv * hd;
    const hidden = 40;
    const maxSeq = S + 2;
    const { invFreq, attentionScaling } = ropeInit({ rope_type: 'default', rope_theta: 10_000 }, hd, 4096);
    const table = await ropeTable(c, invFreq, attentionScaling, maxSeq);
    const qkv = randn(r, qd + 2 * kd, 2);
    const kPast = randn(r, maxSeq * kd);
    const vPast = randn(r, maxSeq * kd);
    const h0 = randn(r, hidden);
    const up = (a: Float32Array, label: string) => c.upload(a, [a.length], label);
    const [gqkv, qn, kn, k1, v1, k2, v2, h1, h2] = await Promise.all([
      up(qkv, 'qkv'),
      up(randn(r, hd), 'q_norm'),
      up(randn(r, hd), 'k_norm'),
      up(kPast, 'k fused'),
      up(vPast, 'v fused'),
      up(kPast, 'k unfused'),
      up(vPast, 'v unfused'),
      up(h0, 'h fused'),
      up(h0, 'h unfused'),
    ]);
    const w = await uploadWeight(c, makeWeight(dtype, hidden, qd, hd + S), 'o_proj');
    const size = attentionPartialsSize(1, nH, hd, maxSplits);
    const [p1, p2, q, attn] = await Promise.all([c.tensor('f32', [size], 'p fused'), c.tensor('f32', [size], 'p unfused'), c.tensor('f32', [qd], 'q'), c.tensor('f32', [qd], 'attn')]);
    const dims = { nHeads: nH, nKvHeads: nKv, headDim: hd };
    const nrm = norms ? { qNorm: qn, kNorm: kn } : {};
    const scale = 1 / Math.sqrt(hd);
    const rec = new Recorder(c).begin();
    decodeAttention(rec, { qkv: gqkv, partials: p1, ...nrm, rope: table, kCache: k1, vCache: v1, S, ...dims, scale, eps: 1e-6, maxSplits, minSplitLen: minLen });
    attentionOutProj(rec, { out: h1, partials: p1, w, nHeads: nH, headDim: hd, maxSplits, accumulate: true, attn });
    expect(rec.dispatches).toBe(2);
    ropeQk(rec, { qkv: gqkv, qOut: q, ...nrm, rope: table, kCache: k2, vCache: v2, T: 1, ...dims, pos0: S - 1, eps: 1e-6 });
    attention(rec, { out: attn, q, kCache: k2, vCache: v2, T: 1, S, ...dims, scale, split: { partials: p2, maxSplits, minSplitLen: minLen } });
    matmul(rec, { out: h2, x: attn, w, T: 1, accumulate: true });
    rec.submit();
    const [got, want, gk, wk, gv, wv] = await Promise.all([c.read(h1), c.read(h2), c.read(k1), c.read(k2), c.read(v1), c.read(v2)]);
    expect(relL2(got, want)).toBeLessThanOrEqual(BOUND);
    const row = (a: ArrayLike<number>, s: number) => Array.from(a).slice(s * kd, (s + 1) * kd);
    expect(relL2(row(gk, S - 1), row(wk, S - 1))).toBeLessThanOrEqual(1e-6);
    expect(row(gv, S - 1)).toEqual(row(wv, S - 1));
    // the other rows are untouched
    for (const s of [0, S - 2, S, S + 1].filter((s) => s >= 0 && s !== S - 1)) {
      expect(row(gk, s)).toEqual(row(kPast, s));
      expect(row(gv, s)).toEqual(row(vPast, s));
    }
    for (const t of [gqkv, qn, kn, k1, v1, k2, v2, h1, h2, p1, p2, q, attn, table.tensor]) t.buffer.destroy();
  });

  run('attentionOutProj: the two-dispatch path (unfused, or where the workgroup memory is too small) gives the fused result', async () => {
    const c = ctx as GpuContext;
    const [nH, hd, maxSplits, hidden] = [4, 16, 3, 24];
    const r = rng(7);
    const partials = randn(r, attentionPartialsSize(1, nH, hd, maxSplits));
    for (let i = 0; i < nH * maxSplits; i++) partials[i * (hd + 2) + 1] = 1 + r(); // l > 0
    partials[(nH * maxSplits - 1) * (hd + 2)] = -3.4028234e38; // an empty split: m = -max, l = 0
    partials[(nH * maxSplits - 1) * (hd + 2) + 1] = 0;
    const w = await uploadWeight(c, makeWeight('bf16', hidden, nH * hd, 3), 'o_proj');
    const gp = await c.upload(partials, [partials.length], 'partials');
    const [o1, o2, attn] = await Promise.all([c.tensor('f32', [hidden], 'fused'), c.tensor('f32', [hidden], 'unfused'), c.tensor('f32', [nH * hd], 'attn')]);
    const rec = new Recorder(c).begin();
    const a = { partials: gp, w, nHeads: nH, headDim: hd, maxSplits, attn };
    attentionOutProj(rec, { ...a, out: o1 });
    attentionOutProj(rec, { ...a, out: o2 }, 'unfused');
    expect(rec.dispatches).toBe(3);
    rec.submit();
    expect(relL2(await c.read(o1), await c.read(o2))).toBeLessThanOrEqual(BOUND);
    expect(attnOutStorage(w, nH, maxSplits, 256)).toBe(4 * (nH * hd + 2 * nH * maxSplits + nH + 256));
    for (const t of [gp, o1, o2, attn]) t.buffer.destroy();
  });

  run('decodeAttention rejects head sizes it does not take, and a position past the RoPE table', async () => {
    const c = ctx as GpuContext;
    const { invFreq, attentionScaling } = ropeInit({ rope_type: 'default', rope_theta: 10_000 }, 8, 64);
    const table = await ropeTable(c, invFreq, attentionScaling, 8);
    const [t, k, v] = await Promise.all([c.tensor('f32', [4096], 'any'), c.tensor('f32', [4096], 'k'), c.tensor('f32', [4096], 'v')]);
    const rec = new Recorder(c).begin();
    const base = { qkv: t, partials: t, rope: table, kCache: k, vCache: v, nHeads: 2, nKvHeads: 1, scale: 1, eps: 1e-6, maxSplits: 2 };
    expect(() => decodeAttention(rec, { ...base, S: 4, headDim: 6 })).toThrow(GpuShapeError);
    expect(() => decodeAttention(rec, { ...base, S: 4, headDim: 6 })).toThrow(/headDim 6 is not a multiple of 8/);
    expect(() => decodeAttention(rec, { ...base, S: 9, headDim: 8 })).toThrow(/position 8 exceeds the RoPE table/);
    expect(rec.dispatches).toBe(0);
    rec.submit();
    for (const x of [t, k, v, table.tensor]) x.buffer.destroy();
  });
});
