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
