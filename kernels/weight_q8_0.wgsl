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

// w8dot(i, x) = w8(i) · x with the block scale applied once to the sum (1 multiply per 8 weights,
// not 8). w16dot(u, x0, x1): groups 2u, 2u + 1 (half a block: k8s is always a multiple of 4) · [x0, x1],
// here as two 8-byte loads; weight_q8_0_x16.wgsl reads them as one 16-byte load.
fn w8dot(i: u32, x: mat2x4<f32>) -> f32 {
  let q = qs[i];
  return (dot(i8x4(q.x), x[0]) + dot(i8x4(q.y), x[1])) * d[i / 4u];
}

fn w16dot(u: u32, x0: mat2x4<f32>, x1: mat2x4<f32>) -> f32 {
  let a = qs[2u * u];
  let b = qs[2u * u + 1u];
  return ((dot(i8x4(a.x), x0[0]) + dot(i8x4(a.y), x0[1])) + (dot(i8x4(b.x), x1[0]) + dot(i8x4(b.y), x1[1]))) * d[u / 2u];
}
