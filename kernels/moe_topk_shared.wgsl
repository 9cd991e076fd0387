// Router top-k of one token (TOPK include) through workgroup memory, for adapters without subgroups;
// pairs with reduce_shared.wgsl. Same contract and result as moe_topk_subgroup.wgsl: softmax in f32
// (computed once into tk_p), the k largest probabilities (ties: the lower expert id), divided by
// their sum when renorm. Each round is a tree reduction of (probability, id) over the workgroup
// (WG a power of two). The including kernel declares `logits` (f32 storage) and `override WG`.
// Call from uniform control flow.

const MAX_E = 512u; // the wrapper refuses num_experts above this
const MAX_K = 32u;  // and num_experts_per_tok above this

var<workgroup> tk_p: array<f32, MAX_E>;
var<workgroup> tk_id: array<u32, MAX_K>;
var<workgroup> tk_w: array<f32, MAX_K>;
var<workgroup> tk_v: array<f32, WG>;
var<workgroup> tk_i: array<u32, WG>;

fn topk(base: u32, E: u32, k: u32, renorm: bool, lane: Lane) {
  let li = lane.index;
  var m = -3.4028234e38;
  for (var e = li; e < E; e += WG) {
    m = max(m, logits[base + e]);
  }
  m = reduce_max(m, lane, WG);
  var sum = 0.0;
  for (var e = li; e < E; e += WG) {
    sum += exp(logits[base + e] - m);
  }
  let inv = 1.0 / reduce_sum(sum, lane, WG);
  for (var e = li; e < E; e += WG) {
    tk_p[e] = exp(logits[base + e] - m) * inv;
  }
  var last_v = 3.4028234e38;
  var last_i = 0u;
  var total = 0.0;
  for (var j = 0u; j < k; j++) {
    var bv = -1.0;
    var bi = 0xffffffffu;
    for (var e = li; e < E; e += WG) {
      let v = tk_p[e]; // this invocation's own entries: no barrier needed
      if ((v < last_v || (v == last_v && e > last_i)) && v > bv) {
        bv = v;
        bi = e;
      }
    }
    workgroupBarrier(); // the previous round's reads of tk_v / tk_i are done
    tk_v[li] = bv;
    tk_i[li] = bi;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s >>= 1u) {
      if (li < s) {
        let ov = tk_v[li + s];
        let oi = tk_i[li + s];
        if (ov > tk_v[li] || (ov == tk_v[li] && oi < tk_i[li])) {
          tk_v[li] = ov;
          tk_i[li] = oi;
        }
      }
      workgroupBarrier();
    }
    last_v = tk_v[0];
    last_i = tk_i[0];
    total += last_v;
    if (li == 0u) {
      tk_id[j] = last_i;
      tk_w[j] = last_v;
    }
  }
  if (li == 0u && renorm) {
    for (var j = 0u; j < k; j++) {
      tk_w[j] = tk_w[j] / total;
    }
  }
  workgroupBarrier();
}
