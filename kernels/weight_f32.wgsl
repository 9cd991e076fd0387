// f32 weight rows, each padded with zeros to a multiple of 8 columns (see packages/gpu/README.md).
// w8(i): the 8 weights of group i = row · k8s + k (columns 8k .. 8k + 7 of that row).

@group(0) @binding(3) var<storage, read> w: array<vec4<f32>>;

fn w8(i: u32) -> mat2x4<f32> {
  return mat2x4<f32>(w[2u * i], w[2u * i + 1u]);
}

// w8dot(i, x) = w8(i) · x; w16dot(u, x0, x1): groups 2u and 2u + 1 (an even k8s) · [x0, x1].
fn w8dot(i: u32, x: mat2x4<f32>) -> f32 {
  let m = w8(i);
  return dot(m[0], x[0]) + dot(m[1], x[1]);
}

fn w16dot(u: u32, x0: mat2x4<f32>, x1: mat2x4<f32>) -> f32 {
  return w8dot(2u * u, x0) + w8dot(2u * u + 1u, x1);
}
