// Causal attention for prefill, tiled (flash-attention style): one workgroup per (block of BQ
// queries, head). Each step stages BK keys and values of the head's KV head in workgroup memory,
// shared by the block's queries; each query keeps an online softmax. Same semantics as
// attention.wgsl (queries are the last T of S positions, GQA); head_dim a multiple of 4, ≤ 128.
// 8 invocations per query: each scores BK / 8 keys and owns head_dim / 32 vec4 columns of the output.

struct Params {
  T: u32,
  S: u32,
  n_heads: u32,
  n_kv_heads: u32,
  head_dim: u32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;             // [T, n_heads, head_dim]
@group(0) @binding(2) var<storage, read_write> out: array<f32>;     // [T, n_heads, head_dim]
@group(0) @binding(3) var<storage, read> k_cache: array<vec4<f32>>; // [≥ S, n_kv_heads, head_dim / 4]
@group(0) @binding(4) var<storage, read> v_cache: array<vec4<f32>>;

const BQ = 16u;  // queries per workgroup
const BK = 16u;  // keys per step
const HD4 = 32u; // head_dim / 4 at most
const TPQ = 8u;  // invocations per query
const NEG_MAX = -3.4028234e38; // stands for -inf (a masked score)

var<workgroup> qs: array<vec4<f32>, 512>; // [BQ][HD4]
var<workgroup> ks: array<vec4<f32>, 512>; // [BK][HD4]
var<workgroup> vs: array<vec4<f32>, 512>; // [BK][HD4]
var<workgroup> ps: array<f32, 256>;       // [BQ][BK] scores

@compute @workgroup_size(128)
fn main(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let h = wid.x;
  let t0 = wid.y * BQ;
  let hd4 = p.head_dim / 4u;
  let kvh = h / (p.n_heads / p.n_kv_heads);
  let kv_stride4 = p.n_kv_heads * hd4;
  let past = p.S - p.T;
  let qi = li / TPQ;
  let j = li % TPQ;
  let t = t0 + qi;
  for (var e = li; e < BQ * hd4; e += 128u) {
    let r = e / hd4;
    let c = e % hd4;
    var v = vec4<f32>();
    if (t0 + r < p.T) {
      let b = ((t0 + r) * p.n_heads + h) * p.head_dim + 4u * c;
      v = vec4<f32>(q[b], q[b + 1u], q[b + 2u], q[b + 3u]);
    }
    qs[r * HD4 + c] = v;
  }
  var m = NEG_MAX;
  var l = 0.0;
  var acc: array<vec4<f32>, 4>; // vec4 columns j, j + 8, j + 16, j + 24
  let n_keys = past + min(t0 + BQ, p.T); // keys visible to the block's last query
  for (var s0 = 0u; s0 < n_keys; s0 += BK) {
    workgroupBarrier(); // the previous step's reads are done (and q is staged)
    for (var e = li; e < BK * hd4; e += 128u) {
      let r = e / hd4;
      let c = e % hd4;
      var kv = vec4<f32>();
      var vv = vec4<f32>();
      if (s0 + r < n_keys) {
        let b = (s0 + r) * kv_stride4 + kvh * hd4 + c;
        kv = k_cache[b];
        vv = v_cache[b];
      }
      ks[r * HD4 + c] = kv;
      vs[r * HD4 + c] = vv;
    }
    workgroupBarrier();
    for (var kk = j; kk < BK; kk += TPQ) {
      var sc = NEG_MAX;
      if (t < p.T && s0 + kk <= past + t) {
        var d0 = 0.0;
        for (var c = 0u; c < hd4; c++) {
          d0 += dot(qs[qi * HD4 + c], ks[kk * HD4 + c]);
        }
        sc = d0 * p.scale;
      }
      ps[qi * BK + kk] = sc;
    }
    workgroupBarrier();
    var mt = NEG_MAX;
    for (var kk = 0u; kk < BK; kk++) {
      mt = max(mt, ps[qi * BK + kk]);
    }
    let m_new = max(m, mt);
    let corr = exp(m - m_new);
    l = l * corr;
    for (var i = 0u; i < 4u; i++) {
      acc[i] = acc[i] * corr;
    }
    for (var kk = 0u; kk < BK; kk++) {
      let sc = ps[qi * BK + kk];
      let pr = select(0.0, exp(sc - m_new), sc > NEG_MAX);
      l += pr;
      for (var i = 0u; i < 4u; i++) {
        let c = j + i * TPQ;
        if (c < hd4) {
          acc[i] += pr * vs[kk * HD4 + c];
        }
      }
    }
    m = m_new;
  }
  if (t < p.T) {
    let inv = 1.0 / l;
    let b = (t * p.n_heads + h) * p.head_dim;
    for (var i = 0u; i < 4u; i++) {
      let c = j + i * TPQ;
      if (c < hd4) {
        let v = acc[i] * inv;
        out[b + 4u * c] = v.x;
        out[b + 4u * c + 1u] = v.y;
        out[b + 4u * c + 2u] = v.z;
        out[b + 4u * c + 3u] = v.w;
      }
    }
  }
}
