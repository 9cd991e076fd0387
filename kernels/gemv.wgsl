// GEMV for decode (one activation row): out[out_offset + r] = Σ_c x[x_offset + c] · W[r, c]
// for the rows r of one weight chunk. LANES invocations share a row: each strides over the
// row's groups of 8 columns, two groups in flight per step, then the group is summed (subgroups
// where the adapter has them). f32 accumulation whatever the weight dtype.

#include WEIGHT
#include REDUCE
#include X8

struct Params {
  rows: u32,       // rows of this weight chunk (output features it produces)
  cols: u32,       // input features: length of the activation row
  k8s: u32,        // groups of 8 columns per weight row (padded cols / 8)
  x_offset: u32,   // element index of the activation row in x
  out_offset: u32, // element index in out of this chunk's row 0
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

override WG: u32 = 256;   // invocations per workgroup
override LANES: u32 = 32; // invocations per output row; WG / LANES rows per workgroup

fn dot8(w: mat2x4<f32>, x: mat2x4<f32>) -> f32 {
  return dot(w[0], x[0]) + dot(w[1], x[1]);
}

@compute @workgroup_size(WG)
fn main(lane: Lane, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = (wid.x + wid.y * nwg.x) * (WG / LANES) + lane.index / LANES;
  let l = lane.index % LANES;
  var acc0 = 0.0;
  var acc1 = 0.0;
  if (row < p.rows) {
    let wrow = row * p.k8s;
    var k = l;
    for (; k + LANES < p.k8s; k += 2u * LANES) {
      let w0 = w8(wrow + k);
      let w1 = w8(wrow + k + LANES);
      acc0 += dot8(w0, x8(p.x_offset, k * 8u, p.cols));
      acc1 += dot8(w1, x8(p.x_offset, (k + LANES) * 8u, p.cols));
    }
    if (k < p.k8s) {
      acc0 += dot8(w8(wrow + k), x8(p.x_offset, k * 8u, p.cols));
    }
  }
  let total = group_sum(acc0 + acc1, lane);
  if (l == 0u && row < p.rows) {
    out[p.out_offset + row] = total;
  }
}
