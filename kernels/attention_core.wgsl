// Online-softmax attention of one query row against keys [s0, s1) of one KV head, shared by
// attention.wgsl (prefill) and attention_split.wgsl (split-K decode). The including kernel
// declares WG, LANES = WG, the REDUCE and KDOT includes (KDOT declares k_cache and the q·k
// product), and Params with head_dim, n_kv_heads, scale, and the bindings q and v_cache. Keys are processed WG at a time: lane l scores key base + l,
// then every lane accumulates the probabilities into its head dims (d = lane, lane + WG, …).

const MAX_HEAD_DIM = 512u;
const DIMS_PER_LANE = 8u; // head_dim ≤ DIMS_PER_LANE · WG (the wrapper checks)
const NEG_MAX = -3.4028234e38; // stands for -inf: exp(NEG_MAX - m) == 0 for any finite m

struct Partial {
  m: f32,                              // running max of the scaled scores
  l: f32,                              // Σ exp(score - m)
  acc: array<f32, DIMS_PER_LANE>,      // Σ exp(score - m) · v[d] for this lane's dims
}

var<workgroup> ps: array<f32, WG>;

fn attend(q_base: u32, kv_head: u32, s0: u32, s1: u32, lane: Lane) -> Partial {
  let hd = p.head_dim;
  let kv_stride = p.n_kv_heads * hd;
  stage_q(q_base, hd, lane.index);
  workgroupBarrier();
  var st: Partial;
  st.m = NEG_MAX;
  st.l = 0.0;
  for (var base = s0; base < s1; base += WG) {
    let s = base + lane.index;
    var score = NEG_MAX;
    if (s < s1) {
      score = kdot(s * kv_stride + kv_head * hd, hd) * p.scale;
    }
    let m_new = max(st.m, group_max(score, lane));
    let e = select(0.0, exp(score - m_new), s < s1);
    ps[lane.index] = e; // group_max's barriers ordered the previous tile's reads of ps before this
    let corr = exp(st.m - m_new);
    st.l = st.l * corr + group_sum(e, lane); // its barriers publish ps
    let n = min(WG, s1 - base);
    for (var i = 0u; i < DIMS_PER_LANE; i++) {
      let d = lane.index + i * WG;
      if (d < hd) {
        var a = st.acc[i] * corr;
        for (var j = 0u; j < n; j++) {
          a += ps[j] * v_cache[(base + j) * kv_stride + kv_head * hd + d];
        }
        st.acc[i] = a;
      }
    }
    st.m = m_new;
  }
  return st;
}
