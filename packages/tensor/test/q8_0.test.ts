// Q8_0 layout and rounding, byte by byte (see ../Q8_0.md). Expected bytes are derived here from ggml's
// quantize_row_q8_0_ref rule: d = amax/127 in f32, stored as f16 (nearest even); q = roundf(x · f32(1/d)).
import { describe, expect, test } from 'vitest';
import {
  dequantize,
  dequantizeRow,
  embedding,
  matmul,
  NonFiniteError,
  q8_0ToGgmlBlocks,
  quantizeQ8_0,
  ShapeError,
  type Weight,
} from '../src/index.js';
import { relL2 } from './safetensors.js';

type Q8 = Extract<Weight, { dtype: 'q8_0' }>;

function quantize(values: number[][], cols: number): Q8 {
  const src = new Float32Array(values.length * cols);
  values.forEach((row, r) => src.set(row, r * cols));
  return quantizeQ8_0(values.length, cols, src) as Q8;
}

function block(head: number[]): number[] {
  return [...head, ...new Array<number>(32 - head.length).fill(0)];
}

describe('quantizeQ8_0 byte layout', () => {
  test('ties round away from zero (C roundf), d = 1 is f16 0x3c00', () => {
    // amax = 127 → d = 1, id = 1, so q = roundf(x) exactly
    const w = quantize([block([0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 126.5, -127, 0.49999997, 3.4999998])], 32);
    expect(w.d).toEqual(new Uint16Array([0x3c00]));
    expect(Array.from(w.qs)).toEqual(block([1, -1, 2, -2, 3, -3, 127, -127, 0, 3]));
  });

  test('amax from a negative value: d = 2 (f16 0x4000), the extreme maps to -127', () => {
    // id = 0.5: 3 → 1.5 → 2, -3 → -2, 1 → 0.5 → 1, 5 → 2.5 → 3, -1 → -0.5 → -1
    const w = quantize([block([3, -254, -3, 1, 5, -1, 100])], 32);
    expect(w.d).toEqual(new Uint16Array([0x4000]));
    expect(Array.from(w.qs)).toEqual(block([2, -127, -2, 1, 3, -1, 50]));
  });

  test('an all-zero block has d = 0 and q = 0', () => {
    const w = quantize([block([]), block([0, -0])], 32);
    expect(w.d).toEqual(new Uint16Array([0, 0]));
    expect(w.qs.every((q) => q === 0)).toBe(true);
  });

  test('q uses the f32 inverse of the unrounded d, not the f16 scale', () => {
    // amax = 0.75: d = f32(0.75/127) = 0.005905512, f16 → 0x1e0c (= 0.0059051514, 524/1024 mantissa, exp 2^-8);
    // x = f32(1.5 d): x · f32(1/d) = 1.4999999 → 1, while x / f16(d) = 1.50009 would give 2
    const d = Math.fround(0.75 / 127);
    const x = Math.fround(1.5 * d);
    const w = quantize([block([0.75, x, -x])], 32);
    expect(w.d).toEqual(new Uint16Array([0x1e0c]));
    expect(Array.from(w.qs)).toEqual(block([127, 1, -1]));
  });

  test('a tiny block gets a subnormal f16 scale', () => {
    // d = 0.001/127 = 7.874e-6 = 132.1 · 2^-24 → subnormal half 0x0084
    const w = quantize([block([0.001, -0.0005])], 32);
    expect(w.d).toEqual(new Uint16Array([0x0084]));
    expect(Array.from(w.qs)).toEqual(block([127, -64])); // -0.0005 · id = -63.5 → -64
  });

  test('a row of 33 is two blocks, the second padded with zeros; rows are padded independently', () => {
    const row0 = [...new Array<number>(32).fill(0).map((_, j) => j - 15), -4]; // block 0 amax 16, block 1 = [-4]
    const row1 = [...new Array<number>(32).fill(1), 0]; // block 1 all zero
    const w = quantize([row0, row1], 33);
    expect(w.qs.length).toBe(2 * 64);
    expect(w.d.length).toBe(2 * 2);
    // block 0 of row 0: d = 16/127, id = f32(127/16) = 7.9375, q = roundf((j - 15) · 7.9375)
    const q0 = row0.slice(0, 32).map((v) => {
      const x0 = Math.fround(v * Math.fround(1 / Math.fround(16 / 127)));
      return Math.sign(x0) * Math.floor(Math.abs(x0) + 0.5);
    });
    expect(Array.from(w.qs.subarray(0, 32))).toEqual(q0);
    expect(q0.slice(0, 4)).toEqual([-119, -111, -103, -95]); // -15 · 7.9375 = -119.06, -14 · 7.9375 = -111.1, ...
    expect(Array.from(w.qs.subarray(32, 64))).toEqual(block([-127]));
    expect(Array.from(w.qs.subarray(64, 96))).toEqual(new Array<number>(32).fill(127));
    expect(Array.from(w.qs.subarray(96, 128))).toEqual(block([]));
    // 16/127 = 0.12598: 1.00787 · 2^-3 → exp 12, mantissa round(0.00787 · 1024 = 8.06) = 8 → 0x3008;
    // 4/127 = 1.00787 · 2^-5 → 0x2808; 1/127 = 1.00787 · 2^-7 → 0x2008
    expect(Array.from(w.d)).toEqual([0x3008, 0x2808, 0x2008, 0]);
  });

  test('ggml block bytes: f16 scale little endian, then the 32 int8 values', () => {
    const w = quantize([block([3, -254, -3, 1, 5, -1, 100]), block([0.5, -0.5])], 32);
    const bytes = q8_0ToGgmlBlocks(w);
    expect(bytes.length).toBe(2 * 34);
    expect(Array.from(bytes.subarray(0, 10))).toEqual([0x00, 0x40, 2, 0x81, 0xfe, 1, 3, 0xff, 50, 0]);
    // block 2: amax 0.5 → d = 0.5/127 = 1.00787 · 2^-8 → exp 7, mantissa 8 → 0x1c08; q = ±127
    expect(Array.from(bytes.subarray(34, 38))).toEqual([0x08, 0x1c, 127, 0x81]);
    expect(() => q8_0ToGgmlBlocks(quantize([[1, 2, 3]], 3))).toThrow(ShapeError);
  });

  test('bf16 source quantizes like its f32 values', () => {
    const bits = new Uint16Array([0x3f80, 0xc000, 0x4040, 0x0000, 0xbf00]); // 1, -2, 3, 0, -0.5
    const a = quantizeQ8_0(1, 5, { bf16: bits }) as Q8;
    const b = quantizeQ8_0(1, 5, new Float32Array([1, -2, 3, 0, -0.5])) as Q8;
    expect(a.qs).toEqual(b.qs);
    expect(a.d).toEqual(b.d);
  });

  test('NaN and Infinity are refused with their position', () => {
    expect(() => quantizeQ8_0(2, 3, new Float32Array([0, 0, 0, 0, NaN, 0]))).toThrow(/\[1, 1\]/);
    expect(() => quantizeQ8_0(1, 2, new Float32Array([Infinity, 0]))).toThrow(NonFiniteError);
    expect(() => quantizeQ8_0(2, 3, new Float32Array(5))).toThrow(ShapeError);
  });
});

function randomWeight(rows: number, cols: number, seed: number): Float32Array {
  let s = seed;
  const w = new Float32Array(rows * cols);
  for (let i = 0; i < w.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    w[i] = (s / 2 ** 32 - 0.5) * (1 + (i % 7)); // uneven magnitudes across blocks
  }
  return w;
}

describe('q8_0 matmul, dequantizeRow, embedding', () => {
  test.each([
    [1, 5, 33],
    [3, 7, 64],
    [4, 3, 95],
    [2, 9, 1],
    [6, 4, 70],
  ])('matmul T=%i rows=%i cols=%i equals matmul with the dequantized weight', (T, rows, cols) => {
    const w = quantizeQ8_0(rows, cols, randomWeight(rows, cols, rows * cols));
    const x = randomWeight(T, cols, 7 + T);
    const out = new Float32Array(T * rows).fill(NaN);
    matmul(out, x, T, w);
    const ref = new Float32Array(T * rows);
    matmul(ref, x, T, { dtype: 'f32', rows, cols, data: dequantize(w) });
    expect(relL2(out, ref)).toBeLessThanOrEqual(1e-6);
  });

  test('dequantizeRow gives d · q in f32 and stops at cols', () => {
    const w = quantize([block([3, -254, -3]), block([0.5, -0.5])], 32);
    const out = new Float32Array(33).fill(7);
    dequantizeRow(w, 0, out);
    expect(Array.from(out.subarray(0, 4))).toEqual([4, -254, -4, 0]);
    expect(out[32]).toBe(7);
    dequantizeRow(w, 1, out);
    const d = 1032 / 2 ** 18; // f16 0x1c08 = (1024 + 8) · 2^(7 - 25)
    expect(out[0]).toBe(Math.fround(d * 127));
    expect(out[1]).toBe(Math.fround(d * -127));
  });

  test('embedding gathers q8_0 rows like dequantizeRow', () => {
    const rows = 6;
    const cols = 40;
    const w = quantizeQ8_0(rows, cols, randomWeight(rows, cols, 3));
    const out = new Float32Array(3 * cols);
    embedding(out, w, [5, 0, 5]);
    const row = new Float32Array(cols);
    for (const [t, id] of [5, 0, 5].entries()) {
      dequantizeRow(w, id, row);
      expect(out.subarray(t * cols, (t + 1) * cols)).toEqual(row);
    }
  });
});

describe('quantizeQ8_0 into a given weight', () => {
  test('writes the same bytes as a fresh quantization; refuses a weight of another shape and scales that overflow f16', () => {
    const w = randomWeight(3, 40, 5);
    const fresh = quantizeQ8_0(3, 40, w);
    const into = { dtype: 'q8_0' as const, rows: 3, cols: 40, qs: new Int8Array(3 * 64).fill(9), d: new Uint16Array(6).fill(9) };
    expect(quantizeQ8_0(3, 40, w, into)).toBe(into);
    expect(into.qs).toEqual(fresh.qs);
    expect(into.d).toEqual(fresh.d);
    expect(() => quantizeQ8_0(3, 41, randomWeight(3, 41, 1), into)).toThrow(/into must be a q8_0 weight \[3, 41\]/);
    expect(() => quantizeQ8_0(1, 2, new Float32Array([1e7, 0]))).toThrow(/overflows f16/);
  });
});
