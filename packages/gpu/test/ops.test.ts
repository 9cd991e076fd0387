import {
  add as cpuAdd,
  embedding as cpuEmbedding,
  f32ToBf16,
  quantizeQ8_0,
  rmsnorm as cpuRmsnorm,
  siluMul as cpuSiluMul,
  type Weight,
} from '@qo/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { Recorder, add, addRmsnorm, embedding, rmsnorm, siluMul, uploadWeight, type GpuContext } from '../src/index.js';
import { randn, relL2, rng, testContext } from './helpers.js';

// f32 on both sides; the CPU ops accumulate in double, the kernels in f32: rel L2 ≤ 1e-5.
// Gathers and copies are exact.
const F32_BOUND = 1e-5;

const contexts: [string, GpuContext | undefined][] = [
  ['default', await testContext()],
  ['no subgroups, split weights', await testContext({ subgroups: false, splitBytes: 1024 })],
];

afterAll(() => {
  for (const [, c] of contexts) c?.destroy();
});

function table(dtype: 'f32' | 'bf16' | 'q8_0', rows: number, cols: number): Weight {
  const v = randn(rng(rows + cols), rows * cols);
  if (dtype === 'f32') return { dtype, rows, cols, data: v };
  if (dtype === 'bf16') return { dtype, rows, cols, data: f32ToBf16(v) };
  return quantizeQ8_0(rows, cols, v);
}

describe.each(contexts)('elementwise and norm ops on the GPU (%s) match @qo/tensor', (_name, ctx) => {
  const run = it.skipIf(ctx === undefined);

  run.each([
    ['f32', 100, 33],
    ['bf16', 100, 33],
    ['q8_0', 100, 33],
    ['bf16', 7, 1],
    ['q8_0', 37, 100],
  ] as const)('embedding %s table [%i, %i] is an exact gather', async (dtype, rows, cols) => {
    const c = ctx as GpuContext;
    const w = table(dtype, rows, cols);
    const ids = [0, rows - 1, 3 % rows, 5 % rows, rows - 1, 1 % rows, 2 % rows];
    const want = new Float32Array(ids.length * cols);
    cpuEmbedding(want, w, ids);
    const gw = await uploadWeight(c, w, 'embed_tokens');
    const gids = await c.upload(new Uint32Array([99, ...ids]), [ids.length + 1], 'ids');
    const out = await c.tensor('f32', [ids.length, cols], 'embed');
    const rec = new Recorder(c).begin();
    embedding(rec, { out, ids: gids, table: gw, T: ids.length, idsOffset: 1 });
    rec.submit();
    expect(Array.from(await c.read(out))).toEqual(Array.from(want));
  });

  run.each([
    [1, 1],
    [7, 33],
    [33, 100],
    [3, 1000],
    [100 * 7, 128],
  ])('rmsnorm rows=%i dim=%i', async (rows, dim) => {
    const c = ctx as GpuContext;
    const r = rng(rows * dim);
    const x = randn(r, rows * dim, 3);
    const w = randn(r, dim);
    const want = new Float32Array(rows * dim);
    cpuRmsnorm(want, x, w, rows, dim, 1e-6);
    const [gx, gw, out] = await Promise.all([c.upload(x, [rows, dim], 'x'), c.upload(w, [dim], 'w'), c.tensor('f32', [rows, dim], 'out')]);
    const rec = new Recorder(c).begin();
    rmsnorm(rec, { out, x: gx, weight: gw, rows, dim, eps: 1e-6 });
    rec.submit();
    expect(relL2(await c.read(out), want)).toBeLessThanOrEqual(F32_BOUND);
  });

  run.each([
    [1, 7],
    [33, 100],
    [5, 1025],
  ])('addRmsnorm rows=%i dim=%i: residual += x, out = rmsnorm(residual)', async (rows, dim) => {
    const c = ctx as GpuContext;
    const r = rng(rows + dim);
    const res = randn(r, rows * dim, 2);
    const x = randn(r, rows * dim);
    const w = randn(r, dim);
    const sum = new Float32Array(rows * dim);
    cpuAdd(sum, res, x, rows * dim);
    const want = new Float32Array(rows * dim);
    cpuRmsnorm(want, sum, w, rows, dim, 1e-5);
    const [gres, gx, gw, out] = await Promise.all([
      c.upload(res, [rows, dim], 'residual'),
      c.upload(x, [rows, dim], 'x'),
      c.upload(w, [dim], 'w'),
      c.tensor('f32', [rows, dim], 'out'),
    ]);
    const rec = new Recorder(c).begin();
    addRmsnorm(rec, { residual: gres, out, x: gx, weight: gw, rows, dim, eps: 1e-5 });
    rec.submit();
    expect(Array.from(await c.read(gres))).toEqual(Array.from(sum)); // one f32 add each: exact
    expect(relL2(await c.read(out), want)).toBeLessThanOrEqual(F32_BOUND);
  });

  run.each([
    [1, 7],
    [7, 33],
    [33, 100],
  ])('siluMul T=%i I=%i, separate and as halves of a fused gate_up', async (T, I) => {
    const c = ctx as GpuContext;
    const r = rng(T * I);
    const gate = randn(r, T * I, 6);
    const up = randn(r, T * I, 2);
    const want = new Float32Array(T * I);
    cpuSiluMul(want, gate, up, T * I);
    const fused = new Float32Array(T * 2 * I);
    for (let t = 0; t < T; t++) {
      fused.set(gate.subarray(t * I, (t + 1) * I), t * 2 * I);
      fused.set(up.subarray(t * I, (t + 1) * I), t * 2 * I + I);
    }
    const [gg, gu, gf, out1, out2] = await Promise.all([
      c.upload(gate, [T, I], 'gate'),
      c.upload(up, [T, I], 'up'),
      c.upload(fused, [T, 2 * I], 'gate_up'),
      c.tensor('f32', [T, I], 'out1'),
      c.tensor('f32', [T, I], 'out2'),
    ]);
    const rec = new Recorder(c).begin();
    siluMul(rec, { out: out1, gate: gg, up: gu, T, I });
    siluMul(rec, { out: out2, gate: gf, up: gf, T, I, gateStride: 2 * I, upStride: 2 * I, upOffset: I });
    rec.submit();
    expect(relL2(await c.read(out1), want)).toBeLessThanOrEqual(F32_BOUND);
    expect(Array.from(await c.read(out2))).toEqual(Array.from(await c.read(out1)));
  });

  run.each([1, 7, 33, 100, 70_001])('add n=%i (residual, in place) is exact', async (n) => {
    const c = ctx as GpuContext;
    const r = rng(n);
    const a = randn(r, n);
    const b = randn(r, n);
    const want = new Float32Array(n);
    cpuAdd(want, a, b, n);
    const [ga, gb] = await Promise.all([c.upload(a, [n], 'a'), c.upload(b, [n], 'b')]);
    const rec = new Recorder(c).begin();
    add(rec, { a: ga, b: gb, n });
    rec.submit();
    expect(Array.from(await c.read(ga))).toEqual(Array.from(want));
  });
});
