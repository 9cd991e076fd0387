import { add as cpuAdd, dequantize, f32ToBf16, matmul as cpuMatmul, quantizeQ8_0, rmsnorm as cpuRmsnorm, siluMul as cpuSiluMul, type Weight } from '@qo/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { MATMUL_TILES, Recorder, destroyWeight, matmul, matmulTileBytes, uploadWeight, type GpuContext } from '../src/index.js';
import { weightVariant } from '../src/weights.js';
import { randn, relL2, rng, testContext } from './helpers.js';

// Bounds: f32 accumulation on the GPU against the CPU's double accumulation over the same
// (dequantized) weights. f32 and bf16 weights dequantize exactly; q8_0 is checked against the CPU
// q8_0 matmul on the same blocks, so only the summation order and the d·q rounding differ.
const BOUND = { f32: 1e-5, bf16: 1e-5, q8_0: 1e-5 };

function makeWeight(dtype: 'f32' | 'bf16' | 'q8_0', rows: number, cols: number, seed: number): Weight {
  const v = randn(rng(seed), rows * cols, 0.5);
  if (dtype === 'f32') return { dtype, rows, cols, data: v };
  if (dtype === 'bf16') return { dtype, rows, cols, data: f32ToBf16(v) };
  return quantizeQ8_0(rows, cols, v);
}

type Case = [dtype: 'f32' | 'bf16' | 'q8_0', T: number, rows: number, cols: number];

// Every kernel variant costs a shader compile on lavapipe (seconds on 2 cores), so each context runs
// the cases whose code it changes: all of them by default; GEMV (T = 1, the only kernel with a
// reduction) without subgroups; a few of each kernel with weights split into 1 KiB chunks.
const all: Case[] = [];
for (const dtype of ['f32', 'bf16', 'q8_0'] as const) {
  for (const T of [1, 7, 33, 100]) all.push([dtype, T, 7, 33], [dtype, T, 100, 65], [dtype, T, 33, 64]); // 64: aligned rows (vec4 loads)
}
all.push(['bf16', 1, 1, 1], ['q8_0', 65, 129, 200], ['bf16', 70, 130, 300]);
const gemvCases = all.filter(([, T]) => T === 1);
const splitCases = all.filter(([, T, rows]) => (T === 1 || T === 33) && rows > 7);

const contexts: [string, GpuContext | undefined, Case[]][] = [
  ['default', await testContext(), all],
  ['no subgroups', await testContext({ subgroups: false }), gemvCases],
  ['split weights (1 KiB bindings)', await testContext({ splitBytes: 1024 }), splitCases],
];

afterAll(() => {
  for (const [, c] of contexts) c?.destroy();
});

describe.each(contexts)('matmul on the GPU (%s) matches @qo/tensor', (_name, ctx, cases) => {
  it.skipIf(ctx === undefined).each(cases)('%s T=%i [%i, %i]', async (dtype, T, rows, cols) => {
    const c = ctx as GpuContext;
    const w = makeWeight(dtype, rows, cols, rows * 31 + cols);
    const x = randn(rng(T), T * cols);
    const want = new Float32Array(T * rows);
    cpuMatmul(want, x, T, w);
    const gw = await uploadWeight(c, w, 'w');
    if (c.splitBytes === 1024 && rows > 7) expect(gw.chunks.length).toBeGreaterThan(1);
    const gx = await c.upload(x, [T, cols], 'x');
    const out = await c.tensor('f32', [T, rows], 'out');
    const rec = new Recorder(c).begin();
    matmul(rec, { out, x: gx, w: gw, T });
    expect(rec.dispatches).toBe(gw.chunks.length);
    rec.submit();
    const got = await c.read(out);
    expect(relL2(got, want)).toBeLessThanOrEqual(BOUND[dtype]);
  });

  it.skipIf(ctx === undefined)('reads one row at xOffset and writes at outOffset with a row stride', async () => {
    const c = ctx as GpuContext;
    const [T, rows, cols] = [5, 9, 41];
    const w = makeWeight('bf16', rows, cols, 3);
    const x = randn(rng(4), T * cols);
    const want = new Float32Array(T * rows);
    cpuMatmul(want, x, T, w);
    const gw = await uploadWeight(c, w, 'w');
    const gx = await c.upload(x, [T, cols], 'x');
    const out = await c.tensor('f32', [T, 2 * rows + 3], 'out');
    const last = await c.tensor('f32', [rows], 'last');
    const rec = new Recorder(c).begin();
    matmul(rec, { out, x: gx, w: gw, T, outStride: 2 * rows + 3, outOffset: rows });
    matmul(rec, { out: last, x: gx, w: gw, T: 1, xOffset: (T - 1) * cols });
    rec.submit();
    const got = await c.read(out);
    for (let t = 0; t < T; t++) {
      const row = got.subarray(t * (2 * rows + 3) + rows, t * (2 * rows + 3) + 2 * rows);
      expect(relL2(row, want.subarray(t * rows, (t + 1) * rows))).toBeLessThanOrEqual(1e-5);
    }
    expect(relL2(await c.read(last), want.subarray((T - 1) * rows))).toBeLessThanOrEqual(1e-5);
  });

  it.skipIf(ctx === undefined).each([
    ['bf16', 1, 33, 64],
    ['q8_0', 1, 100, 65],
    ['f32', 7, 9, 40],
    ['bf16', 33, 70, 33],
  ] as const)('fusions, %s T=%i [%i, %i]: input RMSNorm (T = 1), silu(gate)·up input, residual accumulate', async (dtype, T, rows, cols) => {
    const c = ctx as GpuContext;
    const w = makeWeight(dtype, rows, cols, 11);
    const gw = await uploadWeight(c, w, 'w');
    const r = rng(rows);
    const x = randn(r, T * cols, 2);
    const gateUp = randn(r, T * 2 * cols, 3);
    const residual = randn(r, T * rows);
    const normW = randn(r, cols);
    // CPU: residual + matmul(act), act = rmsnorm(x) (T = 1) and silu(gate) · up
    const normed = new Float32Array(T * cols);
    cpuRmsnorm(normed, x, normW, T, cols, 1e-6);
    const act = new Float32Array(T * cols);
    for (let t = 0; t < T; t++) {
      cpuSiluMul(act.subarray(t * cols), gateUp.subarray(t * 2 * cols), gateUp.subarray(t * 2 * cols + cols), cols);
    }
    const wantNorm = new Float32Array(T * rows);
    cpuMatmul(wantNorm, normed, T, w);
    const wantAct = new Float32Array(T * rows);
    cpuMatmul(wantAct, act, T, w);
    const wantAcc = new Float32Array(T * rows);
    cpuAdd(wantAcc, residual, wantAct, T * rows);
    const [gx, ggu, gn, out1, out2, gres] = await Promise.all([
      c.upload(x, [T, cols], 'x'),
      c.upload(gateUp, [T, 2 * cols], 'gate_up'),
      c.upload(normW, [cols], 'norm'),
      c.tensor('f32', [T, rows], 'out1'),
      c.tensor('f32', [T, rows], 'out2'),
      c.upload(residual, [T, rows], 'residual'),
    ]);
    const rec = new Recorder(c).begin();
    if (T === 1) matmul(rec, { out: out1, x: gx, w: gw, T, norm: { weight: gn, eps: 1e-6 } });
    else expect(() => matmul(rec, { out: out1, x: gx, w: gw, T, norm: { weight: gn, eps: 1e-6 } })).toThrow(/run rmsnorm first/);
    matmul(rec, { out: out2, x: ggu, w: gw, T, siluMulInput: true });
    matmul(rec, { out: gres, x: ggu, w: gw, T, siluMulInput: true, accumulate: true });
    // SiLU·mul in the output's epilogue is a tensor-core path (no mma scratch here: a clear error)
    expect(() => matmul(rec, { out: out1, x: gx, w: gw, T, siluMulOutput: true })).toThrow(/siluMulOutput .* tensor cores/);
    rec.submit();
    if (T === 1) expect(relL2(await c.read(out1), wantNorm)).toBeLessThanOrEqual(1e-5);
    expect(relL2(await c.read(out2), wantAct)).toBeLessThanOrEqual(1e-5);
    expect(relL2(await c.read(gres), wantAcc)).toBeLessThanOrEqual(1e-5);
  });
});

// The register-tiled candidates (matmul.wgsl) on sizes that are not multiples of any tile, with
// an activation offset and stride, an output offset and stride, and a residual accumulate.
describe('matmul tiles match @qo/tensor', async () => {
  const ctx = await testContext();
  const split = await testContext({ splitBytes: 1024 });
  afterAll(() => {
    ctx?.destroy();
    split?.destroy();
  });
  // lavapipe compiles each tile in ~5-15 s: two tiles that cover every code path (1 and 2 blocks per
  // invocation, 1 and 2 buffers, BK 16 and 32); the others differ only in override values.
  const tiles = ['64x64/32/1', '128x64/16/2'].map((n) => [n, MATMUL_TILES[n]] as const);
  it.skipIf(ctx === undefined)('refuses a tile larger than the workgroup storage', async () => {
    const g = ctx as GpuContext;
    const gw = await uploadWeight(g, makeWeight('bf16', 8, 8, 1), 'w');
    const gx = await g.upload(new Float32Array(16), [2, 8], 'x');
    const out = await g.tensor('f32', [2, 8], 'out');
    const big = { WX: 64, WY: 16, TN4: 2, TM4: 2, BK: 32, NBUF: 2 } as const;
    expect(matmulTileBytes(big)).toBeGreaterThan(g.maxWorkgroupStorageBytes);
    expect(() => matmul(new Recorder(g).begin(), { out, x: gx, w: gw, T: 2, tile: big })).toThrow(/workgroup storage/);
  });
  it.skipIf(ctx === undefined).each(tiles)('%s', async (_name, tile) => {
    for (const [c, dtype, T, rows, cols] of [
      [ctx, 'bf16', 70, 130, 300],
      [ctx, 'q8_0', 33, 67, 100],
      [split, 'f32', 9, 150, 41],
    ] as const) {
      const g = c as GpuContext;
      const w = makeWeight(dtype, rows, cols, rows + cols);
      const xStride = cols + 3;
      const x = randn(rng(T), 2 + T * xStride);
      const dense = new Float32Array(T * cols);
      for (let t = 0; t < T; t++) dense.set(x.subarray(2 + t * xStride, 2 + t * xStride + cols), t * cols);
      const outStride = rows + 5;
      const base = randn(rng(7), 1 + T * outStride);
      const mm = new Float32Array(T * rows);
      cpuMatmul(mm, dense, T, w);
      const want = base.slice();
      for (let t = 0; t < T; t++) for (let r = 0; r < rows; r++) want[1 + t * outStride + r] += mm[t * rows + r];
      const gw = await uploadWeight(g, w, 'w');
      if (g === split) expect(gw.chunks.length).toBeGreaterThan(1);
      const gx = await g.upload(x, [x.length], 'x');
      const out = await g.upload(base, [base.length], 'out');
      const rec = new Recorder(g).begin();
      matmul(rec, { out, x: gx, w: gw, T, xOffset: 2, xStride, outOffset: 1, outStride, accumulate: true, tile });
      rec.submit();
      expect(relL2(await g.read(out), want)).toBeLessThanOrEqual(1e-5);
    }
  });
});

// The halves of the tensor-core matmul that need no tensor cores run here on every adapter: the activation
// quantization (mma_quantize.wgsl) and the weights' row scales (mma_row_max.wgsl). matmul_mma.wgsl itself
// needs subgroup matrices, which lavapipe lacks: bench/gpu/validate.sh and the micro suite check it on the
// GPU machine (BENCHMARKS.md ## GPU).
describe('mma_quantize.wgsl: each row as 16-bit fixed point in two int8 planes', async () => {
  const ctx = await testContext();
  afterAll(() => ctx?.destroy());
  it.skipIf(ctx === undefined).each([
    ['x8.wgsl', 5, 70, 128, false],
    ['x8_vec4.wgsl', 3, 96, 128, false],
    ['x8_vec4.wgsl', 2, 2056, 256, false],
    ['x8.wgsl', 3, 70, 128, true],
    ['x8_vec4.wgsl', 3, 2056, 256, true],
  ] as const)('%s, %i rows of %i, %i invocations, input norm %s', async (X8, T, cols, WG, withNorm) => {
    const c = ctx as GpuContext;
    const blocks = Math.ceil(cols / 32);
    const x = randn(rng(cols), T * cols);
    x[3] = 1e4; // an outlier in row 0
    for (let i = 0; i < cols; i++) x[cols + i] = 0; // row 1: all zero
    x[2 * cols - 1] = 0;
    if (T > 2) x[2 * cols + cols - 1] = -3e4; // row 2: the largest is its last column
    const gx = await c.upload(x, [T, cols], 'x');
    const q = await c.tensor('u32', [T * blocks * 16], 'q');
    const s = await c.tensor('f32', [T], 's');
    const normW = randn(rng(3), cols);
    const gn = await c.upload(normW, [cols], 'norm weight');
    const eps = 1e-6;
    const p = c.pipeline({
      file: 'mma_quantize.wgsl',
      includes: { X8, REDUCE: 'reduce_shared.wgsl', NORM: withNorm ? 'mma_norm_rms.wgsl' : 'mma_norm_none.wgsl' },
      constants: { WG },
      bindings: ['read', 'rw', 'rw', withNorm ? 'read' : undefined],
    });
    const rec = new Recorder(c).begin();
    rec.dispatch(p, [gx, q, s, withNorm ? gn : undefined], 'uuuuuf', [T, cols, blocks, 0, cols, eps], [T, 1]);
    rec.submit();
    if (withNorm) {
      const n = new Float32Array(x.length);
      cpuRmsnorm(n, x, normW, T, cols, eps);
      x.set(n); // what the planes must hold
    }
    const qb = new Int8Array((await c.read(q)).buffer);
    const sv = await c.read(s);
    let worst = 0;
    for (let t = 0; t < T; t++) {
      let m = 0;
      for (let k = 0; k < cols; k++) m = Math.max(m, Math.abs(x[t * cols + k]));
      expect(sv[t]).toBeCloseTo(m / 32512, 6 - Math.ceil(Math.log10(Math.max(1, m))));
      for (let k = 0; k < blocks * 32; k++) {
        const i = (t * blocks + Math.floor(k / 32)) * 64 + (k % 32);
        const hi = qb[i];
        const lo = qb[i + 32];
        expect(Math.abs(hi)).toBeLessThanOrEqual(127);
        const got = sv[t] * (256 * hi + lo);
        const want = k < cols ? x[t * cols + k] : 0;
        if (sv[t] === 0) expect(got).toBe(0);
        else worst = Math.max(worst, Math.abs(got - want) / sv[t]);
      }
    }
    expect(worst).toBeGreaterThan(0); // rounding happened: the check below compared something
    // half a step of the 16-bit grid (with the norm, plus the CPU's and GPU's f32 rounding of the normalized value)
    expect(worst).toBeLessThanOrEqual(withNorm ? 0.55 : 0.5 + 1e-3);
    for (const b of [gx, q, s, gn]) b.buffer.destroy();
  });
});

describe('mma_row_max.wgsl: the row scales of a weight for the tensor cores', async () => {
  const ctx = await testContext();
  const split = await testContext({ splitBytes: 1024 });
  afterAll(() => {
    ctx?.destroy();
    split?.destroy();
  });
  it.skipIf(ctx === undefined).each([
    ['bf16', 'one binding'],
    ['q8_0', 'one binding'],
    ['bf16', '1 KiB bindings'],
    ['q8_0', '1 KiB bindings'],
  ] as const)('%s, %s', async (dtype, where) => {
    const c = (where === 'one binding' ? ctx : split) as GpuContext;
    const [rows, cols] = [37, 70];
    const v = randn(rng(rows), rows * cols);
    v[5 * cols + 69] = -40; // the largest of row 5 is its last column
    for (let k = 0; k < cols; k++) v[7 * cols + k] = 0; // row 7: all zero
    const w: Weight = dtype === 'bf16' ? { dtype, rows, cols, data: f32ToBf16(v) } : quantizeQ8_0(rows, cols, v);
    const gw = await uploadWeight(c, w, 'w');
    if (where !== 'one binding') expect(gw.chunks.length).toBeGreaterThan(1);
    const m = await c.tensor('f32', [rows], 'm');
    const wv = weightVariant(dtype);
    const p = c.pipeline({ file: 'mma_row_max.wgsl', includes: { WEIGHT: wv.include }, bindings: [undefined, 'rw', 'read', wv.scales ? 'read' : undefined] });
    const rec = new Recorder(c).begin();
    for (const ch of gw.chunks) rec.dispatch(p, [undefined, m, ch.w, ch.d], 'uuu', [ch.rows, gw.k8s, ch.row0], [Math.ceil(ch.rows / 64), 1]);
    rec.submit();
    const got = await c.read(m);
    const dense = dequantize(w);
    for (let r = 0; r < rows; r++) {
      let want = 0;
      for (let k = 0; k < cols; k++) want = Math.max(want, Math.abs(dense[r * cols + k]));
      expect(got[r]).toBe(Math.fround(want));
    }
    expect(got[7]).toBe(0);
    m.buffer.destroy();
    destroyWeight(gw);
  });
});
