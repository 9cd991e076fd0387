import { ShapeError } from './errors.js';

/** Throws unless `v` is an integer >= `min` (a dimension or a count). */
export function checkInt(op: string, name: string, v: number, min = 1): void {
  if (!Number.isInteger(v) || v < min) {
    throw new ShapeError(`${op}: ${name} must be an integer >= ${min}, got ${v}; pass the dimension from the model config`);
  }
}

/**
 * Throws unless `arr` holds at least `need` elements. `layout` is a constant such as '[T, cols]'
 * (a literal, so that a passing check builds no string: ops run in the decode loop).
 */
export function checkLength(
  op: string,
  name: string,
  arr: ArrayLike<unknown>,
  need: number,
  layout: string,
  d0?: number,
  d1?: number,
  d2?: number,
): void {
  if (arr.length < need) {
    const dims = [d0, d1, d2].filter((d) => d !== undefined);
    const values = dims.length > 0 ? ` = [${dims.join(', ')}]` : '';
    throw new ShapeError(
      `${op}: ${name} ${layout}${values} needs ${need} elements but has ${arr.length}; allocate it with that size or fix the dimensions passed`,
    );
  }
}
