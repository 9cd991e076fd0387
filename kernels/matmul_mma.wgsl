// Prefill matmul on the int8 tensor cores (WebGPU subgroup matrices, i8 × i8 → i32, 16 × 16 × 32):
// out[t · out_stride + out_offset + r] (+)= Σ_c x[t, c] · W[r, c].
// Both sides are 16-bit fixed point with one scale a row (mma_split.wgsl): the activations as
// mma_quantize.wgsl left them, x ≈ sx[t] · (256 · xh + xl); each weight row split while it is staged, at
// the row's largest magnitude m[r] (mma_row_max.wgsl, at load): w ≈ sw · (256 · wh + wl), sw = m / 32512.
// With one scale a row, every product of a row pair is on the same grid, so the tensor cores sum whole
// rows in i32 and nothing is rescaled inside the loop:
//   H = Σ xh · wh,  C = Σ (xh · wl + xl · wh),  E = Σ xl · wl,  x · w ≈ sx · sw · (65536 · H + 256 · C + E).
// E is not negligible: the lo planes are near uniform over [−128, 127], so next to typical (not largest)
// values it is as large as the rounding itself (reference/mma_error_model.py). Per column
// |xh · wh| ≤ 127², |xh · wl + xl · wh| ≤ 2 · 127 · 128: exact in i32 for rows of up to 65,536 columns (the
// wrapper checks). H, C and E go through workgroup memory once at the end, where they become f32.
// A workgroup: 2 · TOK_SG subgroups of 32 invocations (NVIDIA's subgroup size, which the wrapper requires),
// TOK_SG (2 or 4) along the tokens and 2 along the rows, each 32 tokens × 32 rows as 2 × 2 fragments:
// BM = 32 · TOK_SG tokens × 64 rows, 64 columns a step. A taller tile stages each weight for more tokens.
// Tried on an H100 and dropped (BENCHMARKS.md, session 6): loading the next step into registers during
// this one's MMAs (5–12% slower: more registers, fewer workgroups an SM) and 32-token tiles (2–3× slower).
// SILU (the MLP's gate_up projection, rows [gate; up], p.rows = I): a workgroup takes gate rows j0 … j0 + 31
// and the up rows I + j0 …, and writes out[t, j] = silu(gate) · up instead of both (no SiLU·mul pass, and
// half the writes).
// Old-style subgroupMatrixLoad/Store arguments (offset, column-major flag, stride): offsets and strides
// count the matrix's components (bytes for i8, words for i32), as the H200 probe checked
// (bench/gpu/probe-features.mjs: the newer row_major/col_major form counts the array's own elements).
diagnostic(off, chromium.subgroup_matrix_uniformity);
enable chromium_experimental_subgroup_matrix;

#include WEIGHT
#include "mma_split.wgsl"

struct Params {
  T: u32,
  rows: u32, // output columns (SILU: I, the weight having 2 · I rows)
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

override TOK_SG: u32 = 2u; // subgroups along the tokens: 2 or 4
override SILU: bool = false;
override WG: u32 = 64u * TOK_SG; // invocations
override BM: u32 = 32u * TOK_SG; // tokens a workgroup
override WJ: u32 = 512u / WG; // weight groups of 8 an invocation stages a step (4 or 2)
const BN = 64u; // rows a workgroup
const BK = 64u; // columns a step (two 32-column blocks of xq)
const RB = 80u; // bytes a staged row of BK int8 takes (16 of padding)
// byte offsets of the planes in smem: activations hi, lo (BM rows each), weights hi, lo (BN rows each)
const XH = 0u;
override XL: u32 = BM * RB;
override WH: u32 = 2u * BM * RB;
override WL: u32 = 2u * BM * RB + BN * RB;

// the four staged planes during the loop (at most 2 · (128 + 64) rows of RB: 30 KiB); the i32 results,
// [BM][BN] row-major, after it (at most 32 KiB)
var<workgroup> smem: array<i32, 8192>;

// this step's global loads, on their way to smem
var<private> xr: array<vec4<u32>, 4>;
var<private> wr: array<mat2x4<f32>, 4>;

// the weight row that tile row rr (0 … 63) stages, and whether it exists
fn wrow(r0: u32, rr: u32) -> u32 {
  if (SILU) {
    return r0 / 2u + rr % 32u + select(0u, p.rows, rr >= 32u);
  }
  return r0 + rr;
}

fn wvalid(r0: u32, rr: u32) -> bool {
  if (SILU) {
    return r0 / 2u + rr % 32u < p.rows;
  }
  return r0 + rr < p.rows;
}

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

// Step k (columns 64k …): BM token rows × 2 blocks × 2 planes × 2 halves of 16 bytes, 4 an invocation.
fn load_x(li: u32, t0: u32, k: u32) {
  for (var j = 0u; j < 4u; j++) {
    let i = li + WG * j;
    let t = t0 + i / 8u;
    let part = i % 8u;
    let b = 2u * k + part / 4u;
    var v = vec4<u32>();
    if (t < p.T && b < p.blocks) {
      v = xq[(t * p.blocks + b) * 4u + part % 4u];
    }
    xr[j] = v;
  }
}

fn put_x(li: u32) {
  for (var j = 0u; j < 4u; j++) {
    let i = li + WG * j;
    let part = i % 8u;
    let plane = (part / 2u) % 2u; // hi, lo
    put4(select(XH, XL, plane == 1u) + (i / 8u) * RB + 32u * (part / 4u) + 16u * (part % 2u), xr[j]);
  }
}

// Step k: 64 weight rows × 8 groups of 8 columns, WJ groups an invocation (tile rows (li + WG · j) / 8),
// each split at its row's inverse scale inv[j].
fn load_w(li: u32, r0: u32, k: u32) {
  for (var j = 0u; j < WJ; j++) {
    let i = li + WG * j;
    let rr = i / 8u;
    let g = 8u * k + i % 8u;
    var v = mat2x4<f32>();
    if (wvalid(r0, rr) && g < p.k8s) {
      v = w8(wrow(r0, rr) * p.k8s + g);
    }
    wr[j] = v;
  }
}

fn put_w(li: u32, inv: array<f32, 4>) {
  for (var j = 0u; j < WJ; j++) {
    let i = li + WG * j;
    let a = split4(wr[j][0], inv[j]);
    let c = split4(wr[j][1], inv[j]);
    let o = (i / 8u) * RB + 8u * (i % 8u);
    put2(WH + o, vec2<u32>(a.x, c.x));
    put2(WL + o, vec2<u32>(a.y, c.y));
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let r0 = wid.x * BN;
  let t0 = wid.y * BM;
  let sg = li / 32u;
  let sm = (sg / 2u) * 32u; // the subgroup's first token in the tile
  let sn = (sg % 2u) * 32u; // ... and first row
  var inv: array<f32, 4>;
  for (var j = 0u; j < WJ; j++) {
    let rr = (li + WG * j) / 8u;
    if (wvalid(r0, rr)) {
      inv[j] = split_inv(wm[p.row0 + wrow(r0, rr)]);
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
  var e00 = subgroup_matrix_result<i32, 16, 16>();
  var e01 = subgroup_matrix_result<i32, 16, 16>();
  var e10 = subgroup_matrix_result<i32, 16, 16>();
  var e11 = subgroup_matrix_result<i32, 16, 16>();
  let steps = (p.blocks + 1u) / 2u;
  for (var k = 0u; k < steps; k++) {
    load_x(li, t0, k);
    load_w(li, r0, k);
    put_x(li);
    put_w(li, inv);
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk += 32u) {
      let a0 = subgroupMatrixLoad<subgroup_matrix_left<i8, 32, 16>>(&smem, XH + sm * RB + kk, false, RB);
      let a1 = subgroupMatrixLoad<subgroup_matrix_left<i8, 32, 16>>(&smem, XH + (sm + 16u) * RB + kk, false, RB);
      let l0 = subgroupMatrixLoad<subgroup_matrix_left<i8, 32, 16>>(&smem, XL + sm * RB + kk, false, RB);
      let l1 = subgroupMatrixLoad<subgroup_matrix_left<i8, 32, 16>>(&smem, XL + (sm + 16u) * RB + kk, false, RB);
      let b0 = subgroupMatrixLoad<subgroup_matrix_right<i8, 16, 32>>(&smem, WH + sn * RB + kk, true, RB);
      let b1 = subgroupMatrixLoad<subgroup_matrix_right<i8, 16, 32>>(&smem, WH + (sn + 16u) * RB + kk, true, RB);
      let u0 = subgroupMatrixLoad<subgroup_matrix_right<i8, 16, 32>>(&smem, WL + sn * RB + kk, true, RB);
      let u1 = subgroupMatrixLoad<subgroup_matrix_right<i8, 16, 32>>(&smem, WL + (sn + 16u) * RB + kk, true, RB);
      h00 = subgroupMatrixMultiplyAccumulate(a0, b0, h00);
      h01 = subgroupMatrixMultiplyAccumulate(a0, b1, h01);
      h10 = subgroupMatrixMultiplyAccumulate(a1, b0, h10);
      h11 = subgroupMatrixMultiplyAccumulate(a1, b1, h11);
      c00 = subgroupMatrixMultiplyAccumulate(a0, u0, c00);
      c01 = subgroupMatrixMultiplyAccumulate(a0, u1, c01);
      c10 = subgroupMatrixMultiplyAccumulate(a1, u0, c10);
      c11 = subgroupMatrixMultiplyAccumulate(a1, u1, c11);
      c00 = subgroupMatrixMultiplyAccumulate(l0, b0, c00);
      c01 = subgroupMatrixMultiplyAccumulate(l0, b1, c01);
      c10 = subgroupMatrixMultiplyAccumulate(l1, b0, c10);
      c11 = subgroupMatrixMultiplyAccumulate(l1, b1, c11);
      e00 = subgroupMatrixMultiplyAccumulate(l0, u0, e00);
      e01 = subgroupMatrixMultiplyAccumulate(l0, u1, e01);
      e10 = subgroupMatrixMultiplyAccumulate(l1, u0, e10);
      e11 = subgroupMatrixMultiplyAccumulate(l1, u1, e11);
    }
    workgroupBarrier();
  }
  // H, C, then E through smem as [BM][BN] i32 (a barrier before each store: everyone has read the last);
  // invocation li keeps tile row rr = li % 64 of tokens li / 64 + TOK_SG · j
  let rr = li % BN;
  let tb = li / BN;
  let o = sm * BN + sn;
  var acc: array<f32, 32>;
  workgroupBarrier();
  subgroupMatrixStore(&smem, o, h00, false, BN);
  subgroupMatrixStore(&smem, o + 16u, h01, false, BN);
  subgroupMatrixStore(&smem, o + 16u * BN, h10, false, BN);
  subgroupMatrixStore(&smem, o + 16u * BN + 16u, h11, false, BN);
  workgroupBarrier();
  for (var j = 0u; j < 32u; j++) {
    acc[j] = 65536.0 * f32(smem[(tb + TOK_SG * j) * BN + rr]);
  }
  workgroupBarrier();
  subgroupMatrixStore(&smem, o, c00, false, BN);
  subgroupMatrixStore(&smem, o + 16u, c01, false, BN);
  subgroupMatrixStore(&smem, o + 16u * BN, c10, false, BN);
  subgroupMatrixStore(&smem, o + 16u * BN + 16u, c11, false, BN);
  workgroupBarrier();
  for (var j = 0u; j < 32u; j++) {
    acc[j] += 256.0 * f32(smem[(tb + TOK_SG * j) * BN + rr]);
  }
  workgroupBarrier();
  subgroupMatrixStore(&smem, o, e00, false, BN);
  subgroupMatrixStore(&smem, o + 16u, e01, false, BN);
  subgroupMatrixStore(&smem, o + 16u * BN, e10, false, BN);
  subgroupMatrixStore(&smem, o + 16u * BN + 16u, e11, false, BN);
  workgroupBarrier();
  let valid = wvalid(r0, rr);
  var sw = 0.0;
  if (valid) {
    sw = wm[p.row0 + wrow(r0, rr)] / 32512.0;
  }
  if (!SILU) {
    if (valid) {
      for (var j = 0u; j < 32u; j++) {
        let t = t0 + tb + TOK_SG * j;
        if (t < p.T) {
          let v = (acc[j] + f32(smem[(tb + TOK_SG * j) * BN + rr])) * (xs[t] * sw);
          let i = t * p.out_stride + p.out_offset + r0 + rr;
          out[i] = select(v, out[i] + v, p.accumulate != 0u);
        }
      }
    }
    return;
  }
  // SILU: each invocation leaves its f32 results where it read E (no one else reads those words), then
  // invocation li writes column j0 + li % 32 of tokens li / 32 + 2 · TOK_SG · i
  for (var j = 0u; j < 32u; j++) {
    let t = t0 + tb + TOK_SG * j;
    let at = (tb + TOK_SG * j) * BN + rr;
    var v = 0.0;
    if (t < p.T) {
      v = (acc[j] + f32(smem[at])) * (xs[t] * sw);
    }
    smem[at] = bitcast<i32>(v);
  }
  workgroupBarrier();
  let col = li % 32u;
  let jo = r0 / 2u + col;
  for (var i = li / 32u; i < BM; i += WG / 32u) {
    let t = t0 + i;
    if (t < p.T && jo < p.rows) {
      let g = bitcast<f32>(smem[i * BN + col]);
      let u = bitcast<f32>(smem[i * BN + 32u + col]);
      out[t * p.out_stride + p.out_offset + jo] = g / (1.0 + exp(-g)) * u;
    }
  }
}
