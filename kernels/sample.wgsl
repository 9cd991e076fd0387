// Temperature / top-k / top-p sampling of one row of logits from a uniform number u in [0, 1)
// given by the caller, so only the chosen token id (one u32) needs to leave the GPU.
// With z = x / temperature (HF's warper order: temperature, top-k, top-p):
//   top-k keeps z ≥ the k-th largest z (ties at the boundary kept, as HF's TopKLogitsWarper does);
//   top-p keeps, of those, every token whose strictly-larger tokens hold < top_p of the
//   probability (the smallest prefix of the sorted distribution reaching top_p, boundary ties kept);
//   the token is the first index i, in index order, at which the cumulative kept probability
//   exceeds u (inverse CDF). Both thresholds are found by bisection on the order-preserving u32
//   key of z (32 passes each), so no sort is needed. One workgroup.

#include REDUCE

struct Params {
  n: u32,           // vocabulary size
  x_offset: u32,    // element index of the logits row
  out_offset: u32,  // index in out of the result
  top_k: u32,       // 0 or ≥ n: off
  top_p: f32,       // in (0, 1]; 1: off
  temperature: f32, // > 0
  u: f32,           // uniform in [0, 1)
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;

override WG: u32 = 256;
override LANES: u32 = WG;

var<workgroup> prefix: array<f32, WG>;
var<workgroup> last_nonempty: atomic<u32>;
var<workgroup> kept_total: f32;

fn zval(i: u32) -> f32 {
  return x[p.x_offset + i] / p.temperature;
}

// An order-preserving map of f32 to u32: a < b ⇔ key(a) < key(b) (for non-NaN values).
fn key(v: f32) -> u32 {
  let b = bitcast<u32>(v);
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

@compute @workgroup_size(WG)
fn main(lane: Lane) {
  let li = lane.index;
  // top-k: the largest key K with count(key ≥ K) ≥ top_k
  var kkey = 0u;
  if (p.top_k > 0u && p.top_k < p.n) {
    var lo = 0u;
    var hi = 0xffffffffu;
    for (var it = 0u; it < 32u; it++) {
      let mid = lo + (hi - lo) / 2u + ((hi - lo) & 1u);
      var c = 0.0;
      for (var i = li; i < p.n; i += WG) {
        c += select(0.0, 1.0, key(zval(i)) >= mid);
      }
      let total = group_sum(c, lane); // exact: counts < 2^24
      if (lo < hi) {
        if (total >= f32(p.top_k)) {
          lo = mid;
        } else {
          hi = mid - 1u;
        }
      }
    }
    kkey = lo;
  }
  var zm = -3.4028234e38;
  for (var i = li; i < p.n; i += WG) {
    zm = max(zm, zval(i));
  }
  let zmax = group_max(zm, lane);
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
    s += select(0.0, exp(z - zmax), key(z) >= pkey);
  }
  prefix[li] = s;
  if (li == 0u) {
    atomicStore(&last_nonempty, 0u);
  }
  workgroupBarrier();
  if (s > 0.0) {
    atomicMax(&last_nonempty, li + 1u);
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
  let last = atomicLoad(&last_nonempty);
  let goal = p.u * kept_total;
  let lo_edge = prefix[li];
  let is_last = li + 1u == last;
  if (s > 0.0 && goal >= lo_edge && (goal < lo_edge + s || is_last)) {
    var run = lo_edge;
    var pick = 0xffffffffu;
    var last_kept = i0;
    for (var i = i0; i < i1; i++) {
      let z = zval(i);
      if (key(z) >= pkey) {
        last_kept = i;
        run += exp(z - zmax);
        if (run > goal) {
          pick = i;
          break;
        }
      }
    }
    out[p.out_offset] = select(pick, last_kept, pick == 0xffffffffu);
  }
}
