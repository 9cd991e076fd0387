import { GpuDTypeError, GpuShapeError } from './errors.js';
import type { GpuDType, GpuTensor } from './tensor.js';

/** Throws unless `v` is an integer >= `min`. */
export function checkInt(op: string, name: string, v: number, min = 1): void {
  if (!Number.isInteger(v) || v < min) {
    throw new GpuShapeError(`${op}: ${name} must be an integer >= ${min}, got ${v}; pass the dimension from the model config`);
  }
}

/** Throws unless the tensor is of `dtype` and holds at least `need` elements. */
export function checkTensor(op: string, name: string, t: GpuTensor, need: number, layout: string, dtype: GpuDType = 'f32'): void {
  if (t.dtype !== dtype) {
    throw new GpuDTypeError(`${op}: ${name} ('${t.label}') is ${t.dtype} but must be ${dtype}`);
  }
  if (t.size < need) {
    throw new GpuShapeError(
      `${op}: ${name} ('${t.label}', ${t.size} elements) is too small for ${layout}, which needs ${need}; allocate it with that size or fix the dimensions`,
    );
  }
}

/** Throws unless a and b are different buffers (WebGPU forbids a writable binding aliasing another binding). */
export function checkDistinct(op: string, a: [string, GpuTensor], b: [string, GpuTensor]): void {
  if (a[1].buffer === b[1].buffer) {
    throw new GpuShapeError(`${op}: ${a[0]} and ${b[0]} are the same buffer ('${a[1].label}'); the output must be a separate tensor`);
  }
}
