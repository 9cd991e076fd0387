import { ShapeError } from './errors.js';

/** Throws unless `v` is an integer >= `min` (a dimension or a count). */
export function checkInt(op: string, name: string, v: number, min = 1): void {
  if (!Number.isInteger(v) || v < min) {
    throw new ShapeError(`${op}: ${name} must be an integer >= ${min}, got ${v}; pass the dimension from the model config`);
  }
}

/** Throws unless `arr` holds at least `need` elements; `shape` names the expected layout. */
export function checkLength(op: string, name: string, arr: ArrayLike<unknown>, need: number, shape: string): void {
  if (arr.length < need) {
    throw new ShapeError(
      `${op}: ${name} has ${arr.length} elements but ${shape} needs ${need}; allocate it with that size or fix the dimensions passed`,
    );
  }
}
