// Qwen3-MoE decode (one token): the active experts' gate/up projections fused with the routing and
// the MLP activation. Each workgroup takes the router's top-k from the logits itself (TOPK: no
// readback, no extra dispatch), then computes its rows of
//   act[j, i] = silu(n(x) · gate_proj_{e_j}[i]) · (n(x) · up_proj_{e_j}[i])   (j < k, i < I)
// where e_j is the j-th selected expert and n(x) is x, or with `norm` its RMSNorm (the layer's
// post_attention_layernorm fused in, each workgroup computing the row's mean square itself).
// The weights are one chunk of a layer's stacked gate_up tensor [E, 2·I, H]: experts e0 .. e0 + ne,
// each as its I gate_proj rows then its I up_proj rows (packages/qwen3/src/gpu-moe/layout.ts);
// rows of experts outside the chunk are left to that chunk's dispatch. With `write_route`,
// workgroup 0 stores the selection in `route` for the down projection. LANES invocations share a
// row, each with four weight loads in flight; f32 accumulation whatever the weight dtype.

#include WEIGHT
#include REDUCE
#include TOPK
#include X8

struct Params {
  inter: u32,       // I = moe_intermediate_size: act values per expert
  cols: u32,        // H = hidden_size
  k8s: u32,         // groups of 8 columns per weight row
  E: u32,           // num_experts (router logits)
  k: u32,           // num_experts_per_tok
  e0: u32,          // first expert of this weight chunk
  ne: u32,          // experts in this chunk
  norm: u32,        // 1: RMSNorm x first (norm_w, eps)
  eps: f32,
  renorm: u32,      // 1: norm_topk_prob
  write_route: u32, // 1: workgroup 0 writes the selection to route
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read_write> act: array<f32>;   // [k, I]
@group(0) @binding(5) var<storage, read> norm_w: array<f32>;      // [H]; read only when norm = 1
@group(0) @binding(6) var<storage, read> logits: array<f32>;      // [E] router logits
@group(0) @binding(7) var<storage, read_write> route: array<u32>; // [k, 2]: expert id, bitcast f32 weight

override WG: u32 = 256;
override LANES: u32 = 32;

fn dot8(w: mat2x4<f32>, x: mat2x4<f32>) -> f32 {
  return dot(w[0], x[0]) + dot(w[1], x[1]);
}

// n(x) for the 8 columns from c
fn xn8(c: u32, inv: f32) -> mat2x4<f32> {
  let v = x8(0u, c, p.cols);
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
  topk(0u, p.E, p.k, p.renorm != 0u, lane);
  let wg = wid.x + wid.y * nwg.x;
  if (wg == 0u && p.write_route != 0u && lane.index < p.k) {
    route[2u * lane.index] = tk_id[lane.index];
    route[2u * lane.index + 1u] = bitcast<u32>(tk_w[lane.index]);
  }
  var inv = 1.0;
  if (p.norm != 0u) {
    var ss = 0.0;
    for (var i = lane.index; i < p.cols; i += WG) {
      let v = x1(i);
      ss += v * v;
    }
    inv = 1.0 / sqrt(reduce_sum(ss, lane, WG) / f32(p.cols) + p.eps);
  }
  let row = wg * (WG / LANES) + lane.index / LANES;
  let l = lane.index % LANES;
  let j = row / p.inter;
  let i = row % p.inter;
  var e = 0xffffffffu;
  if (j < p.k) {
    e = tk_id[j];
  }
  let mine = e >= p.e0 && e < p.e0 + p.ne;
  var g = 0.0;
  var u = 0.0;
  if (mine) {
    let gr = ((e - p.e0) * 2u * p.inter + i) * p.k8s; // gate_proj row i of expert e
    let ur = gr + p.inter * p.k8s;                    // up_proj row i
    var kk = l;
    for (; kk + LANES < p.k8s; kk += 2u * LANES) { // four weight loads in flight
      let g0 = w8(gr + kk);
      let u0 = w8(ur + kk);
      let g1 = w8(gr + kk + LANES);
      let u1 = w8(ur + kk + LANES);
      let x0 = xn8(kk * 8u, inv);
      let x1 = xn8((kk + LANES) * 8u, inv);
      g += dot8(g0, x0) + dot8(g1, x1);
      u += dot8(u0, x0) + dot8(u1, x1);
    }
    if (kk < p.k8s) {
      let x0 = xn8(kk * 8u, inv);
      g += dot8(w8(gr + kk), x0);
      u += dot8(w8(ur + kk), x0);
    }
  }
  let gs = group_sum(g, lane);
  let us = group_sum(u, lane);
  if (l == 0u && mine) {
    act[j * p.inter + i] = gs / (1.0 + exp(-gs)) * us;
  }
}
