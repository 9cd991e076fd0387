// GEMV for decode (one activation row): out[out_offset + r] (+)= Σ_c n(x)[x_offset + c] · W[r, c]
// for the rows r of one weight chunk, where n(x) = x, or, with `norm`, the RMSNorm of the row
// (x / sqrt(mean(x²) + eps) · norm_w: the layer's input norm fused in, each workgroup computing
// the row's mean square itself). With `accumulate` the result is added to out (a residual add
// fused in). LANES invocations share a row: each strides over the row's units (WIDE groups of 8
// columns, read by one w8dot / w16dot), UNROLL units in flight per step, then the group is summed
// (subgroups where the adapter has them). With XS > 0 each workgroup first stages n(x) (the X8
// include's activations, RMSNorm applied) in workgroup memory, so the SiLU·mul or norm of a column
// is computed once per workgroup rather than once per weight. f32 accumulation whatever the weight dtype.

#include WEIGHT
#include REDUCE
#include X8

struct Params {
  rows: u32,       // rows of this weight chunk (output features it produces)
  cols: u32,       // input features: length of the activation row
  k8s: u32,        // groups of 8 columns per weight row (padded cols / 8)
  x_offset: u32,   // element index of the activation row in x
  out_offset: u32, // element index in out of this chunk's row 0
  accumulate: u32, // 1: out += result
  norm: u32,       // 1: RMSNorm the activation row first (norm_w, eps)
  eps: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<storage, read> norm_w: array<f32>; // [cols]; read only when norm = 1

override WG: u32 = 256;   // invocations per workgroup
override LANES: u32 = 32; // invocations per output row; WG / LANES rows per workgroup
override UNROLL: u32 = 2; // units in flight per lane and step (1 to 4)
override WIDE: u32 = 1;   // groups of 8 per unit: 1 (w8dot) or 2 (w16dot; k8s must be even)
override XS: u32 = 0;     // 0: read x directly; else vec4s of staged n(x) (≥ 2 · k8s)

var<workgroup> xs: array<vec4<f32>, max(XS, 1u)>;

// n(x) for 8 columns from c, read directly
fn xn8(c: u32, inv: f32) -> mat2x4<f32> {
  let v = x8(p.x_offset, c, p.cols);
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

// unit u of the row (its first column 8 · WIDE · u), weights from unit index `wu`
fn udot(wu: u32, u: u32, inv: f32) -> f32 {
  if (WIDE == 2u) {
    return w16dot(wu, xg(16u * u, inv), xg(16u * u + 8u, inv));
  }
  return w8dot(wu, xg(8u * u, inv));
}

// stages n(x) (x8 activations, zero past cols) in xs; returns the RMSNorm's 1 / rms (1 without norm)
fn stage(lane: Lane) -> f32 {
  var ss = 0.0;
  for (var g = lane.index; g < p.k8s; g += WG) {
    var v = mat2x4<f32>();
    if (8u * g < p.cols) {
      v = x8(p.x_offset, 8u * g, p.cols);
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
  var inv = 1.0;
  if (XS > 0u) {
    inv = stage(lane);
  } else if (p.norm != 0u) {
    var ss = 0.0;
    for (var i = lane.index; i < p.cols; i += WG) {
      let v = x1(p.x_offset + i);
      ss += v * v;
    }
    inv = 1.0 / sqrt(reduce_sum(ss, lane, WG) / f32(p.cols) + p.eps);
  }
  let row = (wid.x + wid.y * nwg.x) * (WG / LANES) + lane.index / LANES;
  let l = lane.index % LANES;
  var acc = array<f32, 4>();
  if (row < p.rows) {
    let n = p.k8s / WIDE; // units per row
    let wrow = row * n;
    var u = l;
    for (; u + (UNROLL - 1u) * LANES < n; u += UNROLL * LANES) {
      for (var t = 0u; t < UNROLL; t++) {
        acc[t] += udot(wrow + u + t * LANES, u + t * LANES, inv);
      }
    }
    for (; u < n; u += LANES) {
      acc[0] += udot(wrow + u, u, inv);
    }
  }
  let total = group_sum((acc[0] + acc[1]) + (acc[2] + acc[3]), lane);
  if (l == 0u && row < p.rows) {
    let o = p.out_offset + row;
    out[o] = select(total, out[o] + total, p.accumulate != 0u);
  }
}
