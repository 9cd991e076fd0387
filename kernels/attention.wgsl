// Causal attention for prefill with grouped KV heads (GQA; MQA when n_kv_heads = 1), HF eager
// semantics in f32: the T queries are the last T of S positions, so query t sees keys
// 0 .. S - T + t; head h reads KV head h / (n_heads / n_kv_heads). One workgroup per (head, query).

#include REDUCE
#include KDOT
#include "attention_core.wgsl"

struct Params {
  T: u32,
  S: u32,          // keys in the cache, the T new ones included
  n_heads: u32,
  n_kv_heads: u32,
  head_dim: u32,
  scale: f32,      // multiplies q·k (Qwen3: head_dim^-0.5)
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;             // [T, n_heads, head_dim]
@group(0) @binding(2) var<storage, read_write> out: array<f32>;     // [T, n_heads, head_dim]
@group(0) @binding(4) var<storage, read> v_cache: array<f32>;       // [≥ S, n_kv_heads, head_dim]

override WG: u32 = 64;
override LANES: u32 = WG;

@compute @workgroup_size(WG)
fn main(lane: Lane, @builtin(workgroup_id) wid: vec3<u32>) {
  let h = wid.x;
  let t = wid.y;
  let base = (t * p.n_heads + h) * p.head_dim;
  let st = attend(base, h / (p.n_heads / p.n_kv_heads), 0u, p.S - p.T + t + 1u, lane);
  let inv = 1.0 / st.l;
  for (var i = 0u; i < DIMS_PER_LANE; i++) {
    let d = lane.index + i * WG;
    if (d < p.head_dim) {
      out[base + d] = st.acc[i] * inv;
    }
  }
}
