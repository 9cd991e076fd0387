// weight_q8_0.wgsl's layout (int8 values 4 per u32, rows of whole blocks of 32; f32 scales [rows,
// blocks]) bound as vec4<u32>: one 16-byte load holds the 16 weights of a unit u (groups 2u, 2u + 1,
// half a block). For the GEMV kernels with WIDE = 2 (more bytes per load, one scale per 16 weights);
// w8 / w8dot (one group, half of a 16-byte word) are here for their tails and dead branches.

@group(0) @binding(3) var<storage, read> qs: array<vec4<u32>>;
@group(0) @binding(4) var<storage, read> d: array<f32>;

fn i8x4(v: u32) -> vec4<f32> {
  return vec4<f32>(vec4<i32>(i32(v << 24u), i32(v << 16u), i32(v << 8u), i32(v)) >> vec4<u32>(24u));
}

fn q8_half(i: u32) -> vec2<u32> {
  let v = qs[i / 2u];
  return select(v.xy, v.zw, (i & 1u) == 1u);
}

fn w8(i: u32) -> mat2x4<f32> {
  let q = q8_half(i);
  let s = d[i / 4u];
  return mat2x4<f32>(i8x4(q.x) * s, i8x4(q.y) * s);
}

fn w8dot(i: u32, x: mat2x4<f32>) -> f32 {
  let q = q8_half(i);
  return (dot(i8x4(q.x), x[0]) + dot(i8x4(q.y), x[1])) * d[i / 4u];
}

fn w16dot(u: u32, x0: mat2x4<f32>, x1: mat2x4<f32>) -> f32 {
  let q = qs[u];
  return ((dot(i8x4(q.x), x0[0]) + dot(i8x4(q.y), x0[1])) + (dot(i8x4(q.z), x1[0]) + dot(i8x4(q.w), x1[1]))) * d[u / 2u];
}
