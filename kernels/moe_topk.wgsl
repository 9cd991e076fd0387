// Qwen3-MoE routing for T tokens (prefill): one workgroup per token takes the top-k of the
// softmax of its router logits (TOPK; renormalized when norm_topk_prob) and writes
// route[t, j] = (expert id, bitcast f32 weight) for j < k.

#include REDUCE
#include TOPK

struct Params {
  T: u32,      // tokens
  E: u32,      // num_experts
  k: u32,      // num_experts_per_tok
  renorm: u32, // 1: norm_topk_prob
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;      // [T, E]
@group(0) @binding(2) var<storage, read_write> route: array<u32>; // [T, k, 2]

override WG: u32 = 64;
override LANES: u32 = WG;

@compute @workgroup_size(WG)
fn main(lane: Lane, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = wid.x + wid.y * nwg.x;
  if (t >= p.T) {
    return; // uniform: the whole workgroup leaves
  }
  topk(t * p.E, p.E, p.k, p.renorm != 0u, lane);
  if (lane.index < p.k) {
    let s = t * p.k + lane.index;
    route[2u * s] = tk_id[lane.index];
    route[2u * s + 1u] = bitcast<u32>(tk_w[lane.index]);
  }
}
