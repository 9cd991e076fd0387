import { describe, expect, it } from 'vitest';
import { argmax, argmaxAgreement, compareTensors, top2Margin } from '../src/metrics.js';
import { boundFailure, describeBound, fmt, THRESHOLDS } from '../src/thresholds.js';

describe('compareTensors', () => {
  it('is zero error for identical tensors', () => {
    const a = new Float32Array([0.5, -2, 3.25]);
    expect(compareTensors(a, a.slice())).toEqual({ maxAbsDiff: 0, meanAbsDiff: 0, relL2: 0, cosine: 1 });
  });

  it('computes each metric by its definition', () => {
    // a − b = [0, 0, −1]; ‖b‖² = 1 + 4 + 16 = 21; a·b = 1 + 4 + 12 = 17; ‖a‖² = 14
    const m = compareTensors([1, 2, 3], [1, 2, 4]);
    expect(m.maxAbsDiff).toBe(1);
    expect(m.meanAbsDiff).toBeCloseTo(1 / 3, 15);
    expect(m.relL2).toBeCloseTo(1 / Math.sqrt(21), 15);
    expect(m.cosine).toBeCloseTo(17 / Math.sqrt(14 * 21), 15);
    expect(m.argmaxAgreement).toBeUndefined();
  });

  it('separates scale errors (relL2) from direction errors (cosine)', () => {
    const b = [1, -2, 0.5, 4];
    const twice = compareTensors(b.map((x) => 2 * x), b);
    expect(twice.relL2).toBeCloseTo(1, 15);
    expect(twice.cosine).toBeCloseTo(1, 15);
    const neg = compareTensors(b.map((x) => -x), b);
    expect(neg.relL2).toBeCloseTo(2, 15);
    expect(neg.cosine).toBeCloseTo(-1, 15);
  });

  it('accumulates in float64 (no float32 rounding drift over long tensors)', () => {
    const n = 1 << 20;
    const b = new Float32Array(n).fill(0.1); // a float32 running sum of 0.01s drifts by ~1e-3 over 2^20 terms
    const a = b.map((x, i) => (i === 0 ? x + 1e-3 : x));
    const expected = (a[0] - b[0]) / Math.sqrt(n * b[0] * b[0]);
    expect(compareTensors(a, b).relL2 / expected - 1).toBeLessThan(1e-9);
    expect(compareTensors(a, b).relL2 / expected - 1).toBeGreaterThan(-1e-9);
  });

  it('handles zero references without dividing by zero', () => {
    expect(compareTensors([0, 0], [0, 0])).toMatchObject({ relL2: 0, cosine: 1 });
    expect(compareTensors([1, 0], [0, 0])).toMatchObject({ relL2: Infinity, cosine: 0 });
  });

  it('turns NaN or Infinity in the model output into NaN metrics that fail every bound', () => {
    for (const bad of [NaN, Infinity]) {
      const m = compareTensors([1, bad, 3], [1, 2, 3], 3);
      expect(m.relL2).toBeNaN();
      expect(m.cosine).toBeNaN();
      expect(m.argmaxAgreement).toBeNaN();
      expect(boundFailure(m, THRESHOLDS.bf16.hidden)).toBe('relL2 NaN > 1e-4');
      expect(boundFailure({ ...m, relL2: 0 }, THRESHOLDS.q8_0.logits)).toMatch(/^cosine NaN < 0\.998/);
    }
  });

  it('refuses tensors of different lengths', () => {
    expect(() => compareTensors([1, 2], [1, 2, 3])).toThrow(RangeError);
  });

  it('reports argmax agreement per row when given a row size', () => {
    const b = [0, 1, 0, /**/ 5, 0, 0, /**/ 0, 0, 1, /**/ 1, 2, 3];
    const a = [0, 1, 0, /**/ 0, 5, 0, /**/ 0, 0, 1, /**/ 3, 2, 1];
    expect(compareTensors(a, b, 3).argmaxAgreement).toBe(0.5);
    expect(argmaxAgreement(a, b, 3)).toBe(0.5);
    expect(() => argmaxAgreement(a, b, 5)).toThrow(RangeError);
  });
});

describe('argmax and top2Margin', () => {
  it('takes the first index on ties, as torch.argmax does', () => {
    expect(argmax([1, 3, 3, 2])).toBe(1);
    expect(argmax([-5, -1, -2])).toBe(1);
    expect(argmax([9, 9, 1, 7, 8], 2, 3)).toBe(2); // row [1, 7, 8] → index 2 within it
  });

  it('measures the gap between the two largest values', () => {
    expect(top2Margin([0.1, 2.5, -1, 2])).toBeCloseTo(0.5, 12);
    expect(top2Margin([4, 4, 1])).toBe(0);
    expect(top2Margin([9, 1, 3, 2, 9], 1, 3)).toBe(1);
  });
});

describe('thresholds', () => {
  it('states the f32-compute bound from REFERENCE_FORMAT.md for both bf16 and f32 weights', () => {
    for (const d of ['bf16', 'f32'] as const) {
      const t = THRESHOLDS[d];
      for (const b of [t.hidden, t.routerLogits, t.logits, t.decodeLogits]) expect(b.maxRelL2).toBe(1e-4);
      expect(t.greedy).toBe('exact');
    }
  });

  it('checks every bound in turn and says which one failed', () => {
    const b = { maxRelL2: 1e-2, minCosine: 0.99, minArgmaxAgreement: 0.9 };
    expect(boundFailure({ relL2: 1e-3, cosine: 0.999, argmaxAgreement: 1 }, b)).toBe('');
    expect(boundFailure({ relL2: 3.14e-2, cosine: 0.999, argmaxAgreement: 1 }, b)).toBe('relL2 3.1e-2 > 1e-2');
    expect(boundFailure({ relL2: 1e-3, cosine: 0.98, argmaxAgreement: 1 }, b)).toBe('cosine 0.980000 < 0.99');
    expect(boundFailure({ relL2: 1e-3, cosine: 0.999, argmaxAgreement: 0.8 }, b)).toBe('argmax agreement 0.800 < 0.9');
    expect(boundFailure({ relL2: 1e-3, cosine: 0.999 }, b)).toMatch(/^argmax agreement NaN/);
    expect(describeBound(b)).toBe('relL2≤1e-2 cos≥0.99 argmax≥0.9');
  });

  it('prints short scientific numbers', () => {
    expect(fmt(1e-4)).toBe('1e-4');
    expect(fmt(0.0314)).toBe('3.1e-2');
    expect(fmt(0)).toBe('0');
    expect(fmt(NaN)).toBe('NaN');
  });
});
