// Decode attention (one new token at position S − 1) with its prologue folded in: split-K
// flash-decoding as attention_split.wgsl, one workgroup per (head, split), and each workgroup
// takes its head's q from the qkv activations, applies q_norm and RoPE itself (as rope_qk.wgsl
// does), and scores the keys of its split. The new token's key and value are not read from the
// cache: the workgroups whose split ends at S take k = rope(k_norm(k)) and v from qkv and fold them
// into their online softmax, and the first query head of each KV head among them writes that k and
// v to cache row S − 1 (one writer per KV head; no workgroup reads row S − 1 from the cache).
// max_splits workgroups run per head and write partials [n_heads, max_splits, head_dim + 2] whatever
// S is; those past the n_splits in use write an empty partial (m = -max, l = 0, acc = 0), so the
// combine step always reads max_splits partials. head_dim is a multiple of 8 (the wrapper checks).

#include REDUCE
#include "attention_core.wgsl"

struct Params {
  S: u32,             // keys, the new token's included
  n_heads: u32,
  n_kv_heads: u32,
  head_dim: u32,
  scale: f32,
  eps: f32,
  min_split_len: u32, // splits: max(1, min(max_splits, S / min_split_len)) of ceil(S / n_splits) keys
  max_splits: u32,
  q_offset: u32,      // columns of q, k and v head 0 in the qkv row
  k_offset: u32,
  v_offset: u32,
  has_norm: u32,      // 0: RoPE only (no q_norm / k_norm)
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> qkv: array<f32>;                  // [(n_heads + 2 n_kv_heads) · head_dim]
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;       // [n_heads, max_splits, head_dim + 2]
@group(0) @binding(3) var<storage, read_write> k_cache: array<vec4<f32>>;  // [≥ S, n_kv_heads, head_dim / 4]
@group(0) @binding(4) var<storage, read_write> v_cache: array<f32>;        // [≥ S, n_kv_heads, head_dim]
@group(0) @binding(5) var<storage, read> q_norm: array<f32>;               // [head_dim]
@group(0) @binding(6) var<storage, read> k_norm: array<f32>;               // [head_dim]
@group(0) @binding(7) var<storage, read> rope: array<vec2<f32>>;           // [positions, head_dim / 2]

override WG: u32 = 64;
override LANES: u32 = WG;

var<workgroup> qv: array<vec4<f32>, MAX_HEAD_DIM / 4u>; // q after q_norm and RoPE
var<workgroup> kn: array<vec4<f32>, MAX_HEAD_DIM / 4u>; // the new key after k_norm and RoPE
var<workgroup> rot: array<f32, MAX_HEAD_DIM>;

// attention_core.wgsl's hook: main has staged q in qv already
fn stage_q(q_base: u32, hd: u32, li: u32) {}

// kb: element index of the key row (a multiple of 8); the same sums as kdot_vec4.wgsl
fn kdot(kb: u32, hd: u32) -> f32 {
  var s0 = 0.0;
  var s1 = 0.0;
  let b = kb / 4u;
  for (var d = 0u; d < hd / 4u; d += 2u) {
    s0 += dot(qv[d], k_cache[b + d]);
    s1 += dot(qv[d + 1u], k_cache[b + d + 1u]);
  }
  return s0 + s1;
}

// rot = RoPE at `pos` of the head at qkv[src ..], after q_norm (is_q) or k_norm; rope_qk.wgsl's arithmetic
fn norm_rope(src: u32, is_q: bool, pos: u32, lane: Lane) {
  let hd = p.head_dim;
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
    rot[i] = a * cs.x - b * cs.y;
    rot[i + half] = b * cs.x + a * cs.y;
  }
  workgroupBarrier();
}

@compute @workgroup_size(WG)
fn main(lane: Lane, @builtin(workgroup_id) wid: vec3<u32>) {
  let h = wid.x;
  let split = wid.y;
  let hd = p.head_dim;
  let pos = p.S - 1u;
  let group = p.n_heads / p.n_kv_heads;
  let kv_head = h / group;
  let n_splits = max(1u, min(p.max_splits, p.S / p.min_split_len));
  let split_len = (p.S + n_splits - 1u) / n_splits;
  let s0 = min(split * split_len, p.S);
  let s1 = min(s0 + split_len, p.S);
  let dst = (h * p.max_splits + split) * (hd + 2u);
  if (s0 == s1) {
    // a split past the keys (or past n_splits): an empty partial, which weighs nothing
    for (var i = lane.index; i < hd + 2u; i += WG) {
      partials[dst + i] = select(0.0, NEG_MAX, i == 0u);
    }
    return;
  }
  norm_rope(p.q_offset + h * hd, true, pos, lane);
  for (var d = lane.index; d < hd / 4u; d += WG) {
    qv[d] = vec4<f32>(rot[4u * d], rot[4u * d + 1u], rot[4u * d + 2u], rot[4u * d + 3u]);
  }
  let last = s1 == p.S; // this split holds the new token
  if (last) {
    workgroupBarrier(); // the reads of rot above come before norm_rope overwrites it
    norm_rope(p.k_offset + kv_head * hd, false, pos, lane);
    for (var d = lane.index; d < hd / 4u; d += WG) {
      kn[d] = vec4<f32>(rot[4u * d], rot[4u * d + 1u], rot[4u * d + 2u], rot[4u * d + 3u]);
    }
  }
  // the cached keys of the split (attend's barrier publishes qv and kn)
  var st = attend(0u, kv_head, s0, select(s1, pos, last), lane);
  if (last) {
    var k0 = 0.0;
    var k1 = 0.0;
    for (var d = 0u; d < hd / 4u; d += 2u) {
      k0 += dot(qv[d], kn[d]);
      k1 += dot(qv[d + 1u], kn[d + 1u]);
    }
    let score = (k0 + k1) * p.scale;
    let m_new = max(st.m, score);
    let corr = exp(st.m - m_new);
    let e = exp(score - m_new);
    st.l = st.l * corr + e;
    st.m = m_new;
    let v_src = p.v_offset + kv_head * hd;
    for (var i = 0u; i < DIMS_PER_LANE; i++) {
      let d = lane.index + i * WG;
      if (d < hd) {
        st.acc[i] = st.acc[i] * corr + e * qkv[v_src + d];
      }
    }
    if (h % group == 0u) {
      let row = pos * p.n_kv_heads + kv_head;
      for (var d = lane.index; d < hd / 4u; d += WG) {
        k_cache[row * (hd / 4u) + d] = kn[d];
      }
      for (var d = lane.index; d < hd; d += WG) {
        v_cache[row * hd + d] = qkv[v_src + d];
      }
    }
  }
  if (lane.index == 0u) {
    partials[dst] = st.m;
    partials[dst + 1u] = st.l;
  }
  for (var i = 0u; i < DIMS_PER_LANE; i++) {
    let d = lane.index + i * WG;
    if (d < hd) {
      partials[dst + 2u + d] = st.acc[i];
    }
  }
}
