import type { DType } from './dtype.js';
import { checkInt } from './check.js';
import { DTypeError, ShapeError } from './errors.js';
import { QK8_0, q8_0PaddedCols } from './q8_0-layout.js';

/** Q8_0 storage: int8 values [..., paddedCols] and f16 scale bits [..., paddedCols / 32] (see Q8_0.md). */
export interface Q8_0Data {
  qs: Int8Array;
  d: Uint16Array;
}

/** The array type that holds a tensor of each dtype (bf16 and f16 as raw 16-bit patterns). */
export interface DataByDType {
  f32: Float32Array;
  bf16: Uint16Array;
  f16: Uint16Array;
  q8_0: Q8_0Data;
  i32: Int32Array;
  i64: BigInt64Array;
}

/** Number of elements of a shape (1 for a scalar `[]`). */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

/** Row-major strides, in elements. */
export function shapeStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

function dataLength(dtype: DType, data: DataByDType[DType]): string {
  if (dtype === 'q8_0') {
    const q = data as Q8_0Data;
    return `qs ${q.qs.length}, d ${q.d.length}`;
  }
  return String((data as Exclude<DataByDType[DType], Q8_0Data>).length);
}

function expectedLength(dtype: DType, shape: readonly number[]): string {
  if (dtype !== 'q8_0') return String(shapeSize(shape));
  const cols = shape[shape.length - 1];
  const outer = shapeSize(shape) / cols;
  const padded = q8_0PaddedCols(cols);
  return `qs ${outer * padded}, d ${(outer * padded) / QK8_0}`;
}

function zerosFor<D extends DType>(dtype: D, shape: readonly number[]): DataByDType[D] {
  const n = shapeSize(shape);
  switch (dtype) {
    case 'f32':
      return new Float32Array(n) as DataByDType[D];
    case 'bf16':
    case 'f16':
      return new Uint16Array(n) as DataByDType[D];
    case 'i32':
      return new Int32Array(n) as DataByDType[D];
    case 'i64':
      return new BigInt64Array(n) as DataByDType[D];
    case 'q8_0': {
      const cols = shape[shape.length - 1];
      const padded = (n / cols) * q8_0PaddedCols(cols);
      return { qs: new Int8Array(padded), d: new Uint16Array(padded / QK8_0) } as DataByDType[D];
    }
    default:
      throw new DTypeError(`Tensor: unknown dtype '${String(dtype)}'; use one of f32, bf16, f16, q8_0, i32, i64`);
  }
}

/** A dense row-major tensor: a dtype, a shape and the typed array (or Q8_0 arrays) that holds it. */
export class Tensor<D extends DType = DType> {
  readonly dtype: D;
  readonly shape: readonly number[];
  readonly data: DataByDType[D];

  constructor(dtype: D, shape: readonly number[], data: DataByDType[D]) {
    for (const [i, s] of shape.entries()) checkInt('Tensor', `shape[${i}]`, s, 0);
    if (dtype === 'q8_0' && (shape.length === 0 || shape[shape.length - 1] === 0)) {
      throw new ShapeError(`Tensor: a q8_0 tensor needs a last dimension >= 1 (the quantized rows), got [${shape.join(', ')}]`);
    }
    const want = expectedLength(dtype, shape);
    const got = dataLength(dtype, data);
    if (want !== got) {
      throw new ShapeError(
        `Tensor: ${dtype} data of length ${got} does not fit shape [${shape.join(', ')}], which needs ${want}; check the shape or the buffer`,
      );
    }
    this.dtype = dtype;
    this.shape = Object.freeze([...shape]);
    this.data = data;
  }

  /** A zero-filled tensor. */
  static zeros<D extends DType>(dtype: D, shape: readonly number[]): Tensor<D> {
    for (const [i, s] of shape.entries()) checkInt('Tensor.zeros', `shape[${i}]`, s, 0);
    return new Tensor(dtype, shape, zerosFor(dtype, shape));
  }

  /** Number of elements. */
  get size(): number {
    return shapeSize(this.shape);
  }

  /** Number of dimensions. */
  get rank(): number {
    return this.shape.length;
  }

  /** Row-major strides, in elements. */
  get strides(): number[] {
    return shapeStrides(this.shape);
  }

  /** The same data seen with another shape of the same size (q8_0: the last dimension must stay). */
  reshape(shape: readonly number[]): Tensor<D> {
    if (shapeSize(shape) !== this.size || (this.dtype === 'q8_0' && shape[shape.length - 1] !== this.shape[this.rank - 1])) {
      throw new ShapeError(
        `Tensor.reshape: cannot view ${this.dtype} [${this.shape.join(', ')}] as [${shape.join(', ')}]` +
          (this.dtype === 'q8_0' ? ' (q8_0 keeps its last dimension)' : ' (sizes differ)'),
      );
    }
    return new Tensor(this.dtype, shape, this.data);
  }
}
