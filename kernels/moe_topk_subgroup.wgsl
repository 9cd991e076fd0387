// Router top-k of one token (TOPK include), with subgroup operations; pairs with reduce_subgroup.wgsl,
// whose Lane it uses. transformers' Qwen3MoeSparseMoeBlock: probabilities = softmax(logits) in f32,
// the k largest (ties: the lower expert id, as torch.topk and the CPU block pick them), divided by
// their sum when norm_topk_prob. Every subgroup selects on its own from the logits (no workgroup
// memory, no barrier inside the loop): round j takes the largest probability that comes after round
// j − 1's pick in the order (probability descending, expert id ascending), so nothing is marked.
// The including kernel declares `logits` (f32 storage). Call from uniform control flow; on return
// tk_id[j] and tk_w[j] (j < k) hold the selection for the whole workgroup.

const MAX_K = 32u; // the wrapper refuses num_experts_per_tok above this

var<workgroup> tk_id: array<u32, MAX_K>;
var<workgroup> tk_w: array<f32, MAX_K>;

// probabilities of logits[base .. base + E), k of them selected
fn topk(base: u32, E: u32, k: u32, renorm: bool, lane: Lane) {
  let me = lane.index % lane.sg_size;
  var m = -3.4028234e38;
  for (var e = me; e < E; e += lane.sg_size) {
    m = max(m, logits[base + e]);
  }
  m = subgroupMax(m);
  var sum = 0.0;
  for (var e = me; e < E; e += lane.sg_size) {
    sum += exp(logits[base + e] - m);
  }
  let inv = 1.0 / subgroupAdd(sum);
  var last_v = 3.4028234e38; // above any probability: round 0 may take anything
  var last_i = 0u;
  var total = 0.0;
  for (var j = 0u; j < k; j++) {
    var bv = -1.0;
    var bi = 0xffffffffu;
    for (var e = me; e < E; e += lane.sg_size) {
      let v = exp(logits[base + e] - m) * inv;
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
