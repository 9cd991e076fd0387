// Causal attention for prefill, register-tiled (flash-attention style), for head_dim ≤ 128.
// Same semantics as attention.wgsl: queries are the last T of S positions, GQA, HF eager in f32.
// One workgroup per (block of BQ rows, KV head), a row being a (query, head) pair of the heads that
// share the KV head: row R is query R / G of head kvh · G + R % G (G = n_heads / n_kv_heads), so the
// K/V tiles staged in workgroup memory serve every head of the group. Per step of BK keys:
//   scores: invocation (tr, tk) computes the RQ × BK/8 block of rows tr + (BQ/RQ)·j and keys
//           tk + 8·i in registers, from vec4 loads of the staged Q and K tiles;
//   softmax: row maxima through workgroup memory (8 partial maxima a row), then each invocation
//           turns its own scores into probabilities and keeps a partial row sum;
//   P·V:    the same invocation accumulates the vec4 columns tk + 8·c of its RQ rows in registers.
// Tiles are padded by one vec4 a row so that 8 rows read at one column hit 8 distinct banks.
// PREFETCH = 1 loads the next K tile into registers during P·V and the V tile during the softmax,
// so that global-memory latency overlaps arithmetic rather than waiting at a barrier.
// The blocks with the most keys are dispatched first (they finish last).

struct Params {
  T: u32,
  S: u32,
  n_heads: u32,
  n_kv_heads: u32,
  head_dim: u32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> q: array<vec4<f32>>;           // [T, n_heads, head_dim / 4]
@group(0) @binding(2) var<storage, read_write> out: array<vec4<f32>>;   // [T, n_heads, head_dim / 4]
@group(0) @binding(3) var<storage, read> k_cache: array<vec4<f32>>;     // [≥ S, n_kv_heads, head_dim / 4]
@group(0) @binding(4) var<storage, read> v_cache: array<vec4<f32>>;

override HD4: u32 = 32u;       // head_dim / 4, at most 32
override BQ: u32 = 32u;        // rows per workgroup, a multiple of RQ
override BK: u32 = 32u;        // keys per step, a multiple of 8, at most 8 · MAX_KPT
override RQ: u32 = 2u;         // rows per invocation, at most MAX_RQ
override KV_TILES: u32 = 1u;   // 1: the V tile reuses the K tile's memory; 2: both staged at once
override PREFETCH: u32 = 0u;   // 1: the next tile's first PF · NT vec4s are loaded into registers during the current step
override NT: u32 = BQ / RQ * 8u;            // invocations
override HP: u32 = HD4 + 1u;                // padded row of a tile, vec4s
override QS_LEN: u32 = BQ * HP;
override KV_LEN: u32 = BK * HP * KV_TILES;
override PS_LEN: u32 = BQ * BK / 4u;
override MX_LEN: u32 = BQ * 2u;

const TK = 8u;       // invocations sharing a row (across keys, then across columns)
const MAX_RQ = 4u;
const MAX_KPT = 8u;  // keys per invocation and step
const CPT = 4u;      // vec4 columns per invocation and row (HD4 ≤ 32)
const PF = 8u;       // vec4s of a tile prefetched per invocation
const NEG_MAX = -3.4028234e38; // stands for -inf (a masked score)

var<workgroup> qs: array<vec4<f32>, QS_LEN>;  // [BQ][HP]
var<workgroup> kvs: array<vec4<f32>, KV_LEN>; // [KV_TILES][BK][HP]: K, then V (the same tile when KV_TILES = 1)
var<workgroup> ps: array<vec4<f32>, PS_LEN>;  // [BQ][BK / 4] probabilities
var<workgroup> mx: array<vec4<f32>, MX_LEN>;  // [BQ][8 / 4] partial row maxima, then partial row sums

// Element e of the tile of K (or V) rows s0 .. s0 + BK − 1 of KV head kvh: zero past the n_keys keys.
fn load_k(e: u32, s0: u32, n_keys: u32, kvh: u32) -> vec4<f32> {
  let r = s0 + e / HD4;
  if (r >= n_keys) {
    return vec4<f32>();
  }
  return k_cache[(r * p.n_kv_heads + kvh) * HD4 + e % HD4];
}

fn load_v(e: u32, s0: u32, n_keys: u32, kvh: u32) -> vec4<f32> {
  let r = s0 + e / HD4;
  if (r >= n_keys) {
    return vec4<f32>();
  }
  return v_cache[(r * p.n_kv_heads + kvh) * HD4 + e % HD4];
}

@compute @workgroup_size(NT)
fn main(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let G = p.n_heads / p.n_kv_heads;
  let kvh = wid.x;
  let n_rows = p.T * G;
  let r0 = (nwg.y - 1u - wid.y) * BQ;
  let past = p.S - p.T;
  let tk = li % TK;
  let tr = li / TK;
  let RS = BQ / RQ;
  let KPT = BK / TK;
  let v_base = (KV_TILES - 1u) * BK * HP;
  let TILE = BK * HD4; // vec4s of a K or V tile
  let LOADS = (TILE + NT - 1u) / NT;

  for (var e = li; e < BQ * HD4; e += NT) {
    let r = e / HD4;
    let c = e % HD4;
    let R = r0 + r;
    var v = vec4<f32>();
    if (R < n_rows) {
      v = q[((R / G) * p.n_heads + kvh * G + R % G) * HD4 + c];
    }
    qs[r * HP + c] = v;
  }
  var lim: array<u32, MAX_RQ>; // keys visible to each own row (0 past the last row)
  var m: array<f32, MAX_RQ>;
  var l: array<f32, MAX_RQ>;
  var acc: array<vec4<f32>, 16>; // [MAX_RQ][CPT]
  for (var j = 0u; j < RQ; j++) {
    let R = r0 + tr + RS * j;
    lim[j] = select(0u, past + R / G + 1u, R < n_rows);
    m[j] = NEG_MAX;
    l[j] = 0.0;
    for (var c = 0u; c < CPT; c++) {
      acc[j * CPT + c] = vec4<f32>();
    }
  }
  let n_keys = past + (min(r0 + BQ, n_rows) - 1u) / G + 1u; // keys visible to the block's last row

  var kreg: array<vec4<f32>, PF>;
  var vreg: array<vec4<f32>, PF>;
  if (PREFETCH == 1u) {
    for (var i = 0u; i < min(LOADS, PF); i++) {
      let e = li + i * NT;
      if (e < TILE) {
        kreg[i] = load_k(e, 0u, n_keys, kvh);
        if (KV_TILES == 2u) {
          vreg[i] = load_v(e, 0u, n_keys, kvh);
        }
      }
    }
  }

  for (var s0 = 0u; s0 < n_keys; s0 += BK) {
    workgroupBarrier(); // the previous step's reads are done (and q is staged)
    for (var i = 0u; i < LOADS; i++) {
      let e = li + i * NT;
      if (e < TILE) {
        let at = (e / HD4) * HP + e % HD4;
        if (PREFETCH == 1u && i < PF) {
          kvs[at] = kreg[i];
        } else {
          kvs[at] = load_k(e, s0, n_keys, kvh);
        }
        if (KV_TILES == 2u) {
          if (PREFETCH == 1u && i < PF) {
            kvs[v_base + at] = vreg[i];
          } else {
            kvs[v_base + at] = load_v(e, s0, n_keys, kvh);
          }
        }
      }
    }
    workgroupBarrier();
    var s: array<f32, 32>; // [MAX_RQ][MAX_KPT]; zeroed by hand: lavapipe keeps the last step's values
    for (var i = 0u; i < 32u; i++) {
      s[i] = 0.0;
    }
    for (var c = 0u; c < HD4; c++) {
      var qv: array<vec4<f32>, MAX_RQ>;
      for (var j = 0u; j < RQ; j++) {
        qv[j] = qs[(tr + RS * j) * HP + c];
      }
      for (var i = 0u; i < KPT; i++) {
        let kv = kvs[(tk + TK * i) * HP + c];
        for (var j = 0u; j < RQ; j++) {
          s[j * MAX_KPT + i] += dot(qv[j], kv);
        }
      }
    }
    for (var j = 0u; j < RQ; j++) {
      var mt = NEG_MAX;
      for (var i = 0u; i < KPT; i++) {
        let sc = select(NEG_MAX, s[j * MAX_KPT + i] * p.scale, s0 + tk + TK * i < lim[j]);
        s[j * MAX_KPT + i] = sc;
        mt = max(mt, sc);
      }
      mx[(tr + RS * j) * 2u + tk / 4u][tk % 4u] = mt;
    }
    if (KV_TILES == 1u && PREFETCH == 1u) { // the V tile's loads overlap the softmax
      for (var i = 0u; i < min(LOADS, PF); i++) {
        let e = li + i * NT;
        if (e < TILE) {
          vreg[i] = load_v(e, s0, n_keys, kvh);
        }
      }
    }
    workgroupBarrier();
    for (var j = 0u; j < RQ; j++) {
      let row = tr + RS * j;
      let mv = max(mx[row * 2u], mx[row * 2u + 1u]);
      let m_new = max(m[j], max(max(mv.x, mv.y), max(mv.z, mv.w)));
      let corr = exp(m[j] - m_new);
      m[j] = m_new;
      var lj = l[j] * corr;
      for (var c = 0u; c < CPT; c++) {
        acc[j * CPT + c] *= corr;
      }
      for (var i = 0u; i < KPT; i++) {
        let sc = s[j * MAX_KPT + i];
        let pr = select(0.0, exp(sc - m_new), sc > NEG_MAX);
        lj += pr;
        ps[row * (BK / 4u) + tk / 4u + 2u * i][tk % 4u] = pr;
      }
      l[j] = lj;
    }
    if (KV_TILES == 1u) { // every K read is done (barrier above): V takes the tile
      for (var i = 0u; i < LOADS; i++) {
        let e = li + i * NT;
        if (e < TILE) {
          let at = (e / HD4) * HP + e % HD4;
          if (PREFETCH == 1u && i < PF) {
            kvs[at] = vreg[i];
          } else {
            kvs[at] = load_v(e, s0, n_keys, kvh);
          }
        }
      }
    }
    workgroupBarrier();
    if (PREFETCH == 1u) { // the next step's loads overlap P·V
      for (var i = 0u; i < min(LOADS, PF); i++) {
        let e = li + i * NT;
        if (e < TILE) {
          kreg[i] = load_k(e, s0 + BK, n_keys, kvh);
          if (KV_TILES == 2u) {
            vreg[i] = load_v(e, s0 + BK, n_keys, kvh);
          }
        }
      }
    }
    for (var k4 = 0u; k4 < BK / 4u; k4++) {
      var pv: array<vec4<f32>, MAX_RQ>;
      for (var j = 0u; j < RQ; j++) {
        pv[j] = ps[(tr + RS * j) * (BK / 4u) + k4];
      }
      for (var kk = 0u; kk < 4u; kk++) {
        for (var c = 0u; c < CPT; c++) {
          let col = tk + TK * c;
          if (col < HD4) {
            let vv = kvs[v_base + (4u * k4 + kk) * HP + col];
            for (var j = 0u; j < RQ; j++) {
              acc[j * CPT + c] += pv[j][kk] * vv;
            }
          }
        }
      }
    }
  }
  // row sums: every read of mx in the loop happened before its last barrier
  for (var j = 0u; j < RQ; j++) {
    mx[(tr + RS * j) * 2u + tk / 4u][tk % 4u] = l[j];
  }
  workgroupBarrier();
  for (var j = 0u; j < RQ; j++) {
    let row = tr + RS * j;
    let R = r0 + row;
    if (R < n_rows) {
      let lv = mx[row * 2u] + mx[row * 2u + 1u];
      let inv = 1.0 / (lv.x + lv.y + lv.z + lv.w);
      let b = ((R / G) * p.n_heads + kvh * G + R % G) * HD4;
      for (var c = 0u; c < CPT; c++) {
        let col = tk + TK * c;
        if (col < HD4) {
          out[b + col] = acc[j * CPT + c] * inv;
        }
      }
    }
  }
}
