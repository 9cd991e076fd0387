// Qwen3-MoE prefill: each expert's gate/up projections over the tokens routed to it, fused with the
// MLP activation:  act[r, i] = silu(x[t_r] · gate_proj_e[i]) · (x[t_r] · up_proj_e[i])
// for the grouped rows r of expert e (moe_route.wgsl's plan; t_r = rows[r] / k, the token of slot
// rows[r]). Workgroup (x, y) takes tile y of the plan (one expert, up to BT grouped rows) and
// columns i0 = 32·x .. i0 + 32 of act: a tile of 32 tokens × 64 weight rows (the 32 gate_proj rows
// and the 32 up_proj rows of those columns, so one invocation holds both halves of its outputs),
// 8 per invocation, stepping over H 32 columns at a time through workgroup memory (12 KiB).
// Tiles beyond the plan's count, or of experts outside this weight chunk (experts e0 .. e0 + ne of
// the stacked [E, 2·I, H] tensor, packages/qwen3/src/gpu-moe/layout.ts), leave at once.

#include WEIGHT
#include X8

struct Params {
  inter: u32,    // I = moe_intermediate_size
  cols: u32,     // H = hidden_size
  k8s: u32,      // groups of 8 columns per weight row
  k: u32,        // num_experts_per_tok
  e0: u32,       // first expert of this weight chunk
  ne: u32,       // experts in this chunk
  tiles_at: u32, // plan offsets (moe_route.wgsl)
  rows_at: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read_write> act: array<f32>; // [T·k, I], grouped rows
@group(0) @binding(5) var<storage, read> plan: array<u32>;

const BT = 32u; // grouped rows (tokens) per tile
const BR = 64u; // weight rows per tile: 32 gate, then 32 up
const BK = 32u; // columns per step

var<workgroup> xs: array<f32, 1024>; // [BK][BT]
var<workgroup> ws: array<f32, 2048>; // [BK][BR]
var<workgroup> tile_info: vec4<u32>; // expert, first grouped row, rows, 1 if this workgroup has work

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  if (li == 0u) {
    var info = vec4<u32>(0u);
    if (wid.y < plan[0]) {
      let e = plan[p.tiles_at + 2u * wid.y];
      let r0 = plan[p.tiles_at + 2u * wid.y + 1u];
      if (e >= p.e0 && e < p.e0 + p.ne) {
        info = vec4<u32>(e, r0, min(BT, plan[2u + e] - r0), 1u);
      }
    }
    tile_info = info;
  }
  let info = workgroupUniformLoad(&tile_info);
  if (info.w == 0u) {
    return;
  }
  let base = (info.x - p.e0) * 2u * p.inter; // row 0 of the expert in the chunk
  let r0 = info.y;
  let n = info.z;
  let i0 = wid.x * 32u;
  // what this invocation loads each step: one weight group (64 rows × 4 groups) ...
  let wr = li / 4u;
  let wi = i0 + wr % 32u;
  let wrow = base + (wr / 32u) * p.inter + wi;
  // ... and, for the first 128, one activation group (32 tokens × 4 groups)
  let xt = li / 4u;
  var xbase = 0u;
  let xload = li < 128u && xt < n;
  if (xload) {
    xbase = (plan[p.rows_at + r0 + xt] / p.k) * p.cols;
  }
  let tx = li % 16u; // weight rows tx + 16m of the tile: gate columns tx, tx + 16 (m = 0, 1), up (m = 2, 3)
  let ty = li / 16u; // tokens ty, ty + 16
  var acc: array<vec4<f32>, 2>;
  let steps = (p.k8s * 8u + BK - 1u) / BK;
  for (var s = 0u; s < steps; s++) {
    let c0 = s * BK;
    let wk = c0 / 8u + li % 4u;
    var wv = mat2x4<f32>();
    if (wi < p.inter && wk < p.k8s) {
      wv = w8(wrow * p.k8s + wk);
    }
    var xv = mat2x4<f32>();
    if (xload) {
      xv = x8(xbase, c0 + (li % 4u) * 8u, p.cols);
    }
    workgroupBarrier(); // the previous step's reads are done
    let kb = (li % 4u) * 8u;
    for (var j = 0u; j < 8u; j++) {
      ws[(kb + j) * BR + wr] = wv[j / 4u][j % 4u];
      if (li < 128u) {
        xs[(kb + j) * BT + xt] = xv[j / 4u][j % 4u];
      }
    }
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk++) {
      let w = vec4<f32>(ws[kk * BR + tx], ws[kk * BR + tx + 16u], ws[kk * BR + tx + 32u], ws[kk * BR + tx + 48u]);
      acc[0] += xs[kk * BT + ty] * w;
      acc[1] += xs[kk * BT + ty + 16u] * w;
    }
  }
  for (var a = 0u; a < 2u; a++) {
    let t = ty + 16u * a;
    if (t < n) {
      for (var m = 0u; m < 2u; m++) {
        let i = i0 + tx + 16u * m;
        if (i < p.inter) {
          let g = acc[a][m];
          act[(r0 + t) * p.inter + i] = g / (1.0 + exp(-g)) * acc[a][m + 2u];
        }
      }
    }
  }
}
