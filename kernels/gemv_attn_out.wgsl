// The split-K attention combine (attention_combine.wgsl) fused into the o_proj GEMV (gemv.wgsl) for
// decode: each workgroup first combines the partials (m, l, acc) of every head and split of
// attention_decode.wgsl into workgroup memory, the attention output a[n_heads · head_dim] with
// a[h, d] = Σ_i e^(m_i − M) acc_i[d] / Σ_i e^(m_i − M) l_i (the combine's arithmetic, in its order),
// then computes out[out_offset + r] (+)= Σ_c a[c] · W[r, c] for the rows of one weight chunk as
// gemv.wgsl does with staged activations. head_dim is a multiple of 8 (the wrapper checks).

#include WEIGHT
#include REDUCE

struct Params {
  rows: u32,       // rows of this weight chunk
  cols: u32,       // n_heads · head_dim
  k8s: u32,        // groups of 8 columns per weight row (cols / 8, q8_0 rows padded to whole blocks)
  out_offset: u32, // element index in out of this chunk's row 0
  accumulate: u32, // 1: out += result (the residual add)
  n_heads: u32,
  head_dim: u32,
  n_splits: u32,   // partials per head
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> partials: array<f32>; // [n_heads, n_splits, head_dim + 2]
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

override WG: u32 = 256;   // invocations per workgroup
override LANES: u32 = 32; // invocations per output row; WG / LANES rows per workgroup
override UNROLL: u32 = 2; // units in flight per lane and step (1 to 4)
override WIDE: u32 = 1;   // groups of 8 per unit: 1 (w8dot) or 2 (w16dot; k8s must be even)
override XS: u32 = 512;   // vec4s of the staged attention output (2 · k8s: cols / 4, then the padding)
override WS: u32 = 512;   // n_heads · n_splits
override NH: u32 = 16;    // n_heads

var<workgroup> xs: array<vec4<f32>, XS>;
var<workgroup> wm: array<f32, WS>; // each partial's m, then e^(m − M)
var<workgroup> wl: array<f32, WS>; // each partial's l
var<workgroup> inv_l: array<f32, NH>;

fn stage(lane: Lane) {
  let stride = p.head_dim + 2u;
  let n = p.n_heads * p.n_splits;
  for (var i = lane.index; i < n; i += WG) {
    wm[i] = partials[i * stride];
    wl[i] = partials[i * stride + 1u];
  }
  workgroupBarrier();
  for (var h = lane.index; h < p.n_heads; h += WG) {
    let b = h * p.n_splits;
    var m = wm[b];
    for (var i = 1u; i < p.n_splits; i++) {
      m = max(m, wm[b + i]);
    }
    var l = 0.0;
    for (var i = 0u; i < p.n_splits; i++) {
      let e = exp(wm[b + i] - m);
      wm[b + i] = e;
      l += e * wl[b + i];
    }
    inv_l[h] = 1.0 / l;
  }
  workgroupBarrier();
  let hd4 = p.head_dim / 4u;
  for (var c = lane.index; c < 2u * p.k8s; c += WG) {
    if (c >= p.cols / 4u) { // q8_0 rows pad to whole blocks of 32 columns (zero weights)
      xs[c] = vec4<f32>();
      continue;
    }
    let h = c / hd4;
    let d = 4u * (c % hd4);
    var a = vec4<f32>();
    for (var i = 0u; i < p.n_splits; i++) {
      let e = wm[h * p.n_splits + i];
      if (e != 0.0) { // empty splits (and ones that underflow) add nothing: skip their loads
        let s = (h * p.n_splits + i) * stride + 2u + d;
        a += e * vec4<f32>(partials[s], partials[s + 1u], partials[s + 2u], partials[s + 3u]);
      }
    }
    xs[c] = a * inv_l[h];
  }
  workgroupBarrier();
}

// unit u of the row (its first column 8 · WIDE · u), weights from unit index `wu`
fn udot(wu: u32, u: u32) -> f32 {
  if (WIDE == 2u) {
    let c = 4u * u;
    return w16dot(wu, mat2x4<f32>(xs[c], xs[c + 1u]), mat2x4<f32>(xs[c + 2u], xs[c + 3u]));
  }
  return w8dot(wu, mat2x4<f32>(xs[2u * u], xs[2u * u + 1u]));
}

@compute @workgroup_size(WG)
fn main(lane: Lane, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  stage(lane);
  let row = (wid.x + wid.y * nwg.x) * (WG / LANES) + lane.index / LANES;
  let l = lane.index % LANES;
  var acc = array<f32, 4>();
  if (row < p.rows) {
    let n = p.k8s / WIDE; // units per row
    let wrow = row * n;
    var u = l;
    for (; u + (UNROLL - 1u) * LANES < n; u += UNROLL * LANES) {
      for (var t = 0u; t < UNROLL; t++) {
        acc[t] += udot(wrow + u + t * LANES, u + t * LANES);
      }
    }
    for (; u < n; u += LANES) {
      acc[0] += udot(wrow + u, u);
    }
  }
  let total = group_sum((acc[0] + acc[1]) + (acc[2] + acc[3]), lane);
  if (l == 0u && row < p.rows) {
    let o = p.out_offset + row;
    out[o] = select(total, out[o] + total, p.accumulate != 0u);
  }
}
