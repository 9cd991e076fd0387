// Tiled matmul for prefill: out[t · out_stride + out_offset + r] (+)= Σ_c x[x_offset + t · x_stride + c] · W[r, c]
// for t < T and the rows r of one weight chunk (nn.Linear without bias, f32 accumulation).
// A workgroup of 16 × 16 invocations computes a tile of 64 tokens × 64 rows, 4 × 4 per
// invocation, stepping over the columns 32 at a time through workgroup memory (16 KiB, the
// WebGPU default limit). Tiles are stored k-major so that neighbouring invocations read
// neighbouring words.

#include WEIGHT
#include X8

struct Params {
  T: u32,          // activation rows (tokens)
  rows: u32,       // rows of this weight chunk
  cols: u32,       // input features
  k8s: u32,        // groups of 8 columns per weight row (padded cols / 8)
  x_offset: u32,   // element index of activation row 0
  x_stride: u32,   // elements between consecutive activation rows
  out_stride: u32, // elements between consecutive output rows
  out_offset: u32, // element index in out of this chunk's row 0 (token 0)
  accumulate: u32, // 1: out += result (a residual add fused in)
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

const BT = 64u; // tokens per tile
const BR = 64u; // weight rows per tile
const BK = 32u; // columns per step

var<workgroup> xs: array<f32, 2048>; // [BK][BT]
var<workgroup> ws: array<f32, 2048>; // [BK][BR]

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let r0 = wid.x * BR;
  let t0 = wid.y * BT;
  let tx = li % 16u; // rows tx, tx + 16, tx + 32, tx + 48 of the tile
  let ty = li / 16u; // tokens ty, ty + 16, ty + 32, ty + 48 of the tile
  var acc: array<vec4<f32>, 4>; // acc[j][i]: token ty + 16j, row tx + 16i
  let steps = (p.k8s * 8u + BK - 1u) / BK;
  for (var s = 0u; s < steps; s++) {
    let c0 = s * BK;
    // weights: one group of 8 per invocation (64 rows × 4 groups)
    let wr = li / 4u;
    let wk = c0 / 8u + li % 4u;
    var wv = mat2x4<f32>();
    if (r0 + wr < p.rows && wk < p.k8s) {
      wv = w8((r0 + wr) * p.k8s + wk);
    }
    // activations: 8 per invocation (64 tokens × 4 groups)
    let xt = li / 4u;
    var xv = mat2x4<f32>();
    if (t0 + xt < p.T) {
      xv = x8(p.x_offset + (t0 + xt) * p.x_stride, c0 + (li % 4u) * 8u, p.cols);
    }
    workgroupBarrier(); // the previous step's reads are done
    let kb = (li % 4u) * 8u;
    for (var j = 0u; j < 8u; j++) {
      ws[(kb + j) * BR + wr] = wv[j / 4u][j % 4u];
      xs[(kb + j) * BT + xt] = xv[j / 4u][j % 4u];
    }
    workgroupBarrier();
    for (var k = 0u; k < BK; k++) {
      let wrow = vec4<f32>(ws[k * BR + tx], ws[k * BR + tx + 16u], ws[k * BR + tx + 32u], ws[k * BR + tx + 48u]);
      for (var j = 0u; j < 4u; j++) {
        acc[j] += xs[k * BT + ty + 16u * j] * wrow;
      }
    }
  }
  for (var j = 0u; j < 4u; j++) {
    let t = t0 + ty + 16u * j;
    if (t < p.T) {
      for (var i = 0u; i < 4u; i++) {
        let r = r0 + tx + 16u * i;
        if (r < p.rows) {
          let o = t * p.out_stride + p.out_offset + r;
          out[o] = select(acc[j][i], out[o] + acc[j][i], p.accumulate != 0u);
        }
      }
    }
  }
}
