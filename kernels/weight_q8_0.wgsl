// q8_0 weights repacked at upload into two 4-byte-aligned arrays (see packages/gpu/README.md):
//   qs: each row's int8 values padded with zeros to a multiple of 32 (whole blocks), 4 per u32,
//       column 4j + b in bits 8b .. 8b + 7 (the int8 array's own little-endian bytes);
//   d:  one f32 scale per block of 32 (the checkpoint's f16 scale, widened exactly), [rows, blocks].
// value = d[block] · q. w8(i): the 8 weights of group i = row · k8s + k; 4 groups make a block,
// and rows hold whole blocks, so group i lies in block i / 4.

@group(0) @binding(3) var<storage, read> qs: array<vec2<u32>>;
@group(0) @binding(4) var<storage, read> d: array<f32>;

fn i8x4(v: u32) -> vec4<f32> {
  return vec4<f32>(vec4<i32>(i32(v << 24u), i32(v << 16u), i32(v << 8u), i32(v)) >> vec4<u32>(24u));
}

fn w8(i: u32) -> mat2x4<f32> {
  let q = qs[i];
  let s = d[i / 4u];
  return mat2x4<f32>(i8x4(q.x) * s, i8x4(q.y) * s);
}
