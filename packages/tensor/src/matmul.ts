import { checkInt, checkLength } from './check.js';
import { f16Values } from './dtype.js';
import { dot, dotQ8 } from './dot.js';
import { QK8_0, q8_0PaddedCols } from './q8_0-layout.js';
import { checkWeight, type Weight } from './weight.js';

// One bf16 row widened to f32, reused across calls (grows once to the widest row seen; then never allocates).
let rowBits = new Uint32Array(0);
let rowF32 = new Float32Array(0);

function bf16Row(src: Uint16Array, off: number, cols: number): Float32Array {
  if (rowF32.length < cols) {
    rowBits = new Uint32Array(cols);
    rowF32 = new Float32Array(rowBits.buffer);
  }
  const bits = rowBits;
  for (let j = 0; j < cols; j++) bits[j] = src[off + j] << 16;
  return rowF32;
}

/**
 * out[T, rows] = x[T, cols] · wᵀ, like `nn.Linear` without bias. Accumulates in double.
 * bf16 rows are widened once per row and reused for all T; q8_0 reads the int8 values directly,
 * one scale multiply per block.
 */
export function matmul(out: Float32Array, x: Float32Array, T: number, w: Weight): void {
  checkWeight('matmul', w);
  checkInt('matmul', 'T', T);
  const { rows, cols } = w;
  checkLength('matmul', 'x', x, T * cols, `x [T=${T}, cols=${cols}]`);
  checkLength('matmul', 'out', out, T * rows, `out [T=${T}, rows=${rows}]`);
  if (w.dtype === 'f32') {
    const data = w.data;
    for (let r = 0; r < rows; r++) {
      for (let t = 0; t < T; t++) out[t * rows + r] = dot(x, t * cols, data, r * cols, cols);
    }
  } else if (w.dtype === 'bf16') {
    const data = w.data;
    for (let r = 0; r < rows; r++) {
      const row = bf16Row(data, r * cols, cols);
      for (let t = 0; t < T; t++) out[t * rows + r] = dot(x, t * cols, row, 0, cols);
    }
  } else {
    matmulQ8_0(out, x, T, rows, cols, w.qs, w.d);
  }
}

function matmulQ8_0(out: Float32Array, x: Float32Array, T: number, rows: number, cols: number, qs: Int8Array, d: Uint16Array): void {
  const f16 = f16Values();
  const padded = q8_0PaddedCols(cols);
  const nb = padded / QK8_0;
  const full = Math.floor(cols / QK8_0);
  const tail = cols - full * QK8_0;
  for (let r = 0; r < rows; r++) {
    const qRow = r * padded;
    const dRow = r * nb;
    for (let t = 0; t < T; t++) {
      const xRow = t * cols;
      let acc = 0;
      for (let b = 0; b < full; b++) {
        acc += f16[d[dRow + b]] * dotQ8(x, xRow + b * QK8_0, qs, qRow + b * QK8_0, QK8_0);
      }
      if (tail > 0) acc += f16[d[dRow + full]] * dotQ8(x, xRow + full * QK8_0, qs, qRow + full * QK8_0, tail);
      out[t * rows + r] = acc;
    }
  }
}
