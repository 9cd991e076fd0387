// Activations for the int8 tensor-core matmul (matmul_mma.wgsl): each row's blocks of 32 columns as
// 16-bit fixed point with one f32 scale each, split in two int8 planes (mma_split.wgsl):
//   x ≈ s · (256 · hi + lo),  s = max|x| / 32512 over the block,
// an error of at most s / 2 a value (1 / 65024 of the block's largest). One invocation a (row, block):
// q[(t · blocks + b) · 4 + 0, 1] = the 32 hi bytes, + 2, 3 = the 32 lo bytes; s[t · blocks + b].
// Columns at or past `cols` are 0. X8 reads the activations as the matmul would (offset, stride, SiLU·mul).

#include X8
#include "mma_split.wgsl"

struct Params {
  T: u32,
  cols: u32,
  blocks: u32,
  x_offset: u32,
  x_stride: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read_write> q: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read_write> s: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= p.T * p.blocks) {
    return;
  }
  let t = i / p.blocks;
  let b = i % p.blocks;
  let base = p.x_offset + t * p.x_stride;
  var v: array<mat2x4<f32>, 4>;
  var m = 0.0;
  for (var g = 0u; g < 4u; g++) {
    let c = b * 32u + 8u * g;
    if (c < p.cols) {
      v[g] = x8(base, c, p.cols);
    }
    m = max(m, max_abs8(v[g]));
  }
  let inv = split_inv(m);
  var hi: array<u32, 8>;
  var lo: array<u32, 8>;
  for (var g = 0u; g < 4u; g++) {
    let a = split4(v[g][0], inv);
    let c = split4(v[g][1], inv);
    hi[2u * g] = a.x;
    lo[2u * g] = a.y;
    hi[2u * g + 1u] = c.x;
    lo[2u * g + 1u] = c.y;
  }
  let o = i * 4u;
  q[o] = vec4<u32>(hi[0], hi[1], hi[2], hi[3]);
  q[o + 1u] = vec4<u32>(hi[4], hi[5], hi[6], hi[7]);
  q[o + 2u] = vec4<u32>(lo[0], lo[1], lo[2], lo[3]);
  q[o + 3u] = vec4<u32>(lo[4], lo[5], lo[6], lo[7]);
  s[i] = m / 32512.0;
}
