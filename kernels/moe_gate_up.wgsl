// Qwen3-MoE decode (one token): the active experts' gate/up projections fused with the routing and
// the MLP activation. Each workgroup takes the router's top-k from the logits itself (TOPK: no
// readback, no extra dispatch), then computes its rows of
//   act[j, i] = silu(n(x) · gate_proj_{e_j}[i]) · (n(x) · up_proj_{e_j}[i])   (j < k, i < I)
// where e_j is the j-th selected expert and n(x) is x, or with `norm` its RMSNorm (the layer's
// post_attention_layernorm fused in, each workgroup computing the row's mean square itself).
// The weights are one chunk of a layer's stacked gate_up tensor [E, 2·I, H]: experts e0 .. e0 + ne,
// each as its I gate_proj rows then its I up_proj rows (packages/qwen3/src/gpu-moe/layout.ts);
// rows of experts outside the chunk are left to that chunk's dispatch. With `write_route`,
// workgroup 0 stores the selection in `route` for the down projection. LANES invocations share a
// row pair (gate row i and up row i), each striding over units of WIDE groups of 8 columns, UNROLL
// units of each row in flight; with XS > 0 the workgroup first stages n(x) in workgroup memory (the
// norm applied once per workgroup, not per weight). f32 accumulation whatever the weight dtype.

#include WEIGHT
#include REDUCE
#include TOPK
#include X8

struct Params {
  inter: u32,       // I = moe_intermediate_size: act values per expert
  cols: u32,        // H = hidden_size
  k8s: u32,         // groups of 8 columns per weight row
  E: u32,           // num_experts (router logits)
  k: u32,           // num_experts_per_tok
  e0: u32,          // first expert of this weight chunk
  ne: u32,          // experts in this chunk
  norm: u32,        // 1: RMSNorm x first (norm_w, eps)
  eps: f32,
  renorm: u32,      // 1: norm_topk_prob
  write_route: u32, // 1: workgroup 0 writes the selection to route
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read_write> act: array<f32>;   // [k, I]
@group(0) @binding(5) var<storage, read> norm_w: array<f32>;      // [H]; read only when norm = 1
@group(0) @binding(6) var<storage, read> logits: array<f32>;      // [E] router logits
@group(0) @binding(7) var<storage, read_write> route: array<u32>; // [k, 2]: expert id, bitcast f32 weight

override WG: u32 = 256;
override LANES: u32 = 32;
override UNROLL: u32 = 2; // units of each row in flight per lane and step (1 to 4)
override WIDE: u32 = 1;   // groups of 8 per unit: 1 (w8dot) or 2 (w16dot; k8s must be even)
override XS: u32 = 0;     // 0: read x directly; else vec4s of staged n(x) (≥ 2 · k8s)

var<workgroup> xs: array<vec4<f32>, max(XS, 1u)>;

// n(x) for the 8 columns from c
fn xn8(c: u32, inv: f32) -> mat2x4<f32> {
  let v = x8(0u, c, p.cols);
  if (p.norm == 0u) {
    return v;
  }
  var g = mat2x4<f32>();
  for (var j = 0u; j < 8u; j++) {
    if (c + j < p.cols) {
      g[j / 4u][j % 4u] = norm_w[c + j] * (v[j / 4u][j % 4u] * inv);
    }
  }
  return g;
}

// n(x) for 8 columns from c (a multiple of 8)
fn xg(c: u32, inv: f32) -> mat2x4<f32> {
  if (XS > 0u) {
    return mat2x4<f32>(xs[c / 4u], xs[c / 4u + 1u]);
  }
  return xn8(c, inv);
}

// unit u (first column 8 · WIDE · u) of the gate row at unit gr and the up row at unit ur: (gate, up) dots
fn gu_dot(gr: u32, ur: u32, u: u32, inv: f32) -> vec2<f32> {
  if (WIDE == 2u) {
    let x0 = xg(16u * u, inv);
    let x1 = xg(16u * u + 8u, inv);
    return vec2<f32>(w16dot(gr + u, x0, x1), w16dot(ur + u, x0, x1));
  }
  let x0 = xg(8u * u, inv);
  return vec2<f32>(w8dot(gr + u, x0), w8dot(ur + u, x0));
}

// stages n(x) (zero past cols) in xs; returns the RMSNorm's 1 / rms (1 without norm)
fn stage(lane: Lane) -> f32 {
  var ss = 0.0;
  for (var g = lane.index; g < p.k8s; g += WG) {
    var v = mat2x4<f32>();
    if (8u * g < p.cols) {
      v = x8(0u, 8u * g, p.cols);
    }
    xs[2u * g] = v[0];
    xs[2u * g + 1u] = v[1];
    ss += dot(v[0], v[0]) + dot(v[1], v[1]);
  }
  var inv = 1.0;
  if (p.norm != 0u) {
    inv = 1.0 / sqrt(reduce_sum(ss, lane, WG) / f32(p.cols) + p.eps);
    for (var g = lane.index; g < p.k8s; g += WG) {
      for (var h = 0u; h < 2u; h++) {
        let c = 8u * g + 4u * h;
        var s = vec4<f32>();
        for (var j = 0u; j < 4u; j++) {
          if (c + j < p.cols) {
            s[j] = norm_w[c + j] * inv;
          }
        }
        xs[2u * g + h] *= s;
      }
    }
  }
  workgroupBarrier();
  return inv;
}

@compute @workgroup_size(WG)
fn main(lane: Lane, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  topk(0u, p.E, p.k, p.renorm != 0u, lane);
  let wg = wid.x + wid.y * nwg.x;
  if (wg == 0u && p.write_route != 0u && lane.index < p.k) {
    route[2u * lane.index] = tk_id[lane.index];
    route[2u * lane.index + 1u] = bitcast<u32>(tk_w[lane.index]);
  }
  var inv = 1.0;
  if (XS > 0u) {
    inv = stage(lane);
  } else if (p.norm != 0u) {
    var ss = 0.0;
    for (var i = lane.index; i < p.cols; i += WG) {
      let v = x1(i);
      ss += v * v;
    }
    inv = 1.0 / sqrt(reduce_sum(ss, lane, WG) / f32(p.cols) + p.eps);
  }
  let row = wg * (WG / LANES) + lane.index / LANES;
  let l = lane.index % LANES;
  let j = row / p.inter;
  let i = row % p.inter;
  var e = 0xffffffffu;
  if (j < p.k) {
    e = tk_id[j];
  }
  let mine = e >= p.e0 && e < p.e0 + p.ne;
  var acc = array<vec2<f32>, 4>(); // (gate, up) partial dots
  if (mine) {
    let n = p.k8s / WIDE;                         // units per row
    let gr = ((e - p.e0) * 2u * p.inter + i) * n; // gate_proj row i of expert e, in units
    let ur = gr + p.inter * n;                    // up_proj row i
    var u = l;
    for (; u + (UNROLL - 1u) * LANES < n; u += UNROLL * LANES) {
      for (var t = 0u; t < UNROLL; t++) {
        acc[t] += gu_dot(gr, ur, u + t * LANES, inv);
      }
    }
    for (; u < n; u += LANES) {
      acc[0] += gu_dot(gr, ur, u, inv);
    }
  }
  let gu = (acc[0] + acc[1]) + (acc[2] + acc[3]);
  let g = gu.x;
  let u = gu.y;
  let gs = group_sum(g, lane);
  let us = group_sum(u, lane);
  if (l == 0u && mine) {
    act[j * p.inter + i] = gs / (1.0 + exp(-gs)) * us;
  }
}
