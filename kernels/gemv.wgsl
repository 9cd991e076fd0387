// GEMV for decode (one activation row): out[out_offset + r] (+)= Σ_c n(x)[x_offset + c] · W[r, c]
// for the rows r of one weight chunk, where n(x) = x, or, with `norm`, the RMSNorm of the row
// (x / sqrt(mean(x²) + eps) · norm_w: the layer's input norm fused in, each workgroup computing
// the row's mean square itself). With `accumulate` the result is added to out (a residual add
// fused in). LANES invocations share a row: each strides over the row's groups of 8 columns, two
// groups in flight per step, then the group is summed (subgroups where the adapter has them).
// f32 accumulation whatever the weight dtype.

#include WEIGHT
#include REDUCE
#include X8

struct Params {
  rows: u32,       // rows of this weight chunk (output features it produces)
  cols: u32,       // input features: length of the activation row
  k8s: u32,        // groups of 8 columns per weight row (padded cols / 8)
  x_offset: u32,   // element index of the activation row in x
  out_offset: u32, // element index in out of this chunk's row 0
  accumulate: u32, // 1: out += result
  norm: u32,       // 1: RMSNorm the activation row first (norm_w, eps)
  eps: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<storage, read> norm_w: array<f32>; // [cols]; read only when norm = 1

override WG: u32 = 256;   // invocations per workgroup
override LANES: u32 = 32; // invocations per output row; WG / LANES rows per workgroup

fn dot8(w: mat2x4<f32>, x: mat2x4<f32>) -> f32 {
  return dot(w[0], x[0]) + dot(w[1], x[1]);
}

// n(x) for 8 columns from c
fn xn8(c: u32, inv: f32) -> mat2x4<f32> {
  let v = x8(p.x_offset, c, p.cols);
  if (p.norm == 0u) {
    return v;
  }
  var g = mat2x4<f32>();
  for (var j = 0u; j < 8u; j++) {
    if (c + j < p.cols) {
      g[j / 4u][j % 4u] = norm_w[c + j] * (v[j / 4u][j % 4u] * inv);
    }
  }
  return g;
}

@compute @workgroup_size(WG)
fn main(lane: Lane, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  var inv = 1.0;
  if (p.norm != 0u) {
    var ss = 0.0;
    for (var i = lane.index; i < p.cols; i += WG) {
      let v = x1(p.x_offset + i);
      ss += v * v;
    }
    inv = 1.0 / sqrt(reduce_sum(ss, lane, WG) / f32(p.cols) + p.eps);
  }
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
      acc0 += dot8(w0, xn8(k * 8u, inv));
      acc1 += dot8(w1, xn8((k + LANES) * 8u, inv));
    }
    if (k < p.k8s) {
      acc0 += dot8(w8(wrow + k), xn8(k * 8u, inv));
    }
  }
  let total = group_sum(acc0 + acc1, lane);
  if (l == 0u && row < p.rows) {
    let o = p.out_offset + row;
    out[o] = select(total, out[o] + total, p.accumulate != 0u);
  }
}
