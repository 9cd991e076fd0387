// Qwen3RMSNorm over each of `rows` rows of `dim` values: out = weight · (x / sqrt(mean(x²) + eps)).
// Also per head (q_norm / k_norm outside the fused RoPE kernel): rows = T · heads, dim = headDim.
// One workgroup per row.

#include REDUCE

struct Params {
  rows: u32,
  dim: u32,
  eps: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;       // [rows, dim]
@group(0) @binding(2) var<storage, read_write> out: array<f32>; // [rows, dim]
@group(0) @binding(3) var<storage, read> weight: array<f32>;  // [dim]

override WG: u32 = 256;
override LANES: u32 = WG;

@compute @workgroup_size(WG)
fn main(lane: Lane, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= p.rows) {
    return; // uniform: the whole workgroup leaves
  }
  let off = row * p.dim;
  var ss = 0.0;
  for (var i = lane.index; i < p.dim; i += WG) {
    ss += x[off + i] * x[off + i];
  }
  let inv = 1.0 / sqrt(group_sum(ss, lane) / f32(p.dim) + p.eps);
  for (var i = lane.index; i < p.dim; i += WG) {
    out[off + i] = weight[i] * (x[off + i] * inv);
  }
}
