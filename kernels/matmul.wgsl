// Register-tiled matmul for prefill:
// out[t · out_stride + out_offset + r] (+)= Σ_c x[x_offset + t · x_stride + c] · W[r, c].
// A workgroup of WX × WY invocations computes BT = 4 · TM4 · WY tokens × BR = 4 · TN4 · WX rows,
// TM4 × TN4 blocks of 4 × 4 per invocation (rows 4 · (i · WX + tx) + 0..3, tokens likewise), stepping
// over the columns BK at a time. Tiles sit k-major in workgroup memory as vec4 (one vec4 read gives
// 4 rows or tokens); weights are converted to f32 once, when staged. NBUF = 2 double-buffers the
// tiles (one barrier per step); global loads for the next step are issued before the current
// step's FMAs. Workgroup memory: 4 · NBUF · BK · (BT + BR) bytes.

#include WEIGHT
#include X8

struct Params {
  T: u32,
  rows: u32,
  cols: u32,
  k8s: u32,
  x_offset: u32,
  x_stride: u32,
  out_stride: u32,
  out_offset: u32,
  accumulate: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

override WX: u32 = 16u;  // invocations along rows
override WY: u32 = 16u;  // invocations along tokens
override TN4: u32 = 2u;  // vec4 row blocks per invocation (1 or 2)
override TM4: u32 = 2u;  // vec4 token blocks per invocation (1 or 2)
override BK: u32 = 16u;  // columns per step (multiple of 8)
override NBUF: u32 = 2u; // 1 or 2 tile buffers

const MAXG = 4u; // staged groups of 8 per invocation and operand, at most

override NT = WX * WY;
override BR = 4u * TN4 * WX;
override BT = 4u * TM4 * WY;
override GW = BR * BK / 8u; // weight groups per step
override GX = BT * BK / 8u; // activation groups per step

var<workgroup> ws: array<vec4<f32>, NBUF * BK * BR / 4u>; // [buf][k][BR / 4]
var<workgroup> xs: array<vec4<f32>, NBUF * BK * BT / 4u>; // [buf][k][BT / 4]

var<private> wreg: array<mat2x4<f32>, MAXG>;
var<private> xreg: array<mat2x4<f32>, MAXG>;

fn load(li: u32, r0: u32, t0: u32, s: u32) {
  for (var i = 0u; i < MAXG; i++) {
    let g = li + i * NT;
    if (g < GW) {
      let r = g % BR; // rows fastest: conflict-free stores
      let k = s * (BK / 8u) + g / BR;
      var v = mat2x4<f32>();
      if (r0 + r < p.rows && k < p.k8s) {
        v = w8((r0 + r) * p.k8s + k);
      }
      wreg[i] = v;
    }
    if (g < GX) {
      let t = g % BT;
      let c = s * BK + (g / BT) * 8u;
      var v = mat2x4<f32>();
      if (t0 + t < p.T) {
        v = x8(p.x_offset + (t0 + t) * p.x_stride, c, p.cols);
      }
      xreg[i] = v;
    }
  }
}

fn store(li: u32, b: u32) {
  for (var i = 0u; i < MAXG; i++) {
    let g = li + i * NT;
    if (g < GW) {
      let r = g % BR;
      let kb = (g / BR) * 8u;
      for (var e = 0u; e < 8u; e++) {
        ws[(b * BK + kb + e) * (BR / 4u) + r / 4u][r % 4u] = wreg[i][e / 4u][e % 4u];
      }
    }
    if (g < GX) {
      let t = g % BT;
      let kb = (g / BT) * 8u;
      for (var e = 0u; e < 8u; e++) {
        xs[(b * BK + kb + e) * (BT / 4u) + t / 4u][t % 4u] = xreg[i][e / 4u][e % 4u];
      }
    }
  }
}

@compute @workgroup_size(NT)
fn main(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let r0 = wid.x * BR;
  let t0 = wid.y * BT;
  let tx = li % WX;
  let ty = li / WX;
  var acc: array<array<vec4<f32>, 2>, 8>; // acc[token 4 · jb + jc][row block i]
  let steps = (p.k8s * 8u + BK - 1u) / BK;
  load(li, r0, t0, 0u);
  store(li, 0u);
  workgroupBarrier();
  for (var s = 0u; s < steps; s++) {
    let b = select(0u, s % 2u, NBUF == 2u);
    let more = s + 1u < steps;
    if (more) {
      load(li, r0, t0, s + 1u);
    }
    for (var k = 0u; k < BK; k++) {
      let wb = (b * BK + k) * (BR / 4u);
      let xb = (b * BK + k) * (BT / 4u);
      var wv: array<vec4<f32>, 2>;
      for (var i = 0u; i < TN4; i++) {
        wv[i] = ws[wb + i * WX + tx];
      }
      for (var jb = 0u; jb < TM4; jb++) {
        let xv = xs[xb + jb * WY + ty];
        for (var i = 0u; i < TN4; i++) {
          acc[4u * jb][i] += xv.x * wv[i];
          acc[4u * jb + 1u][i] += xv.y * wv[i];
          acc[4u * jb + 2u][i] += xv.z * wv[i];
          acc[4u * jb + 3u][i] += xv.w * wv[i];
        }
      }
    }
    if (NBUF == 1u) {
      workgroupBarrier(); // this step's reads are done
    }
    if (more) {
      store(li, select(0u, (s + 1u) % 2u, NBUF == 2u));
    }
    workgroupBarrier();
  }
  for (var jb = 0u; jb < TM4; jb++) {
    for (var jc = 0u; jc < 4u; jc++) {
      let t = t0 + 4u * (jb * WY + ty) + jc;
      if (t < p.T) {
        for (var i = 0u; i < TN4; i++) {
          for (var c = 0u; c < 4u; c++) {
            let r = r0 + 4u * (i * WX + tx) + c;
            if (r < p.rows) {
              let o = t * p.out_stride + p.out_offset + r;
              let v = acc[4u * jb + jc][i][c];
              out[o] = select(v, out[o] + v, p.accumulate != 0u);
            }
          }
        }
      }
    }
  }
}
