// bf16 weight rows packed two per u32 (the even column in the low 16 bits, i.e. the bf16 array's
// own little-endian bytes), each row padded with zeros to a multiple of 8 columns: one vec4<u32>
// holds 8 weights. bf16 → f32 is exact: the bf16 bits are the top half of the f32.
// w8(i): the 8 weights of group i = row · k8s + k (columns 8k .. 8k + 7 of that row).

@group(0) @binding(3) var<storage, read> w: array<vec4<u32>>;

fn bf16_pair(v: u32) -> vec2<f32> {
  return vec2<f32>(bitcast<f32>(v << 16u), bitcast<f32>(v & 0xffff0000u));
}

fn w8(i: u32) -> mat2x4<f32> {
  let v = w[i];
  return mat2x4<f32>(vec4<f32>(bf16_pair(v.x), bf16_pair(v.y)), vec4<f32>(bf16_pair(v.z), bf16_pair(v.w)));
}

// w8dot(i, x) = w8(i) · x; w16dot(u, x0, x1): the 16 weights of unit u (groups 2u, 2u + 1, i.e. one
// lane reads 32 contiguous bytes) · [x0, x1]. Units need an even k8s (rows of whole units).
fn w8dot(i: u32, x: mat2x4<f32>) -> f32 {
  let m = w8(i);
  return dot(m[0], x[0]) + dot(m[1], x[1]);
}

fn w16dot(u: u32, x0: mat2x4<f32>, x1: mat2x4<f32>) -> f32 {
  return w8dot(2u * u, x0) + w8dot(2u * u + 1u, x1);
}
