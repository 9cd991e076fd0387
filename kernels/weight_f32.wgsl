// f32 weight rows, each padded with zeros to a multiple of 8 columns (see packages/gpu/README.md).
// w8(i): the 8 weights of group i = row · k8s + k (columns 8k .. 8k + 7 of that row).

@group(0) @binding(3) var<storage, read> w: array<vec4<f32>>;

fn w8(i: u32) -> mat2x4<f32> {
  return mat2x4<f32>(w[2u * i], w[2u * i + 1u]);
}
