import { f32ToBf16, matmul as cpuMatmul, quantizeQ8_0, type Weight } from '@qo/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { Recorder, matmul, uploadWeight, type GpuContext } from '../src/index.js';
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

const contexts: [string, GpuContext | undefined][] = [
  ['default', await testContext()],
  ['no subgroups', await testContext({ subgroups: false })],
  ['split weights (1 KiB bindings)', await testContext({ splitBytes: 1024 })],
];

afterAll(() => {
  for (const [, c] of contexts) c?.destroy();
});

describe.each(contexts)('matmul on the GPU (%s) matches @qo/tensor', (_name, ctx) => {
  const cases: [dtype: 'f32' | 'bf16' | 'q8_0', T: number, rows: number, cols: number][] = [];
  for (const dtype of ['f32', 'bf16', 'q8_0'] as const) {
    for (const T of [1, 7, 33, 100]) cases.push([dtype, T, 7, 33], [dtype, T, 100, 65], [dtype, T, 33, 64]); // 64: aligned rows (vec4 loads)
  }
  cases.push(['bf16', 1, 1, 1], ['q8_0', 65, 129, 200], ['bf16', 70, 130, 300]);
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
});
