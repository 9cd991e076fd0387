import { checkInt, checkLength } from './check.js';
import { bf16Values, numberToF16 } from './dtype.js';
import { NonFiniteError, ShapeError } from './errors.js';
import { QK8_0, q8_0PaddedCols } from './q8_0-layout.js';
import { checkWeight, type Weight } from './weight.js';

/**
 * Quantizes a [rows, cols] f32 or bf16 weight to Q8_0 with ggml's `quantize_row_q8_0_ref` rule, block by block
 * (32 values along a row, the last block of a row padded with zeros):
 *   amax = max |x|;  d = amax / 127 (f32);  id = d ? 1 / d : 0 (f32);  q = roundf(x · id) (ties away from zero);
 *   the stored scale is d rounded to f16 (nearest even); q uses the unrounded f32 d.
 * Allocates the result (a load-time step), or writes into `into` (a q8_0 weight of the same shape, e.g.
 * from `CpuBackend.weight`). Throws NonFiniteError on NaN or ±Infinity, and when a block's scale
 * overflows f16 (|x| > 65504 · 127), which no Q8_0 block can represent either.
 */
export function quantizeQ8_0(
  rows: number,
  cols: number,
  src: Float32Array | { bf16: Uint16Array },
  into?: Extract<Weight, { dtype: 'q8_0' }>,
): Extract<Weight, { dtype: 'q8_0' }> {
  checkInt('quantizeQ8_0', 'rows', rows);
  checkInt('quantizeQ8_0', 'cols', cols);
  const isBf16 = !(src instanceof Float32Array);
  if (isBf16 && !(src.bf16 instanceof Uint16Array)) {
    throw new ShapeError('quantizeQ8_0: src must be a Float32Array or { bf16: Uint16Array }');
  }
  const values = isBf16 ? src.bf16 : src;
  checkLength('quantizeQ8_0', 'src', values, rows * cols, '[rows, cols]', rows, cols);
  const padded = q8_0PaddedCols(cols);
  const nb = padded / QK8_0;
  if (into !== undefined && (into.dtype !== 'q8_0' || into.rows !== rows || into.cols !== cols)) {
    throw new ShapeError(`quantizeQ8_0: into must be a q8_0 weight [${rows}, ${cols}], got ${String(into.dtype)} [${into.rows}, ${into.cols}]`);
  }
  if (into !== undefined) checkWeight('quantizeQ8_0', into);
  const qs = into?.qs ?? new Int8Array(rows * padded);
  const d = into?.d ?? new Uint16Array(rows * nb);
  const block = new Float32Array(QK8_0);
  const bf16 = bf16Values();
  for (let r = 0; r < rows; r++) {
    for (let b = 0; b < nb; b++) {
      const c0 = b * QK8_0;
      const n = Math.min(QK8_0, cols - c0);
      let amax = 0;
      for (let j = 0; j < QK8_0; j++) {
        const v = j < n ? (isBf16 ? bf16[values[r * cols + c0 + j]] : values[r * cols + c0 + j]) : 0;
        if (!Number.isFinite(v)) {
          throw new NonFiniteError(
            `quantizeQ8_0: value ${v} at [${r}, ${c0 + j}] cannot be quantized; the source weight is corrupt or was not converted correctly`,
          );
        }
        block[j] = v;
        const a = Math.abs(v);
        if (a > amax) amax = a;
      }
      const dF32 = Math.fround(amax / 127);
      const id = dF32 !== 0 ? Math.fround(1 / dF32) : 0;
      const dF16 = numberToF16(dF32);
      if ((dF16 & 0x7c00) === 0x7c00) {
        throw new NonFiniteError(
          `quantizeQ8_0: block [${r}, ${c0}..${c0 + QK8_0}) has |x| up to ${amax}, whose scale ${dF32} overflows f16; keep this weight in bf16 or f32`,
        );
      }
      d[r * nb + b] = dF16;
      const qOff = r * padded + c0;
      for (let j = 0; j < QK8_0; j++) {
        const x0 = Math.fround(block[j] * id);
        // C roundf: half-way cases away from zero (Math.round would send -2.5 to -2)
        qs[qOff + j] = x0 < 0 ? -Math.floor(0.5 - x0) : Math.floor(x0 + 0.5);
      }
    }
  }
  return into ?? { dtype: 'q8_0', rows, cols, qs, d };
}

/**
 * The same weight as ggml `block_q8_0` bytes, as a GGUF tensor stores it: per block, the f16 scale
 * (little endian) then 32 int8 values; blocks in row order. ggml needs whole blocks, so cols % 32 must be 0.
 */
export function q8_0ToGgmlBlocks(w: Extract<Weight, { dtype: 'q8_0' }>): Uint8Array {
  if (w.cols % QK8_0 !== 0) {
    throw new ShapeError(`q8_0ToGgmlBlocks: ggml Q8_0 rows hold whole blocks of ${QK8_0}, but cols = ${w.cols}; keep this weight in f32/bf16 for GGUF`);
  }
  const nb = (w.rows * w.cols) / QK8_0;
  checkLength('q8_0ToGgmlBlocks', 'qs', w.qs, nb * QK8_0, '[rows, cols]', w.rows, w.cols);
  checkLength('q8_0ToGgmlBlocks', 'd', w.d, nb, '[rows, cols / 32]', w.rows, w.cols / QK8_0);
  const out = new Uint8Array(nb * (2 + QK8_0));
  const qs = new Uint8Array(w.qs.buffer, w.qs.byteOffset, w.qs.length);
  for (let b = 0; b < nb; b++) {
    const o = b * (2 + QK8_0);
    out[o] = w.d[b] & 0xff;
    out[o + 1] = w.d[b] >>> 8;
    out.set(qs.subarray(b * QK8_0, (b + 1) * QK8_0), o + 2);
  }
  return out;
}
