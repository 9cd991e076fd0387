// Qwen3-MoE decode (one token): the active experts' down projections and their weighted sum,
//   out[h] (+)= Σ_j w_j · (down_proj_{e_j}[h] · act[j])   (j < k; e_j, w_j from `route`)
// with `accumulate` the block's output added to the residual stream in the same dispatch. The
// weights are one chunk of a layer's stacked down tensor [E, H, I] (experts e0 .. e0 + ne; see
// packages/qwen3/src/gpu-moe/layout.ts); selected experts outside the chunk are summed by that
// chunk's dispatch (every chunk after the first accumulates). LANES invocations share an output
// row and stride over its k · (k8s / WIDE) units of WIDE groups of 8 (all experts' columns as one
// row), four units in flight each; f32 accumulation whatever the weight dtype.

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
override LANES: u32 = 64;
override WIDE: u32 = 1; // groups of 8 per unit: 1 (w8dot) or 2 (w16dot; k8s must be even)

const MAX_K = 32u;
var<workgroup> rt_row: array<u32, MAX_K>; // weight row 0 of slot j's expert in this chunk
var<workgroup> rt_w: array<f32, MAX_K>;   // its routing weight; 0 when the expert is in another chunk

// unit q of the row's k · (k8s / WIDE) units: slot j = q / units, its weight · (its weights · act[j])
fn term(row: u32, q: u32) -> f32 {
  let n = p.k8s / WIDE;
  let j = q / n;
  let kk = q % n;
  let wu = (rt_row[j] + row) * n + kk;
  if (WIDE == 2u) {
    return rt_w[j] * w16dot(wu, x8(j * p.cols, 16u * kk, p.cols), x8(j * p.cols, 16u * kk + 8u, p.cols));
  }
  return rt_w[j] * w8dot(wu, x8(j * p.cols, 8u * kk, p.cols));
}

@compute @workgroup_size(WG)
fn main(lane: Lane, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  if (lane.index < p.k) {
    let e = route[2u * lane.index];
    let mine = e >= p.e0 && e < p.e0 + p.ne;
    // a slot of another chunk reads this chunk's row of expert e0 (in bounds) and weighs it 0
    rt_row[lane.index] = select(0u, (e - p.e0) * p.rows, mine);
    rt_w[lane.index] = select(0.0, bitcast<f32>(route[2u * lane.index + 1u]), mine);
  }
  workgroupBarrier();
  let row = (wid.x + wid.y * nwg.x) * (WG / LANES) + lane.index / LANES;
  let l = lane.index % LANES;
  var acc = 0.0;
  if (row < p.rows) {
    let n = p.k * (p.k8s / WIDE);
    var q = l;
    for (; q + 3u * LANES < n; q += 4u * LANES) {
      acc += (term(row, q) + term(row, q + LANES)) + (term(row, q + 2u * LANES) + term(row, q + 3u * LANES));
    }
    for (; q < n; q += LANES) {
      acc += term(row, q);
    }
  }
  let total = group_sum(acc, lane);
  if (l == 0u && row < p.rows) {
    out[row] = select(total, out[row] + total, p.accumulate != 0u);
  }
}
