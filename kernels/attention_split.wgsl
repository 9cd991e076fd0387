// Split-K flash-decoding, pass 1: the keys visible to each (query, head) are cut into splits of
// split_len keys, one workgroup per (head, query, split), and each writes its online-softmax
// partial (m, l, acc[head_dim]) for attention_combine.wgsl. Same causal/GQA rules as attention.wgsl.

#include REDUCE
#include KDOT
#include "attention_core.wgsl"

struct Params {
  T: u32,
  S: u32,
  n_heads: u32,
  n_kv_heads: u32,
  head_dim: u32,
  scale: f32,
  split_len: u32, // keys per split
  n_splits: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;               // [T, n_heads, head_dim]
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;  // [T, n_heads, n_splits, head_dim + 2]
@group(0) @binding(4) var<storage, read> v_cache: array<f32>;

override WG: u32 = 64;
override LANES: u32 = WG;

@compute @workgroup_size(WG)
fn main(lane: Lane, @builtin(workgroup_id) wid: vec3<u32>) {
  let h = wid.x;
  let t = wid.y;
  let split = wid.z;
  let n = p.S - p.T + t + 1u;
  let s0 = min(split * p.split_len, n);
  let s1 = min(s0 + p.split_len, n);
  let st = attend((t * p.n_heads + h) * p.head_dim, h / (p.n_heads / p.n_kv_heads), s0, s1, lane);
  let dst = ((t * p.n_heads + h) * p.n_splits + split) * (p.head_dim + 2u);
  if (lane.index == 0u) {
    partials[dst] = st.m;
    partials[dst + 1u] = st.l;
  }
  for (var i = 0u; i < DIMS_PER_LANE; i++) {
    let d = lane.index + i * WG;
    if (d < p.head_dim) {
      partials[dst + 2u + d] = st.acc[i];
    }
  }
}
