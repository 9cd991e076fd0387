// Residual add fused with the next RMSNorm (one dispatch instead of two):
//   residual += x;  out = weight · (residual / sqrt(mean(residual²) + eps)).
// One workgroup per row.

#include REDUCE

struct Params {
  rows: u32,
  dim: u32,
  eps: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;              // [rows, dim], added to residual
@group(0) @binding(2) var<storage, read_write> out: array<f32>;      // [rows, dim], the normed residual
@group(0) @binding(3) var<storage, read> weight: array<f32>;         // [dim]
@group(0) @binding(4) var<storage, read_write> residual: array<f32>; // [rows, dim], updated in place

override WG: u32 = 256;
override LANES: u32 = WG;

@compute @workgroup_size(WG)
fn main(lane: Lane, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= p.rows) {
    return;
  }
  let off = row * p.dim;
  var ss = 0.0;
  for (var i = lane.index; i < p.dim; i += WG) {
    let v = residual[off + i] + x[off + i];
    residual[off + i] = v;
    ss += v * v;
  }
  let inv = 1.0 / sqrt(group_sum(ss, lane) / f32(p.dim) + p.eps);
  for (var i = lane.index; i < p.dim; i += WG) {
    out[off + i] = weight[i] * (residual[off + i] * inv);
  }
}
