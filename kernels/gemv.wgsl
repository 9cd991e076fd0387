// GEMV for decode (one activation row): out[out_offset + r] = Σ_c x[x_offset + c] · W[r, c]
// for the rows r of one weight chunk. LANES invocations share a row: each strides over the
// row's groups of 8 columns, then the group is summed (subgroups where the adapter has them).
// f32 accumulation whatever the weight dtype.

#include WEIGHT
#include REDUCE
#include "x8.wgsl"

struct Params {
  rows: u32,       // rows of this weight chunk (output features it produces)
  cols: u32,       // input features: length of the activation row
  k8s: u32,        // groups of 8 columns per weight row (padded cols / 8)
  x_offset: u32,   // element index of the activation row in x
  out_offset: u32, // element index in out of this chunk's row 0
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

override WG: u32 = 256;   // invocations per workgroup
override LANES: u32 = 64; // invocations per output row; WG / LANES rows per workgroup

@compute @workgroup_size(WG)
fn main(lane: Lane, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = (wid.x + wid.y * nwg.x) * (WG / LANES) + lane.index / LANES;
  let l = lane.index % LANES;
  var acc = 0.0;
  if (row < p.rows) {
    for (var k = l; k < p.k8s; k += LANES) {
      let wv = w8(row * p.k8s + k);
      let xv = x8(p.x_offset, k * 8u, p.cols);
      acc += dot(wv[0], xv[0]) + dot(wv[1], xv[1]);
    }
  }
  let total = group_sum(acc, lane);
  if (l == 0u && row < p.rows) {
    out[p.out_offset + row] = total;
  }
}
