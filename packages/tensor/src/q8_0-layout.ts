/** Values per Q8_0 block (ggml's QK8_0). */
export const QK8_0 = 32;

/** Row length in `qs` after padding `cols` with zeros to whole blocks. */
export function q8_0PaddedCols(cols: number): number {
  return Math.ceil(cols / QK8_0) * QK8_0;
}
