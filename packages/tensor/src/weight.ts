import { checkInt, checkLength } from './check.js';
import { bf16Values, f16Values } from './dtype.js';
import { DTypeError, IndexOutOfRangeError } from './errors.js';
import { QK8_0, q8_0PaddedCols } from './q8_0-layout.js';
import type { Tensor } from './tensor.js';

/**
 * A 2-D weight laid out like `nn.Linear.weight`: [rows = out_features, cols = in_features].
 * q8_0: `qs` int8 [rows, paddedCols], `d` f16 bits [rows, paddedCols / 32] (see Q8_0.md).
 */
export type Weight =
  | { dtype: 'f32'; rows: number; cols: number; data: Float32Array }
  | { dtype: 'bf16'; rows: number; cols: number; data: Uint16Array }
  | { dtype: 'q8_0'; rows: number; cols: number; qs: Int8Array; d: Uint16Array };

/** Throws unless the weight's arrays hold [rows, cols]. */
export function checkWeight(op: string, w: Weight): void {
  checkInt(op, 'weight rows', w.rows);
  checkInt(op, 'weight cols', w.cols);
  switch (w.dtype) {
    case 'f32':
    case 'bf16':
      checkLength(op, 'weight data', w.data, w.rows * w.cols, '[rows, cols]', w.rows, w.cols);
      return;
    case 'q8_0': {
      const padded = q8_0PaddedCols(w.cols);
      checkLength(op, 'weight qs', w.qs, w.rows * padded, '[rows, cols padded to a multiple of 32]', w.rows, padded);
      checkLength(op, 'weight d', w.d, (w.rows * padded) / QK8_0, '[rows, blocks of 32 a row]', w.rows, padded / QK8_0);
      return;
    }
    default:
      throw new DTypeError(`${op}: weight dtype '${(w as { dtype: string }).dtype}' is not supported; use f32, bf16 or q8_0`);
  }
}

/** Writes row `row` of `w` as f32 to `out[outOff .. outOff + cols)`; no checks, no allocation. */
export function dequantizeRowAt(w: Weight, row: number, out: Float32Array, outOff: number): void {
  const cols = w.cols;
  if (w.dtype === 'f32') {
    const src = w.data;
    const off = row * cols;
    for (let j = 0; j < cols; j++) out[outOff + j] = src[off + j];
  } else if (w.dtype === 'bf16') {
    const src = w.data;
    const bf16 = bf16Values();
    const off = row * cols;
    for (let j = 0; j < cols; j++) out[outOff + j] = bf16[src[off + j]];
  } else {
    const f16 = f16Values();
    const padded = q8_0PaddedCols(cols);
    const qOff = row * padded;
    const dOff = row * (padded / QK8_0);
    for (let j = 0; j < cols; j++) out[outOff + j] = f16[w.d[dOff + ((j / QK8_0) | 0)]] * w.qs[qOff + j];
  }
}

/** Writes row `row` of `w` as f32 into `out` (length >= cols). Dequantizes bf16 and q8_0 (d · q, in f32). */
export function dequantizeRow(w: Weight, row: number, out: Float32Array): void {
  checkWeight('dequantizeRow', w);
  if (!Number.isInteger(row) || row < 0 || row >= w.rows) {
    throw new IndexOutOfRangeError(`dequantizeRow: row ${row} is outside a weight of ${w.rows} rows`);
  }
  checkLength('dequantizeRow', 'out', out, w.cols, '[cols]', w.cols);
  dequantizeRowAt(w, row, out, 0);
}

/** The whole weight as f32 [rows, cols] (allocates; for loading and tests, not for the forward pass). */
export function dequantize(w: Weight): Float32Array {
  checkWeight('dequantize', w);
  const out = new Float32Array(w.rows * w.cols);
  for (let r = 0; r < w.rows; r++) dequantizeRowAt(w, r, out, r * w.cols);
  return out;
}

/** A 2-D f32, bf16 or q8_0 tensor as a Weight (no copy). */
export function weightFromTensor(t: Tensor): Weight {
  if (t.rank !== 2) {
    throw new DTypeError(`weightFromTensor: a weight must be 2-D [out_features, in_features], got [${t.shape.join(', ')}]`);
  }
  const [rows, cols] = t.shape;
  switch (t.dtype) {
    case 'f32':
      return { dtype: 'f32', rows, cols, data: t.data as Float32Array };
    case 'bf16':
      return { dtype: 'bf16', rows, cols, data: t.data as Uint16Array };
    case 'q8_0': {
      const q = t.data as { qs: Int8Array; d: Uint16Array };
      return { dtype: 'q8_0', rows, cols, qs: q.qs, d: q.d };
    }
    default:
      throw new DTypeError(`weightFromTensor: ${t.dtype} tensors cannot be weights; convert to f32 or bf16, or quantize to q8_0`);
  }
}
