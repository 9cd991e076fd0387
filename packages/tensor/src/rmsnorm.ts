import { checkInt, checkLength } from './check.js';

/**
 * Qwen3RMSNorm over the last `dim` values of each of `rows` rows: out = weight · (x / sqrt(mean(x²) + eps)).
 * `out` may alias `x`. Also used per head for q_norm / k_norm with rows = T·nHeads, dim = headDim.
 */
export function rmsnorm(out: Float32Array, x: Float32Array, weight: Float32Array, rows: number, dim: number, eps: number): void {
  checkInt('rmsnorm', 'rows', rows);
  checkInt('rmsnorm', 'dim', dim);
  checkLength('rmsnorm', 'x', x, rows * dim, '[rows, dim]', rows, dim);
  checkLength('rmsnorm', 'out', out, rows * dim, '[rows, dim]', rows, dim);
  checkLength('rmsnorm', 'weight', weight, dim, '[dim]', dim);
  for (let r = 0; r < rows; r++) {
    const off = r * dim;
    let s0 = 0;
    let s1 = 0;
    let i = 0;
    for (const n2 = dim - 1; i < n2; i += 2) {
      const a = x[off + i];
      const b = x[off + i + 1];
      s0 += a * a;
      s1 += b * b;
    }
    if (i < dim) s0 += x[off + i] * x[off + i];
    const inv = 1 / Math.sqrt((s0 + s1) / dim + eps);
    for (let j = 0; j < dim; j++) out[off + j] = weight[j] * Math.fround(x[off + j] * inv);
  }
}
