// Qwen3-MoE prefill: each expert's down projection over its grouped rows,
//   y[r, h] = act[r] · down_proj_e[h]   for the grouped rows r of expert e (moe_route.wgsl's plan)
// Workgroup (x, y) takes tile y of the plan (one expert, up to BT consecutive grouped rows) and
// output columns h0 = 64·x .. h0 + 64: a tile of 32 rows × 64 weight rows, 8 per invocation,
// stepping over I 32 columns at a time through workgroup memory (12 KiB). Tiles beyond the plan's
// count, or of experts outside this weight chunk (experts e0 .. e0 + ne of the stacked [E, H, I]
// tensor, packages/qwen3/src/gpu-moe/layout.ts), leave at once. moe_combine.wgsl then sums each
// token's k rows, weighted.

#include WEIGHT
#include X8

struct Params {
  rows: u32,     // H = hidden_size: output values per row
  cols: u32,     // I = moe_intermediate_size
  k8s: u32,      // groups of 8 columns per weight row
  e0: u32,       // first expert of this weight chunk
  ne: u32,       // experts in this chunk
  tiles_at: u32, // plan offset of the tile list (moe_route.wgsl)
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read_write> y: array<f32>; // [T·k, H], grouped rows
@group(0) @binding(5) var<storage, read> plan: array<u32>;

const BT = 32u; // grouped rows per tile
const BR = 64u; // weight rows (output columns) per tile
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
  let r0 = info.y;
  let n = info.z;
  let h0 = wid.x * BR;
  let wr = li / 4u;
  let wh = h0 + wr;
  let wrow = (info.x - p.e0) * p.rows + wh;
  let xt = li / 4u;
  let xload = li < 128u && xt < n;
  let tx = li % 16u; // output columns tx + 16m of the tile
  let ty = li / 16u; // rows ty, ty + 16
  var acc: array<vec4<f32>, 2>;
  let steps = (p.k8s * 8u + BK - 1u) / BK;
  for (var s = 0u; s < steps; s++) {
    let c0 = s * BK;
    let wk = c0 / 8u + li % 4u;
    var wv = mat2x4<f32>();
    if (wh < p.rows && wk < p.k8s) {
      wv = w8(wrow * p.k8s + wk);
    }
    var xv = mat2x4<f32>();
    if (xload) {
      xv = x8((r0 + xt) * p.cols, c0 + (li % 4u) * 8u, p.cols);
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
      for (var m = 0u; m < 4u; m++) {
        let h = h0 + tx + 16u * m;
        if (h < p.rows) {
          y[(r0 + t) * p.rows + h] = acc[a][m];
        }
      }
    }
  }
}
