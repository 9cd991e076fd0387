// Qwen3-MoE decode (one token): the active experts' down projections and their weighted sum,
//   out[h] (+)= Σ_j w_j · (down_proj_{e_j}[h] · act[j])   (j < k; e_j, w_j from `route`)
// with `accumulate` the block's output added to the residual stream in the same dispatch. The
// weights are one chunk of a layer's stacked down tensor [E, H, I] (experts e0 .. e0 + ne; see
// packages/qwen3/src/gpu-moe/layout.ts); selected experts outside the chunk are summed by that
// chunk's dispatch (every chunk after the first accumulates). LANES invocations share an output
// row; f32 accumulation whatever the weight dtype.

#include WEIGHT
#include REDUCE
#include X8

struct Params {
  rows: u32,       // H = hidden_size: output values
  cols: u32,       // I = moe_intermediate_size
  k8s: u32,        // groups of 8 columns per weight row
  k: u32,          // num_experts_per_tok
  e0: u32,         // first expert of this weight chunk
  ne: u32,         // experts in this chunk
  accumulate: u32, // 1: out += result
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read_write> out: array<f32>; // [H]
@group(0) @binding(5) var<storage, read> route: array<u32>;     // [k, 2]: expert id, bitcast f32 weight

override WG: u32 = 256;
override LANES: u32 = 32;

fn dot8(w: mat2x4<f32>, x: mat2x4<f32>) -> f32 {
  return dot(w[0], x[0]) + dot(w[1], x[1]);
}

@compute @workgroup_size(WG)
fn main(lane: Lane, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = (wid.x + wid.y * nwg.x) * (WG / LANES) + lane.index / LANES;
  let l = lane.index % LANES;
  var acc = 0.0;
  if (row < p.rows) {
    for (var j = 0u; j < p.k; j++) {
      let e = route[2u * j];
      if (e >= p.e0 && e < p.e0 + p.ne) {
        let wr = ((e - p.e0) * p.rows + row) * p.k8s;
        var s = 0.0;
        for (var kk = l; kk < p.k8s; kk += LANES) {
          s += dot8(w8(wr + kk), x8(j * p.cols, kk * 8u, p.cols));
        }
        acc += bitcast<f32>(route[2u * j + 1u]) * s;
      }
    }
  }
  let total = group_sum(acc, lane);
  if (l == 0u && row < p.rows) {
    out[row] = select(total, out[row] + total, p.accumulate != 0u);
  }
}
