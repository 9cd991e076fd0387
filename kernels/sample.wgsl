// Token choice on the GPU from one row of logits and a uniform number u in [0, 1) given by the
// caller, so only the chosen id (one u32) leaves the GPU. The order of operations is @qo/generate's
// Sampler (transformers' processors, then its warpers):
//   1. penalties for the tokens in `counts` (repetition: l > 0 ? l / r : l · r; then
//      l -= presence + frequency · count);
//   2. temperature 0: greedy, the lowest index of the largest logit (torch.argmax); done;
//   3. z = l / temperature;
//   4. top-k: keep z ≥ the k-th largest z (ties kept);
//   5. top-p: of those, keep a token when the tokens strictly above it hold < top_p of their mass;
//   6. min-p: drop tokens with exp(z − max z) < min_p;
//   7. draw: the first index, in index order, at which the running sum of exp(z − max z) over the
//      kept tokens exceeds u × their total.
// Fast path (top-k on, at most CAP tokens ≥ the k-th): the k-th largest key is found by a 4-step
// radix select, the candidates are gathered into workgroup memory and filtered there. Otherwise
// the cutoffs are found by bisection on the order-preserving u32 key of z (32 passes each).
// One workgroup; f32 throughout, so a pick can differ from the CPU's float64 sums only when u
// lies within rounding of a boundary of the cumulative distribution.

#include REDUCE

struct Params {
  n: u32,           // vocabulary size
  x_offset: u32,    // element index of the logits row
  out_offset: u32,  // index in out of the result
  top_k: u32,       // 0 or ≥ n: off
  top_p: f32,       // in (0, 1]; 1: off
  min_p: f32,       // in [0, 1]; 0: off
  temperature: f32, // 0: greedy
  u: f32,           // uniform in [0, 1)
  repetition: f32,  // 1: off
  presence: f32,
  frequency: f32,
  has_counts: u32,  // 0: no penalties (counts is not read)
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;
@group(0) @binding(3) var<storage, read> counts: array<u32>; // occurrences of each token in the penalty window

override WG: u32 = 256;
override LANES: u32 = WG;

const CAP = 256u; // candidates of the fast path
const NONE = 0xffffffffu;
const NEG_MAX = -3.4028234e38;

var<workgroup> prefix: array<f32, WG>;
var<workgroup> hist: array<atomic<u32>, 256>;
var<workgroup> counter: atomic<u32>;
var<workgroup> counted: u32;
var<workgroup> radix: array<u32, 2>; // selected digit, rank still to find below it
var<workgroup> kept_total: f32;
var<workgroup> cidx: array<u32, CAP>;
var<workgroup> cz: array<f32, CAP>;
var<workgroup> sidx: array<u32, CAP>;
var<workgroup> se: array<f32, CAP>;

fn zval(i: u32) -> f32 {
  var l = x[p.x_offset + i];
  if (p.has_counts != 0u) {
    let c = counts[i];
    if (c > 0u) {
      if (p.repetition != 1.0) {
        l = select(l * p.repetition, l / p.repetition, l > 0.0);
      }
      l = l - p.presence - p.frequency * f32(c);
    }
  }
  if (p.temperature > 0.0) {
    l = l / p.temperature;
  }
  return l;
}

// An order-preserving map of f32 to u32: a < b ⇔ key(a) < key(b) (for non-NaN values).
fn key(v: f32) -> u32 {
  let b = bitcast<u32>(v);
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

@compute @workgroup_size(WG)
fn main(lane: Lane) {
  let li = lane.index;
  var zm = NEG_MAX;
  var zi = NONE;
  for (var i = li; i < p.n; i += WG) {
    let z = zval(i);
    if (zi == NONE || z > zm) {
      zm = z;
      zi = i;
    }
  }
  let zmax = group_max(zm, lane);
  if (li == 0u) {
    atomicStore(&counter, NONE);
  }
  workgroupBarrier();
  if (p.temperature <= 0.0) {
    if (zi != NONE && zm == zmax) {
      atomicMin(&counter, zi);
    }
    workgroupBarrier();
    if (li == 0u) {
      out[p.out_offset] = atomicLoad(&counter);
    }
    return;
  }

  // top-k: the key of the k-th largest z, one byte at a time from the top
  let topk_on = p.top_k > 0u && p.top_k < p.n;
  var kkey = 0u;
  if (topk_on) {
    var pref = 0u;
    var mask = 0u;
    if (li == 0u) {
      radix[1] = p.top_k;
    }
    for (var step = 0u; step < 4u; step++) {
      let shift = 24u - 8u * step;
      for (var b = li; b < 256u; b += WG) {
        atomicStore(&hist[b], 0u);
      }
      workgroupBarrier();
      for (var i = li; i < p.n; i += WG) {
        let kz = key(zval(i));
        if ((kz & mask) == pref) {
          atomicAdd(&hist[(kz >> shift) & 255u], 1u);
        }
      }
      workgroupBarrier();
      if (li == 0u) {
        let need = radix[1];
        var cum = 0u;
        var sel = 0u;
        for (var b = 255i; b >= 0i; b--) {
          let h = atomicLoad(&hist[u32(b)]);
          if (cum + h >= need) {
            sel = u32(b);
            break;
          }
          cum += h;
        }
        radix[0] = sel;
        radix[1] = need - cum;
      }
      workgroupBarrier();
      pref = pref | (radix[0] << shift);
      mask = mask | (255u << shift);
    }
    kkey = pref;
  }

  // fast path: gather the top-k candidates
  if (li == 0u) {
    atomicStore(&counter, 0u);
  }
  workgroupBarrier();
  if (topk_on) {
    for (var i = li; i < p.n; i += WG) {
      let z = zval(i);
      if (key(z) >= kkey) {
        let j = atomicAdd(&counter, 1u);
        if (j < CAP) {
          cidx[j] = i;
          cz[j] = z;
        }
      }
    }
  }
  workgroupBarrier();
  if (li == 0u) {
    counted = atomicLoad(&counter);
  }
  let nc = workgroupUniformLoad(&counted);
  if (topk_on && nc <= CAP) {
    let has = li < nc;
    var z = 0.0;
    var idx = 0u;
    var e = 0.0;
    if (has) {
      z = cz[li];
      idx = cidx[li];
      e = exp(z - zmax);
    }
    let mass = group_sum(e, lane);
    var keep = has;
    if (has && p.top_p < 1.0) {
      var above = 0.0;
      for (var j = 0u; j < nc; j++) {
        if (cz[j] > z) {
          above += exp(cz[j] - zmax);
        }
      }
      keep = above < p.top_p * mass;
    }
    if (p.min_p > 0.0) {
      keep = keep && e >= p.min_p;
    }
    // order by token index: a candidate's rank is the number of candidates with a lower index
    if (has) {
      var rank = 0u;
      for (var j = 0u; j < nc; j++) {
        rank += select(0u, 1u, cidx[j] < idx);
      }
      sidx[rank] = idx;
      se[rank] = select(0.0, e, keep);
    }
    workgroupBarrier();
    if (li == 0u) {
      var total = 0.0;
      for (var j = 0u; j < nc; j++) {
        total += se[j];
      }
      let goal = p.u * total;
      var run = 0.0;
      var pick = NONE;
      var last = NONE;
      for (var j = 0u; j < nc; j++) {
        if (se[j] > 0.0) {
          last = sidx[j];
          run += se[j];
          if (run > goal) {
            pick = sidx[j];
            break;
          }
        }
      }
      out[p.out_offset] = select(pick, last, pick == NONE);
    }
    return;
  }

  // general path: cutoffs by bisection over the whole row
  var zs = 0.0;
  for (var i = li; i < p.n; i += WG) {
    let z = zval(i);
    zs += select(0.0, exp(z - zmax), key(z) >= kkey);
  }
  let mass_k = group_sum(zs, lane);
  // top-p: the smallest key K with mass(kept, key > K) < top_p · mass_k
  var pkey = kkey;
  if (p.top_p < 1.0) {
    var lo = kkey;
    var hi = 0xffffffffu;
    for (var it = 0u; it < 32u; it++) {
      let mid = lo + (hi - lo) / 2u;
      var m = 0.0;
      for (var i = li; i < p.n; i += WG) {
        let z = zval(i);
        let kz = key(z);
        m += select(0.0, exp(z - zmax), kz >= kkey && kz > mid);
      }
      let above = group_sum(m, lane);
      if (lo < hi) {
        if (above < p.top_p * mass_k) {
          hi = mid;
        } else {
          lo = mid + 1u;
        }
      }
    }
    pkey = lo;
  }
  // inverse CDF in index order: invocation li owns indices [li · chunk, (li + 1) · chunk)
  let chunk = (p.n + WG - 1u) / WG;
  let i0 = min(li * chunk, p.n);
  let i1 = min(i0 + chunk, p.n);
  var s = 0.0;
  for (var i = i0; i < i1; i++) {
    let z = zval(i);
    let e = exp(z - zmax);
    s += select(0.0, e, key(z) >= pkey && e >= p.min_p);
  }
  prefix[li] = s;
  if (li == 0u) {
    atomicStore(&counter, 0u);
  }
  workgroupBarrier();
  if (s > 0.0) {
    atomicMax(&counter, li + 1u);
  }
  if (li == 0u) {
    var run = 0.0;
    for (var j = 0u; j < WG; j++) {
      let v = prefix[j];
      prefix[j] = run;
      run += v;
    }
    kept_total = run;
  }
  workgroupBarrier();
  let last = atomicLoad(&counter);
  let goal = p.u * kept_total;
  let lo_edge = prefix[li];
  let is_last = li + 1u == last;
  if (s > 0.0 && goal >= lo_edge && (goal < lo_edge + s || is_last)) {
    var run = lo_edge;
    var pick = NONE;
    var last_kept = i0;
    for (var i = i0; i < i1; i++) {
      let z = zval(i);
      let e = exp(z - zmax);
      if (key(z) >= pkey && e >= p.min_p) {
        last_kept = i;
        run += e;
        if (run > goal) {
          pick = i;
          break;
        }
      }
    }
    out[p.out_offset] = select(pick, last_kept, pick == NONE);
  }
}
