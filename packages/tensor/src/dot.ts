/** Σ a[aOff + i] · b[bOff + i] for i < n, four accumulators (in double). */
export function dot(a: Float32Array, aOff: number, b: Float32Array, bOff: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (const n4 = n - 3; i < n4; i += 4) {
    s0 += a[aOff + i] * b[bOff + i];
    s1 += a[aOff + i + 1] * b[bOff + i + 1];
    s2 += a[aOff + i + 2] * b[bOff + i + 2];
    s3 += a[aOff + i + 3] * b[bOff + i + 3];
  }
  for (; i < n; i++) s0 += a[aOff + i] * b[bOff + i];
  return s0 + s1 + (s2 + s3);
}

/** Σ x[xOff + i] · q[qOff + i] for i < n: one Q8_0 block (or its tail) against f32 activations. */
export function dotQ8(x: Float32Array, xOff: number, q: Int8Array, qOff: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (const n4 = n - 3; i < n4; i += 4) {
    s0 += x[xOff + i] * q[qOff + i];
    s1 += x[xOff + i + 1] * q[qOff + i + 1];
    s2 += x[xOff + i + 2] * q[qOff + i + 2];
    s3 += x[xOff + i + 3] * q[qOff + i + 3];
  }
  for (; i < n; i++) s0 += x[xOff + i] * q[qOff + i];
  return s0 + s1 + (s2 + s3);
}
