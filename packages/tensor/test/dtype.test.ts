// bf16 / f16 conversion: exhaustive over all 16-bit patterns, round to nearest even at every midpoint.
import { describe, expect, test } from 'vitest';
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16, ShapeError } from '../src/index.js';

/** The value of an f16 bit pattern from its definition (sign, 5-bit exponent, 10-bit mantissa). */
function halfValue(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 31;
  const m = h & 1023;
  if (e === 31) return m === 0 ? sign * Infinity : NaN;
  return e === 0 ? sign * m * 2 ** -24 : sign * (1 + m / 1024) * 2 ** (e - 15);
}

function f32FromBits(bits: number): number {
  return new Float32Array(new Uint32Array([bits]).buffer)[0];
}

describe('bf16', () => {
  test('bf16ToF32 puts the 16 bits on top of an f32', () => {
    const out = bf16ToF32(new Uint16Array([0x3f80, 0xc000, 0x7f80, 0xff80, 0x0001, 0x8000]));
    expect(Array.from(out)).toEqual([1, -2, Infinity, -Infinity, 2 ** -133, -0]);
  });

  test('every non-NaN bf16 survives bf16 → f32 → bf16', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const back = f32ToBf16(bf16ToF32(all));
    for (let h = 0; h < 65536; h++) {
      if ((h & 0x7fff) > 0x7f80) expect(back[h]).toBe(0x7fc0);
      else if (back[h] !== h) expect(back[h]).toBe(h); // only reports on failure
    }
  });

  test('f32ToBf16 rounds to nearest, ties to even; overflow to Inf; NaN to 0x7fc0', () => {
    const src = new Float32Array([
      1 + 2 ** -8, // tie between 0x3f80 (even) and 0x3f81
      1 + 3 * 2 ** -8, // tie between 0x3f81 and 0x3f82 (even)
      1 + 2 ** -8 + 2 ** -20, // just above the tie
      -(1 + 2 ** -8 - 2 ** -20), // just below the tie, negative
      f32FromBits(0x7f7f8000), // tie between the largest bf16 (odd) and Inf
      NaN,
      f32FromBits(0xffc12345), // negative NaN with payload
    ]);
    expect(Array.from(f32ToBf16(src))).toEqual([0x3f80, 0x3f82, 0x3f81, 0xbf80, 0x7f80, 0x7fc0, 0x7fc0]);
  });

  test('dst is filled in place and must be long enough', () => {
    const dst = new Float32Array(3);
    expect(bf16ToF32(new Uint16Array([0x4000, 0x4040]), dst)).toBe(dst);
    expect(Array.from(dst)).toEqual([2, 3, 0]);
    expect(() => f32ToBf16(new Float32Array(3), new Uint16Array(2))).toThrow(ShapeError);
  });
});

describe('f16', () => {
  test('f16ToF32 matches the definition for all 65536 patterns', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const out = f16ToF32(all);
    for (let h = 0; h < 65536; h++) {
      const want = halfValue(h);
      if (Number.isNaN(want)) expect(out[h]).toBeNaN();
      else if (!Object.is(out[h], want)) expect([h, out[h]]).toEqual([h, want]);
    }
  });

  test('every non-NaN f16 survives f16 → f32 → f16; NaNs stay NaN', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const back = f32ToF16(f16ToF32(all));
    for (let h = 0; h < 65536; h++) {
      if (Number.isNaN(halfValue(h))) expect(Number.isNaN(halfValue(back[h]))).toBe(true);
      else if (back[h] !== h) expect(back[h]).toBe(h);
    }
  });

  test('f32ToF16 rounds every midpoint between neighbouring halves to the even one', () => {
    // positive finite halves 0x0000..0x7bff, subnormals included; the midpoint of h and h+1 is exact in f32
    const n = 0x7bff;
    const mid = new Float32Array(3 * n);
    for (let h = 0; h < n; h++) {
      const m = (halfValue(h) + halfValue(h + 1)) / 2;
      mid[3 * h] = m;
      mid[3 * h + 1] = Math.fround(m) === m ? nextDown(m) : NaN;
      mid[3 * h + 2] = nextUp(m);
    }
    const out = f32ToF16(mid);
    for (let h = 0; h < n; h++) {
      const even = h % 2 === 0 ? h : h + 1;
      const got = [out[3 * h], out[3 * h + 1], out[3 * h + 2]];
      if (got[0] !== even || got[1] !== h || got[2] !== h + 1) expect([h, ...got]).toEqual([h, even, h, h + 1]);
    }
  });

  test('f32ToF16 edges: overflow, underflow, signs, NaN', () => {
    const src = new Float32Array([65504, 65519.996, 65520, -70000, 2 ** -25, nextUp(2 ** -25), -(2 ** -26), -0, NaN, -Infinity]);
    expect(Array.from(f32ToF16(src))).toEqual([0x7bff, 0x7bff, 0x7c00, 0xfc00, 0x0000, 0x0001, 0x8000, 0x8000, 0x7e00, 0xfc00]);
  });
});

function nextUp(x: number): number {
  const b = new Uint32Array(new Float32Array([x]).buffer);
  b[0] += 1; // positive x only
  return new Float32Array(b.buffer)[0];
}

function nextDown(x: number): number {
  const b = new Uint32Array(new Float32Array([x]).buffer);
  b[0] -= 1; // positive x only
  return new Float32Array(b.buffer)[0];
}
