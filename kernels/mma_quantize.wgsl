// Activations for the int8 tensor-core matmul (matmul_mma.wgsl): each token's row as 16-bit fixed point
// with one f32 scale, split in two int8 planes (mma_split.wgsl):
//   x ≈ s · (256 · hi + lo),  s = max|x| / 32512 over the row,
// an error of at most s / 2 a value (1 / 65024 of the row's largest). One workgroup a row. Layout: the
// row in blocks of 32 columns, 16 u32 a block, the 32 hi bytes then the 32 lo bytes:
//   q[(t · blocks + b) · 16 + 0 … 7] = hi, + 8 … 15 = lo;  s[t].
// Columns at or past `cols` are 0. X8 reads the activations as the matmul would (offset, stride, SiLU·mul);
// NORM applies the layer's input RMSNorm first (mma_norm_rms.wgsl) or nothing (mma_norm_none.wgsl).

#include X8
#include REDUCE
#include NORM
#include "mma_split.wgsl"

struct Params {
  T: u32,
  cols: u32,
  blocks: u32,
  x_offset: u32,
  x_stride: u32,
  eps: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read_write> q: array<vec2<u32>>;
@group(0) @binding(3) var<storage, read_write> s: array<f32>;

override WG: u32 = 256;
override LANES: u32 = WG;

@compute @workgroup_size(WG)
fn main(lane: Lane, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = wid.x + wid.y * nwg.x;
  if (t >= p.T) {
    return; // uniform: the whole workgroup leaves
  }
  let base = p.x_offset + t * p.x_stride;
  let groups = p.blocks * 4u; // of 8 columns
  let n = row_norm(base, lane);
  var m = 0.0;
  for (var g = lane.index; g < groups; g += WG) {
    if (8u * g < p.cols) {
      m = max(m, max_abs8(norm8(x8(base, 8u * g, p.cols), 8u * g, n)));
    }
  }
  m = group_max(m, lane);
  let inv = split_inv(m);
  for (var g = lane.index; g < groups; g += WG) {
    var v = mat2x4<f32>();
    if (8u * g < p.cols) {
      v = norm8(x8(base, 8u * g, p.cols), 8u * g, n);
    }
    let a = split4(v[0], inv);
    let c = split4(v[1], inv);
    let o = (t * p.blocks + g / 4u) * 8u + g % 4u; // in vec2<u32>: a block is 8, its hi half 4
    q[o] = vec2<u32>(a.x, c.x);
    q[o + 4u] = vec2<u32>(a.y, c.y);
  }
  if (lane.index == 0u) {
    s[t] = m / 32512.0;
  }
}
