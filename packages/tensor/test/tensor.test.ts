import { describe, expect, test } from 'vitest';
import { DTypeError, ShapeError, Tensor, TensorError, quantizeQ8_0, shapeStrides, weightFromTensor } from '../src/index.js';

describe('Tensor', () => {
  test('size, rank and row-major strides', () => {
    const t = Tensor.zeros('f32', [2, 3, 5]);
    expect(t.size).toBe(30);
    expect(t.rank).toBe(3);
    expect(t.strides).toEqual([15, 5, 1]);
    expect(t.data).toBeInstanceOf(Float32Array);
    expect(shapeStrides([])).toEqual([]);
    expect(Tensor.zeros('f32', []).size).toBe(1);
  });

  test('zeros picks the array type of each dtype', () => {
    expect(Tensor.zeros('bf16', [4]).data).toBeInstanceOf(Uint16Array);
    expect(Tensor.zeros('f16', [4]).data).toBeInstanceOf(Uint16Array);
    expect(Tensor.zeros('i32', [4]).data).toBeInstanceOf(Int32Array);
    expect(Tensor.zeros('i64', [4]).data).toBeInstanceOf(BigInt64Array);
    const q = Tensor.zeros('q8_0', [3, 33]).data;
    expect(q.qs.length).toBe(3 * 64); // rows padded to whole blocks
    expect(q.d.length).toBe(3 * 2);
  });

  test('data must fit the shape; the shape is frozen', () => {
    expect(() => new Tensor('f32', [2, 3], new Float32Array(5))).toThrow(ShapeError);
    expect(() => new Tensor('f32', [2, 3], new Float32Array(5))).toThrow(/\[2, 3\]/);
    expect(() => new Tensor('f32', [2, -1], new Float32Array(0))).toThrow(ShapeError);
    expect(() => new Tensor('q8_0', [2, 33], { qs: new Int8Array(66), d: new Uint16Array(4) })).toThrow(ShapeError);
    const t = new Tensor('i32', [2, 2], new Int32Array(4));
    expect(Object.isFrozen(t.shape)).toBe(true);
  });

  test('reshape views the same data', () => {
    const t = new Tensor('f32', [2, 3], new Float32Array([1, 2, 3, 4, 5, 6]));
    const r = t.reshape([3, 2]);
    expect(r.data).toBe(t.data);
    expect(r.strides).toEqual([2, 1]);
    expect(() => t.reshape([4, 2])).toThrow(ShapeError);
    expect(() => Tensor.zeros('q8_0', [2, 32]).reshape([64])).toThrow(/last dimension/);
  });

  test('weightFromTensor wraps 2-D f32 / bf16 / q8_0 tensors without copying', () => {
    const f = new Tensor('f32', [2, 3], new Float32Array(6));
    const w = weightFromTensor(f);
    expect(w).toMatchObject({ dtype: 'f32', rows: 2, cols: 3 });
    expect(w.dtype === 'f32' && w.data).toBe(f.data);
    const q = quantizeQ8_0(2, 40, new Float32Array(80).fill(1));
    if (q.dtype !== 'q8_0') throw new Error('expected q8_0');
    const qt = new Tensor('q8_0', [2, 40], { qs: q.qs, d: q.d });
    expect(weightFromTensor(qt)).toEqual(q);
    expect(() => weightFromTensor(Tensor.zeros('i32', [2, 2]))).toThrow(DTypeError);
    expect(() => weightFromTensor(Tensor.zeros('f32', [4]))).toThrow(TensorError);
  });
});
