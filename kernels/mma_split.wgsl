// 16-bit fixed point in two int8 planes, for the int8 tensor-core matmul (matmul_mma.wgsl): values v of
// a row (one token's activations, or one weight row) become q = round(v · inv) with inv = 32512 / max|v|
// over the row, and q = 256 · hi + lo with lo ∈ [−128, 127] and hi = (q − lo) / 256 ∈ [−127, 127]
// (|q| ≤ 32512 keeps hi in range after lo's rounding). split4 returns the hi and lo bytes of four values,
// each packed four to a u32, the first value in the low byte (what subgroupMatrixLoad reads as
// consecutive int8).

fn split4(v: vec4<f32>, inv: f32) -> vec2<u32> {
  let q = vec4<i32>(round(v * inv));
  let lo = ((q + vec4<i32>(128)) & vec4<i32>(255)) - vec4<i32>(128);
  let hi = (q - lo) >> vec4<u32>(8u);
  return vec2<u32>(pack4xI8(hi), pack4xI8(lo));
}

// inv for a row whose largest magnitude is m (0 for an all-zero or denormal row: every q is 0)
fn split_inv(m: f32) -> f32 {
  return select(0.0, 32512.0 / m, m > 1e-30);
}

fn max_abs8(v: mat2x4<f32>) -> f32 {
  let a = max(abs(v[0]), abs(v[1]));
  return max(max(a.x, a.y), max(a.z, a.w));
}
