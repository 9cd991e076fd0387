import { QK8_0, f16ToF32, f32ToBf16, quantizeQ8_0, type Weight } from '@qo/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { packWeightRows, packedK8s, packedRowBytes, uploadWeight, type GpuContext } from '../src/index.js';
import { randn, rng, testContext } from './helpers.js';

// The byte layouts the kernels read (kernels/weight_*.wgsl, README "Packed weights"), word by word.

describe('packed weight layout', () => {
  it('bf16: two values per u32, the even column in the low half, rows padded with zeros to 8 columns', () => {
    const [rows, cols] = [2, 9];
    const bits = new Uint16Array(rows * cols).map((_, i) => 0x3f80 + i); // distinct bf16 patterns
    const p = packWeightRows({ dtype: 'bf16', rows, cols, data: bits }, 0, rows);
    expect(packedK8s('bf16', cols)).toBe(2);
    expect(p.w.byteLength).toBe(rows * 16 * 2);
    expect(packedRowBytes('bf16', cols)).toEqual({ w: 32, d: 0 });
    const words = new Uint32Array(p.w.buffer, p.w.byteOffset, p.w.byteLength / 4);
    expect(words[0]).toBe(((0x3f80 + 1) << 16) | 0x3f80); // row 0, cols 0 (low) and 1 (high)
    expect(words[4]).toBe(0x3f80 + 8); // row 0, col 8 (low), col 9 padding (high) = 0
    expect(Array.from(words.subarray(5, 8))).toEqual([0, 0, 0]);
    expect(words[8]).toBe(((0x3f80 + 10) << 16) | (0x3f80 + 9)); // row 1 starts at word 8 (16 bf16)
    expect(p.d).toBeUndefined();
  });

  it('f32: rows padded with zeros to 8 columns', () => {
    const data = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const p = packWeightRows({ dtype: 'f32', rows: 2, cols: 5, data }, 0, 2);
    expect(Array.from(new Float32Array(p.w.buffer))).toEqual([1, 2, 3, 4, 5, 0, 0, 0, 6, 7, 8, 9, 10, 0, 0, 0]);
  });

  it('q8_0: int8 values of whole blocks, 4 per little-endian u32, and f32 scales [rows, blocks]', () => {
    const [rows, cols] = [3, 33];
    const v = randn(rng(2), rows * cols, 4);
    const w = quantizeQ8_0(rows, cols, v) as Extract<Weight, { dtype: 'q8_0' }>;
    const p = packWeightRows(w, 1, 2); // rows 1 and 2
    const padded = 64;
    expect(packedK8s('q8_0', cols)).toBe(padded / 8);
    expect(packedRowBytes('q8_0', cols)).toEqual({ w: padded, d: (padded / QK8_0) * 4 });
    expect(p.w.byteLength).toBe(2 * padded);
    const words = new Uint32Array(p.w.buffer, p.w.byteOffset, p.w.byteLength / 4);
    const q = (r: number, c: number): number => w.qs[r * padded + c] & 0xff;
    expect(words[0]).toBe((q(1, 0) | (q(1, 1) << 8) | (q(1, 2) << 16) | (q(1, 3) << 24)) >>> 0);
    expect(words[padded / 4 + 8]).toBe((q(2, 32) | (q(2, 33) << 8) | (q(2, 34) << 16) | (q(2, 35) << 24)) >>> 0);
    expect(q(2, 33)).toBe(0); // padding of the last block
    expect(Array.from(p.d as Float32Array)).toEqual(Array.from(f16ToF32(w.d.subarray(2, 6))));
    // value = d · q reproduces the CPU dequantization
    const d = p.d as Float32Array;
    const signed = new Int8Array(p.w.buffer, p.w.byteOffset, p.w.byteLength);
    expect(d[3] * signed[padded + 32]).toBeCloseTo(f16ToF32(w.d.subarray(5, 6))[0] * w.qs[2 * padded + 32], 12);
  });

  it('refuses rows outside the weight', () => {
    expect(() => packWeightRows({ dtype: 'f32', rows: 2, cols: 2, data: new Float32Array(4) }, 1, 2)).toThrow(/outside a weight of 2 rows/);
  });
});

const ctx = await testContext({ splitBytes: 256 });
afterAll(() => ctx?.destroy());

describe('uploadWeight', () => {
  it.skipIf(ctx === undefined)('splits by rows so that each chunk fits splitBytes', async () => {
    const c = ctx as GpuContext;
    const w: Weight = { dtype: 'bf16', rows: 37, cols: 20, data: f32ToBf16(randn(rng(3), 37 * 20)) };
    const g = await uploadWeight(c, w, 'embed_tokens');
    const perChunk = Math.floor(256 / packedRowBytes('bf16', 20).w); // 48 bytes a row → 5 rows
    expect(perChunk).toBe(5);
    expect(g.chunks.map((ch) => [ch.row0, ch.rows])).toEqual(Array.from({ length: 8 }, (_, i) => [i * 5, i < 7 ? 5 : 2]));
    for (const ch of g.chunks) expect(ch.w.size).toBeLessThanOrEqual(256);
    const q = await uploadWeight(c, quantizeQ8_0(9, 40, randn(rng(4), 360)), 'q');
    expect(q.chunks.every((ch) => ch.d !== undefined && ch.w.size <= 256 && ch.d.size <= 256)).toBe(true);
    expect(q.chunks.reduce((a, ch) => a + ch.rows, 0)).toBe(9);
  });
});
