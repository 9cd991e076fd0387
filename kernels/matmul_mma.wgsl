// Prefill matmul on the int8 tensor cores (WebGPU subgroup matrices, i8 × i8 → i32, 16 × 16 × 32):
// out[t · out_stride + out_offset + r] (+)= Σ_c x[t, c] · W[r, c].
// Both sides are 16-bit fixed point with one scale a row (mma_split.wgsl): the activations as
// mma_quantize.wgsl left them, x ≈ sx[t] · (256 · xh + xl); each weight row split while it is staged, at
// the row's largest magnitude m[r] (mma_row_max.wgsl, at load): w ≈ sw · (256 · wh + wl), sw = m / 32512.
// With one scale a row, every product of a row pair is on the same grid, so the tensor cores sum whole
// rows in i32 and nothing is rescaled inside the loop:
//   H = Σ xh · wh,  C = Σ (xh · wl + xl · wh),  x · w ≈ 256 · sx · sw · (256 · H + C),
// dropping E = Σ xl · wl. That term is below 2^-15 of the largest product, but the lo planes are near uniform
// over [−128, 127], so next to typical values it is about as large as the rounding itself: it doubles the
// error (reference/mma_error_model.py). Keeping it (a fourth MMA and accumulator set) is the next step; this
// kernel is the one the GPU machine validated (every fixture within 1e-4, BENCHMARKS.md ## GPU).
// Per column |xh · wh| ≤ 127², |xh · wl + xl · wh| ≤ 2 · 127 · 128:
// exact in i32 for rows of up to 65,536 columns (the wrapper checks). H and C go through workgroup memory
// once at the end, where they become f32.
// A workgroup: 4 subgroups of 32 invocations (NVIDIA's subgroup size, which the wrapper requires),
// 2 × 2 of them, each 32 tokens × 32 rows as 2 × 2 fragments: 64 tokens × 64 rows, 64 columns a step.
// Old-style subgroupMatrixLoad/Store arguments (offset, column-major flag, stride): offsets and strides
// count the matrix's components (bytes for i8, words for i32), as the H200 probe checked
// (bench/gpu/probe-features.mjs: the newer row_major/col_major form counts the array's own elements).
diagnostic(off, chromium.subgroup_matrix_uniformity);
enable chromium_experimental_subgroup_matrix;

#include WEIGHT
#include "mma_split.wgsl"

struct Params {
  T: u32,
  rows: u32,
  k8s: u32,
  blocks: u32,
  out_stride: u32,
  out_offset: u32,
  accumulate: u32,
  row0: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> xq: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<storage, read> xs: array<f32>;
@group(0) @binding(6) var<storage, read> wm: array<f32>;

const BM = 64u; // tokens a workgroup
const BN = 64u; // rows a workgroup
const BK = 64u; // columns a step (two 32-column blocks of xq)
const RB = 80u; // bytes a staged row of BK int8 takes (16 of padding)
const PLANE = 5120u; // bytes a staged plane takes: BM (= BN) rows of RB
const XH = 0u; // byte offsets of the planes in smem
const XL = 5120u;
const WH = 10240u;
const WL = 15360u;

// the four staged planes during the loop; the i32 results, [BM][BN] row-major, after it
var<workgroup> smem: array<i32, 5120>;

fn put4(byte: u32, v: vec4<u32>) {
  let i = byte / 4u;
  smem[i] = bitcast<i32>(v.x);
  smem[i + 1u] = bitcast<i32>(v.y);
  smem[i + 2u] = bitcast<i32>(v.z);
  smem[i + 3u] = bitcast<i32>(v.w);
}

fn put2(byte: u32, v: vec2<u32>) {
  let i = byte / 4u;
  smem[i] = bitcast<i32>(v.x);
  smem[i + 1u] = bitcast<i32>(v.y);
}

// Step k (columns 64k …): 64 token rows × 2 blocks × 2 planes × 2 halves of 16 bytes, 4 a invocation.
fn stage_x(li: u32, t0: u32, k: u32) {
  for (var j = 0u; j < 4u; j++) {
    let i = li + 128u * j;
    let tr = i / 8u;
    let part = i % 8u;
    let bb = part / 4u; // block of the step
    let plane = (part / 2u) % 2u; // hi, lo
    let half = part % 2u;
    let t = t0 + tr;
    let b = 2u * k + bb;
    var v = vec4<u32>();
    if (t < p.T && b < p.blocks) {
      v = xq[(t * p.blocks + b) * 4u + 2u * plane + half];
    }
    put4(select(XH, XL, plane == 1u) + tr * RB + 32u * bb + 16u * half, v);
  }
}

// Step k: 64 weight rows × 8 groups of 8 columns, 4 groups a invocation (rows li / 8 + 16j), each split at
// its row's inverse scale inv[j].
fn stage_w(li: u32, r0: u32, k: u32, inv: vec4<f32>) {
  for (var j = 0u; j < 4u; j++) {
    let i = li + 128u * j;
    let rr = i / 8u;
    let gg = i % 8u;
    let r = r0 + rr;
    let g = 8u * k + gg;
    var v = mat2x4<f32>();
    if (r < p.rows && g < p.k8s) {
      v = w8(r * p.k8s + g);
    }
    let a = split4(v[0], inv[j]);
    let c = split4(v[1], inv[j]);
    let o = rr * RB + 8u * gg;
    put2(WH + o, vec2<u32>(a.x, c.x));
    put2(WL + o, vec2<u32>(a.y, c.y));
  }
}

@compute @workgroup_size(128)
fn main(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let r0 = wid.x * BN;
  let t0 = wid.y * BM;
  let sg = li / 32u;
  let sm = (sg / 2u) * 32u; // the subgroup's first token in the tile
  let sn = (sg % 2u) * 32u; // ... and first row
  var inv = vec4<f32>();
  for (var j = 0u; j < 4u; j++) {
    let r = r0 + (li + 128u * j) / 8u;
    if (r < p.rows) {
      inv[j] = split_inv(wm[p.row0 + r]);
    }
  }
  var h00 = subgroup_matrix_result<i32, 16, 16>();
  var h01 = subgroup_matrix_result<i32, 16, 16>();
  var h10 = subgroup_matrix_result<i32, 16, 16>();
  var h11 = subgroup_matrix_result<i32, 16, 16>();
  var c00 = subgroup_matrix_result<i32, 16, 16>();
  var c01 = subgroup_matrix_result<i32, 16, 16>();
  var c10 = subgroup_matrix_result<i32, 16, 16>();
  var c11 = subgroup_matrix_result<i32, 16, 16>();
  let steps = (p.blocks + 1u) / 2u;
  for (var k = 0u; k < steps; k++) {
    stage_x(li, t0, k);
    stage_w(li, r0, k, inv);
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk += 32u) {
      let a0 = subgroupMatrixLoad<subgroup_matrix_left<i8, 32, 16>>(&smem, XH + sm * RB + kk, false, RB);
      let a1 = subgroupMatrixLoad<subgroup_matrix_left<i8, 32, 16>>(&smem, XH + (sm + 16u) * RB + kk, false, RB);
      let l0 = subgroupMatrixLoad<subgroup_matrix_left<i8, 32, 16>>(&smem, XL + sm * RB + kk, false, RB);
      let l1 = subgroupMatrixLoad<subgroup_matrix_left<i8, 32, 16>>(&smem, XL + (sm + 16u) * RB + kk, false, RB);
      let b0 = subgroupMatrixLoad<subgroup_matrix_right<i8, 16, 32>>(&smem, WH + sn * RB + kk, true, RB);
      let b1 = subgroupMatrixLoad<subgroup_matrix_right<i8, 16, 32>>(&smem, WH + (sn + 16u) * RB + kk, true, RB);
      let e0 = subgroupMatrixLoad<subgroup_matrix_right<i8, 16, 32>>(&smem, WL + sn * RB + kk, true, RB);
      let e1 = subgroupMatrixLoad<subgroup_matrix_right<i8, 16, 32>>(&smem, WL + (sn + 16u) * RB + kk, true, RB);
      h00 = subgroupMatrixMultiplyAccumulate(a0, b0, h00);
      h01 = subgroupMatrixMultiplyAccumulate(a0, b1, h01);
      h10 = subgroupMatrixMultiplyAccumulate(a1, b0, h10);
      h11 = subgroupMatrixMultiplyAccumulate(a1, b1, h11);
      c00 = subgroupMatrixMultiplyAccumulate(a0, e0, c00);
      c01 = subgroupMatrixMultiplyAccumulate(a0, e1, c01);
      c10 = subgroupMatrixMultiplyAccumulate(a1, e0, c10);
      c11 = subgroupMatrixMultiplyAccumulate(a1, e1, c11);
      c00 = subgroupMatrixMultiplyAccumulate(l0, b0, c00);
      c01 = subgroupMatrixMultiplyAccumulate(l0, b1, c01);
      c10 = subgroupMatrixMultiplyAccumulate(l1, b0, c10);
      c11 = subgroupMatrixMultiplyAccumulate(l1, b1, c11);
    }
    workgroupBarrier();
  }
  // H, then C, through smem as [BM][BN] i32; invocation li keeps row li % 64 of tokens li / 64 + 2j
  let rr = li % BN;
  let tb = li / BN;
  let o = sm * BN + sn;
  subgroupMatrixStore(&smem, o, h00, false, BN);
  subgroupMatrixStore(&smem, o + 16u, h01, false, BN);
  subgroupMatrixStore(&smem, o + 16u * BN, h10, false, BN);
  subgroupMatrixStore(&smem, o + 16u * BN + 16u, h11, false, BN);
  workgroupBarrier();
  var acc: array<f32, 32>;
  for (var j = 0u; j < 32u; j++) {
    acc[j] = 256.0 * f32(smem[(tb + 2u * j) * BN + rr]);
  }
  workgroupBarrier();
  subgroupMatrixStore(&smem, o, c00, false, BN);
  subgroupMatrixStore(&smem, o + 16u, c01, false, BN);
  subgroupMatrixStore(&smem, o + 16u * BN, c10, false, BN);
  subgroupMatrixStore(&smem, o + 16u * BN + 16u, c11, false, BN);
  workgroupBarrier();
  let r = r0 + rr;
  if (r < p.rows) {
    let sw = wm[p.row0 + r] * (256.0 / 32512.0);
    for (var j = 0u; j < 32u; j++) {
      let t = t0 + tb + 2u * j;
      if (t < p.T) {
        let v = (acc[j] + f32(smem[(tb + 2u * j) * BN + rr])) * (xs[t] * sw);
        let i = t * p.out_stride + p.out_offset + r;
        out[i] = select(v, out[i] + v, p.accumulate != 0u);
      }
    }
  }
}
