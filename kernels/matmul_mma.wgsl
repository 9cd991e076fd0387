// Prefill matmul on the int8 tensor cores (WebGPU subgroup matrices, i8 × i8 → i32, 16 × 16 × 32):
// out[t · out_stride + out_offset + r] (+)= Σ_c x[t, c] · W[r, c], a block of 32 columns at a time.
// Activations arrive as mma_quantize.wgsl leaves them, x ≈ sx · (256 · xh + xl); MMA_WEIGHT stages each
// weight block the same way (bf16: split here, w ≈ sw · (256 · wh + wl); q8_0: wh = the checkpoint's
// int8 values and wl = 0, exactly). Per block, for each 16 × 16 fragment,
//   c = 256 · (xh · wh) + xh · wl + xl · wh      (i32, |c| < 2^27: exact),
// which is x · w / (256 · sx · sw) but for xl · wl, a term below 2^-15 of the block's scale. Fragments go
// to workgroup memory and every invocation adds 32 of them, times xsc · wsc (the scales, 256 folded into
// the weight's), into its f32 accumulators: across blocks the sum is f32, as in matmul.wgsl.
// A workgroup: 4 subgroups of 32 invocations (NVIDIA's subgroup size, which the wrapper requires),
// 2 × 2 of them, each 32 tokens × 32 rows as 2 × 2 fragments: 64 tokens × 64 rows.
diagnostic(off, chromium.subgroup_matrix_uniformity);
enable chromium_experimental_subgroup_matrix;

#include MMA_WEIGHT
#include "mma_split.wgsl"

struct Params {
  T: u32,
  rows: u32,
  k8s: u32,
  blocks: u32,
  out_stride: u32,
  out_offset: u32,
  accumulate: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> xq: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<storage, read> xs: array<f32>;

const BM = 64u; // tokens a workgroup
const BN = 64u; // rows a workgroup
const SB = 48u; // bytes a staged row of 32 int8 takes (16 of padding)
const SW = 12u; // the same in i32

var<workgroup> xh: array<i32, 768>; // [BM][SW]
var<workgroup> xl: array<i32, 768>;
var<workgroup> wh: array<i32, 768>; // [BN][SW]
var<workgroup> wl: array<i32, 768>;
var<workgroup> scr: array<i32, 4096>; // [BM][BN] this block's fragments
var<workgroup> xsc: array<f32, 128>; // [2][BM] scales, double-buffered: block b in b % 2
var<workgroup> wsc: array<f32, 128>; // [2][BN]

// Token row li / 2 of the tile: its hi plane (even li) or lo plane (odd li), and its scale.
fn stage_x(li: u32, t0: u32, b: u32, buf: u32) {
  let tr = li / 2u;
  let t = t0 + tr;
  var a = vec4<u32>();
  var c = vec4<u32>();
  var sc = 0.0;
  if (t < p.T) {
    let o = (t * p.blocks + b) * 4u + 2u * (li % 2u);
    a = xq[o];
    c = xq[o + 1u];
    sc = xs[t * p.blocks + b];
  }
  let dst = tr * SW;
  if (li % 2u == 0u) {
    xh[dst] = bitcast<i32>(a.x);
    xh[dst + 1u] = bitcast<i32>(a.y);
    xh[dst + 2u] = bitcast<i32>(a.z);
    xh[dst + 3u] = bitcast<i32>(a.w);
    xh[dst + 4u] = bitcast<i32>(c.x);
    xh[dst + 5u] = bitcast<i32>(c.y);
    xh[dst + 6u] = bitcast<i32>(c.z);
    xh[dst + 7u] = bitcast<i32>(c.w);
    xsc[buf * BM + tr] = sc;
  } else {
    xl[dst] = bitcast<i32>(a.x);
    xl[dst + 1u] = bitcast<i32>(a.y);
    xl[dst + 2u] = bitcast<i32>(a.z);
    xl[dst + 3u] = bitcast<i32>(a.w);
    xl[dst + 4u] = bitcast<i32>(c.x);
    xl[dst + 5u] = bitcast<i32>(c.y);
    xl[dst + 6u] = bitcast<i32>(c.z);
    xl[dst + 7u] = bitcast<i32>(c.w);
  }
}

@compute @workgroup_size(128)
fn main(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let r0 = wid.x * BN;
  let t0 = wid.y * BM;
  let sg = li / 32u;
  let sm = (sg / 2u) * 32u; // the subgroup's first token in the tile
  let sn = (sg % 2u) * 32u; // ... and first row
  let rr = li % BN; // the row this invocation accumulates
  let tb = li / BN; // ... and its tokens tb, tb + 2, …, tb + 62
  var acc: array<f32, 32>;
  stage_x(li, t0, 0u, 0u);
  stage_w(li, r0, 0u, 0u);
  workgroupBarrier();
  for (var b = 0u; b < p.blocks; b++) {
    let buf = b % 2u;
    let a0 = subgroupMatrixLoad<subgroup_matrix_left<i8, 32, 16>, row_major>(&xh, sm * SB, SB);
    let a1 = subgroupMatrixLoad<subgroup_matrix_left<i8, 32, 16>, row_major>(&xh, (sm + 16u) * SB, SB);
    let b0 = subgroupMatrixLoad<subgroup_matrix_right<i8, 16, 32>, col_major>(&wh, sn * SB, SB);
    let b1 = subgroupMatrixLoad<subgroup_matrix_right<i8, 16, 32>, col_major>(&wh, (sn + 16u) * SB, SB);
    var c00 = subgroupMatrixMultiplyAccumulate(a0, b0, subgroup_matrix_result<i32, 16, 16>());
    var c01 = subgroupMatrixMultiplyAccumulate(a0, b1, subgroup_matrix_result<i32, 16, 16>());
    var c10 = subgroupMatrixMultiplyAccumulate(a1, b0, subgroup_matrix_result<i32, 16, 16>());
    var c11 = subgroupMatrixMultiplyAccumulate(a1, b1, subgroup_matrix_result<i32, 16, 16>());
    c00 = subgroupMatrixScalarMultiply(c00, 256i);
    c01 = subgroupMatrixScalarMultiply(c01, 256i);
    c10 = subgroupMatrixScalarMultiply(c10, 256i);
    c11 = subgroupMatrixScalarMultiply(c11, 256i);
    let l0 = subgroupMatrixLoad<subgroup_matrix_left<i8, 32, 16>, row_major>(&xl, sm * SB, SB);
    let l1 = subgroupMatrixLoad<subgroup_matrix_left<i8, 32, 16>, row_major>(&xl, (sm + 16u) * SB, SB);
    c00 = subgroupMatrixMultiplyAccumulate(l0, b0, c00);
    c01 = subgroupMatrixMultiplyAccumulate(l0, b1, c01);
    c10 = subgroupMatrixMultiplyAccumulate(l1, b0, c10);
    c11 = subgroupMatrixMultiplyAccumulate(l1, b1, c11);
    if (W_LO) {
      let e0 = subgroupMatrixLoad<subgroup_matrix_right<i8, 16, 32>, col_major>(&wl, sn * SB, SB);
      let e1 = subgroupMatrixLoad<subgroup_matrix_right<i8, 16, 32>, col_major>(&wl, (sn + 16u) * SB, SB);
      c00 = subgroupMatrixMultiplyAccumulate(a0, e0, c00);
      c01 = subgroupMatrixMultiplyAccumulate(a0, e1, c01);
      c10 = subgroupMatrixMultiplyAccumulate(a1, e0, c10);
      c11 = subgroupMatrixMultiplyAccumulate(a1, e1, c11);
    }
    let o = sm * BN + sn;
    subgroupMatrixStore<row_major>(&scr, o, c00, BN);
    subgroupMatrixStore<row_major>(&scr, o + 16u, c01, BN);
    subgroupMatrixStore<row_major>(&scr, o + 16u * BN, c10, BN);
    subgroupMatrixStore<row_major>(&scr, o + 16u * BN + 16u, c11, BN);
    workgroupBarrier(); // fragments in scr; the staged planes are free
    let ws = wsc[buf * BN + rr];
    for (var j = 0u; j < 32u; j++) {
      let t = tb + 2u * j;
      acc[j] += f32(scr[t * BN + rr]) * (xsc[buf * BM + t] * ws);
    }
    if (b + 1u < p.blocks) {
      stage_x(li, t0, b + 1u, 1u - buf);
      stage_w(li, r0, b + 1u, 1u - buf);
    }
    workgroupBarrier(); // next block staged; scr read
  }
  let r = r0 + rr;
  if (r < p.rows) {
    for (var j = 0u; j < 32u; j++) {
      let t = t0 + tb + 2u * j;
      if (t < p.T) {
        let o = t * p.out_stride + p.out_offset + r;
        out[o] = select(acc[j], out[o] + acc[j], p.accumulate != 0u);
      }
    }
  }
}
