// Fused attention prologue for Qwen3, one workgroup per (head slot, token):
//   q heads:  q_out[t, h]               = rope(q_norm(q[t, h]))
//   k heads:  k_cache[pos0 + t, h]      = rope(k_norm(k[t, h]))
//   v heads:  v_cache[pos0 + t, h]      = v[t, h]
// q, k and v are read from one activation buffer (a fused qkv projection, or separate projections
// written into it with matmul's out_offset). RoPE is rotate-half (HF apply_rotary_pos_emb) with
// cos/sin read from a table [positions, headDim / 2] of (cos, sin) · attention_scaling built from
// @qo/tensor's ropeInit (default and YaRN), so no transcendental is evaluated here.

#include REDUCE

struct Params {
  T: u32,
  n_heads: u32,
  n_kv_heads: u32,
  head_dim: u32,
  pos0: u32,       // position (and KV-cache row) of token 0
  eps: f32,
  qkv_stride: u32, // elements between consecutive tokens of qkv
  q_offset: u32,   // column of q head 0 in a qkv row
  k_offset: u32,
  v_offset: u32,
  has_norm: u32,   // 0: RoPE only (no q_norm / k_norm)
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> qkv: array<f32>;
@group(0) @binding(2) var<storage, read_write> q_out: array<f32>;   // [T, n_heads, head_dim]
@group(0) @binding(3) var<storage, read> q_norm: array<f32>;        // [head_dim]
@group(0) @binding(4) var<storage, read> k_norm: array<f32>;        // [head_dim]
@group(0) @binding(5) var<storage, read> rope: array<vec2<f32>>;    // [positions, head_dim / 2]
@group(0) @binding(6) var<storage, read_write> k_cache: array<f32>; // [max_seq, n_kv_heads, head_dim]
@group(0) @binding(7) var<storage, read_write> v_cache: array<f32>; // [max_seq, n_kv_heads, head_dim]

override WG: u32 = 64;
override LANES: u32 = WG;

@compute @workgroup_size(WG)
fn main(lane: Lane, @builtin(workgroup_id) wid: vec3<u32>) {
  let j = wid.x;
  let t = wid.y;
  let hd = p.head_dim;
  let pos = p.pos0 + t;
  let row = t * p.qkv_stride;
  if (j >= p.n_heads + p.n_kv_heads) {
    let h = j - p.n_heads - p.n_kv_heads;
    let src = row + p.v_offset + h * hd;
    let dst = (pos * p.n_kv_heads + h) * hd;
    for (var i = lane.index; i < hd; i += WG) {
      v_cache[dst + i] = qkv[src + i];
    }
    return;
  }
  let is_q = j < p.n_heads;
  let h = select(j - p.n_heads, j, is_q);
  let src = row + select(p.k_offset, p.q_offset, is_q) + h * hd;
  var ss = 0.0;
  for (var i = lane.index; i < hd; i += WG) {
    ss += qkv[src + i] * qkv[src + i];
  }
  let total = group_sum(ss, lane);
  let inv = 1.0 / sqrt(total / f32(hd) + p.eps);
  let half = hd / 2u;
  for (var i = lane.index; i < half; i += WG) {
    var a = qkv[src + i];
    var b = qkv[src + i + half];
    if (p.has_norm != 0u) {
      a = select(k_norm[i], q_norm[i], is_q) * (a * inv);
      b = select(k_norm[i + half], q_norm[i + half], is_q) * (b * inv);
    }
    let cs = rope[pos * half + i];
    let ra = a * cs.x - b * cs.y;
    let rb = b * cs.x + a * cs.y;
    if (is_q) {
      let dst = (t * p.n_heads + h) * hd;
      q_out[dst + i] = ra;
      q_out[dst + i + half] = rb;
    } else {
      let dst = (pos * p.n_kv_heads + h) * hd;
      k_cache[dst + i] = ra;
      k_cache[dst + i + half] = rb;
    }
  }
}
