import { checkInt, checkLength } from './check.js';

function checkN(op: string, n: number, arrays: Record<string, ArrayLike<number>>): void {
  checkInt(op, 'n', n, 0);
  for (const [name, a] of Object.entries(arrays)) checkLength(op, name, a, n, '[n]', n);
}

/** In place over each of `rows` rows of `cols`: x = exp(x − max) / Σ exp(x − max). */
export function softmax(x: Float32Array, rows: number, cols: number): void {
  checkInt('softmax', 'rows', rows);
  checkInt('softmax', 'cols', cols);
  checkLength('softmax', 'x', x, rows * cols, '[rows, cols]', rows, cols);
  for (let r = 0; r < rows; r++) softmaxRow(x, r * cols, cols);
}

/** Softmax of x[off .. off + n) in place (n >= 1). */
export function softmaxRow(x: Float32Array, off: number, n: number): void {
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (x[off + i] > max) max = x[off + i];
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const e = Math.exp(x[off + i] - max);
    x[off + i] = e;
    sum += e;
  }
  const inv = 1 / sum;
  for (let i = 0; i < n; i++) x[off + i] *= inv;
}

/** out = x · sigmoid(x) (SiLU); out may alias x. */
export function silu(out: Float32Array, x: Float32Array, n: number): void {
  if (!Number.isInteger(n) || n < 0 || out.length < n || x.length < n) checkN('silu', n, { out, x });
  for (let i = 0; i < n; i++) {
    const v = x[i];
    out[i] = v / (1 + Math.exp(-v));
  }
}

/** out = silu(gate) · up (Qwen3 MLP: act_fn(gate_proj(x)) * up_proj(x)); out may alias gate or up. */
export function siluMul(out: Float32Array, gate: Float32Array, up: Float32Array, n: number): void {
  if (!Number.isInteger(n) || n < 0 || out.length < n || gate.length < n || up.length < n) checkN('siluMul', n, { out, gate, up });
  for (let i = 0; i < n; i++) {
    const g = gate[i];
    out[i] = (g / (1 + Math.exp(-g))) * up[i];
  }
}

/** out = a + b; out may alias a or b. */
export function add(out: Float32Array, a: Float32Array, b: Float32Array, n: number): void {
  if (!Number.isInteger(n) || n < 0 || out.length < n || a.length < n || b.length < n) checkN('add', n, { out, a, b });
  for (let i = 0; i < n; i++) out[i] = a[i] + b[i];
}
