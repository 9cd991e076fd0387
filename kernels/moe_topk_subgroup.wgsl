// Router top-k of one token (TOPK include), with subgroup operations; pairs with reduce_subgroup.wgsl,
// whose Lane and reductions it uses. transformers' Qwen3MoeSparseMoeBlock: probabilities =
// softmax(logits) in f32, the k largest (ties: the lower expert id, as torch.topk and the CPU
// block pick them), divided by their sum when norm_topk_prob. The workgroup computes the
// probabilities once (tk_p); then every subgroup selects on its own, with no barrier between
// rounds: round j takes the largest probability that comes after round j − 1's pick in the order
// (probability descending, expert id ascending), so nothing is marked or written back.
// The including kernel declares `logits` (f32 storage) and `override WG`. Call from uniform
// control flow; on return tk_id[j] and tk_w[j] (j < k) hold the selection for the whole workgroup.

const MAX_E = 512u; // the wrapper refuses num_experts above this
const MAX_K = 32u;  // and num_experts_per_tok above this

var<workgroup> tk_p: array<f32, MAX_E>;
var<workgroup> tk_id: array<u32, MAX_K>;
var<workgroup> tk_w: array<f32, MAX_K>;

// probabilities of logits[base .. base + E), k of them selected
fn topk(base: u32, E: u32, k: u32, renorm: bool, lane: Lane) {
  var m = -3.4028234e38;
  for (var e = lane.index; e < E; e += WG) {
    m = max(m, logits[base + e]);
  }
  m = reduce_max(m, lane, WG);
  var sum = 0.0;
  for (var e = lane.index; e < E; e += WG) {
    sum += exp(logits[base + e] - m);
  }
  let inv = 1.0 / reduce_sum(sum, lane, WG);
  for (var e = lane.index; e < E; e += WG) {
    tk_p[e] = exp(logits[base + e] - m) * inv;
  }
  workgroupBarrier();
  let me = lane.index % lane.sg_size;
  var last_v = 3.4028234e38; // above any probability: round 0 may take anything
  var last_i = 0u;
  var total = 0.0;
  for (var j = 0u; j < k; j++) {
    var bv = -1.0;
    var bi = 0xffffffffu;
    for (var e = me; e < E; e += lane.sg_size) {
      let v = tk_p[e];
      if ((v < last_v || (v == last_v && e > last_i)) && v > bv) {
        bv = v; // ascending e and a strict > keep the lowest id among equal values
        bi = e;
      }
    }
    let mv = subgroupMax(bv);
    let mi = subgroupMin(select(0xffffffffu, bi, bv == mv));
    last_v = mv;
    last_i = mi;
    total += mv;
    if (lane.index == 0u) {
      tk_id[j] = mi;
      tk_w[j] = mv;
    }
  }
  if (lane.index == 0u && renorm) {
    for (var j = 0u; j < k; j++) {
      tk_w[j] = tk_w[j] / total;
    }
  }
  workgroupBarrier();
}
