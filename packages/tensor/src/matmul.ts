import { checkInt, checkLength } from './check.js';
import { bf16Values, f16Values } from './dtype.js';
import { dot, dot4, dotBf16, dotQ8 } from './dot.js';
import { QK8_0, q8_0PaddedCols } from './q8_0-layout.js';
import { checkWeight, type Weight } from './weight.js';

// One bf16 row widened to f32 for T >= 4, reused across calls (grows once to the widest row; then no allocation).
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

/** out[t, r] = x[t, :] · w[wOff .. wOff + cols) for all t, four activation rows per pass over the weight row. */
function rowTimesX(out: Float32Array, r: number, rows: number, x: Float32Array, T: number, cols: number, w: Float32Array, wOff: number): void {
  let t = 0;
  for (; t + 4 <= T; t += 4) dot4(out, t * rows + r, rows, x, t * cols, cols, w, wOff, cols);
  for (; t < T; t++) out[t * rows + r] = dot(x, t * cols, w, wOff, cols);
}

/**
 * out[T, rows] = x[T, cols] · wᵀ, like `nn.Linear` without bias. Accumulates in double; never allocates
 * (after the first bf16 call with T >= 4 has sized its row buffer).
 * bf16: for T < 4 each value is read through a bf16 → f32 table; for T >= 4 a row is widened once and
 * shared by four activation rows at a time. q8_0 reads the int8 values directly, one scale multiply per block.
 */
export function matmul(out: Float32Array, x: Float32Array, T: number, w: Weight): void {
  checkWeight('matmul', w);
  checkInt('matmul', 'T', T);
  const { rows, cols } = w;
  checkLength('matmul', 'x', x, T * cols, '[T, cols]', T, cols);
  checkLength('matmul', 'out', out, T * rows, '[T, rows]', T, rows);
  if (w.dtype === 'f32') {
    for (let r = 0; r < rows; r++) rowTimesX(out, r, rows, x, T, cols, w.data, r * cols);
  } else if (w.dtype === 'bf16') {
    const data = w.data;
    if (T < 4) {
      const bf16 = bf16Values();
      for (let r = 0; r < rows; r++) {
        for (let t = 0; t < T; t++) out[t * rows + r] = dotBf16(x, t * cols, data, r * cols, cols, bf16);
      }
    } else {
      for (let r = 0; r < rows; r++) rowTimesX(out, r, rows, x, T, cols, bf16Row(data, r * cols, cols), 0);
    }
  } else {
    matmulQ8_0(out, x, T, rows, cols, w.qs, w.d);
  }
}

function matmulQ8_0(out: Float32Array, x: Float32Array, T: number, rows: number, cols: number, qs: Int8Array, d: Uint16Array): void {
  const f16 = f16Values();
  const padded = q8_0PaddedCols(cols);
  const nb = padded / QK8_0;
  for (let r = 0; r < rows; r++) {
    let t = 0;
    for (; t + 4 <= T; t += 4) q8Rows4(out, t * rows + r, rows, x, t * cols, cols, qs, r * padded, d, r * nb, f16);
    for (; t < T; t++) {
      const xRow = t * cols;
      const qRow = r * padded;
      let acc = 0;
      for (let b = 0, c0 = 0; c0 < cols; b++, c0 += QK8_0) {
        acc += f16[d[r * nb + b]] * dotQ8(x, xRow + c0, qs, qRow + c0, Math.min(QK8_0, cols - c0));
      }
      out[t * rows + r] = acc;
    }
  }
}

/** Four activation rows against one q8_0 row: each int8 is loaded once, each block scale applied once per row. */
function q8Rows4(
  out: Float32Array,
  o: number,
  oStride: number,
  x: Float32Array,
  x0: number,
  cols: number,
  qs: Int8Array,
  qRow: number,
  d: Uint16Array,
  dRow: number,
  f16: Float32Array,
): void {
  const x1 = x0 + cols;
  const x2 = x1 + cols;
  const x3 = x2 + cols;
  let a0 = 0;
  let a1 = 0;
  let a2 = 0;
  let a3 = 0;
  for (let b = 0, c0 = 0; c0 < cols; b++, c0 += QK8_0) {
    const end = Math.min(QK8_0, cols - c0);
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let i = 0; i < end; i++) {
      const q = qs[qRow + c0 + i];
      const c = c0 + i;
      s0 += x[x0 + c] * q;
      s1 += x[x1 + c] * q;
      s2 += x[x2 + c] * q;
      s3 += x[x3 + c] * q;
    }
    const scale = f16[d[dRow + b]];
    a0 += scale * s0;
    a1 += scale * s1;
    a2 += scale * s2;
    a3 += scale * s3;
  }
  out[o] = a0;
  out[o + oStride] = a1;
  out[o + 2 * oStride] = a2;
  out[o + 3 * oStride] = a3;
}
