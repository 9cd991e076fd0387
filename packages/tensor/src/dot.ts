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

/**
 * Four dot products sharing one weight row: out[o + k·oStride] = x[(t + k)·xStride + xOff ..] · w[wOff ..]
 * for k < 4, over n values. Each weight value is loaded once for four activation rows.
 */
export function dot4(
  out: Float32Array,
  o: number,
  oStride: number,
  x: Float32Array,
  x0: number,
  xStride: number,
  w: Float32Array,
  wOff: number,
  n: number,
): void {
  const x1 = x0 + xStride;
  const x2 = x1 + xStride;
  const x3 = x2 + xStride;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  for (let i = 0; i < n; i++) {
    const v = w[wOff + i];
    s0 += x[x0 + i] * v;
    s1 += x[x1 + i] * v;
    s2 += x[x2 + i] * v;
    s3 += x[x3 + i] * v;
  }
  out[o] = s0;
  out[o + oStride] = s1;
  out[o + 2 * oStride] = s2;
  out[o + 3 * oStride] = s3;
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

/** Σ x[xOff + i] · bf16[w[wOff + i]] for i < n: a bf16 row read through the 65536-entry value table. */
export function dotBf16(x: Float32Array, xOff: number, w: Uint16Array, wOff: number, n: number, bf16: Float32Array): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (const n4 = n - 3; i < n4; i += 4) {
    s0 += x[xOff + i] * bf16[w[wOff + i]];
    s1 += x[xOff + i + 1] * bf16[w[wOff + i + 1]];
    s2 += x[xOff + i + 2] * bf16[w[wOff + i + 2]];
    s3 += x[xOff + i + 3] * bf16[w[wOff + i + 3]];
  }
  for (; i < n; i++) s0 += x[xOff + i] * bf16[w[wOff + i]];
  return s0 + s1 + (s2 + s3);
}
