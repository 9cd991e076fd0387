// matmul_mma.wgsl's weights from bf16: each row's block of 32 split like the activations
// (mma_split.wgsl: w ≈ sw · (256 · wh + wl), sw = max|w| / 32512), two invocations a row, 16 values each,
// the block's largest magnitude shared between the pair by a subgroup shuffle. wsc holds 256 · sw.
enable subgroups;

#include "weight_bf16.wgsl"

const W_LO = true;

fn stage_w(li: u32, r0: u32, b: u32, buf: u32) {
  let rr = li / 2u;
  let h = li % 2u;
  let r = r0 + rr;
  let g = b * 4u + 2u * h; // first group of 8 columns
  var v0 = mat2x4<f32>();
  var v1 = mat2x4<f32>();
  if (r < p.rows) {
    if (g < p.k8s) {
      v0 = w8(r * p.k8s + g);
    }
    if (g + 1u < p.k8s) {
      v1 = w8(r * p.k8s + g + 1u);
    }
  }
  var m = max(max_abs8(v0), max_abs8(v1));
  m = max(m, subgroupShuffleXor(m, 1u));
  let inv = split_inv(m);
  let s0 = split4(v0[0], inv);
  let s1 = split4(v0[1], inv);
  let s2 = split4(v1[0], inv);
  let s3 = split4(v1[1], inv);
  let d = rr * SW + 4u * h;
  wh[d] = bitcast<i32>(s0.x);
  wh[d + 1u] = bitcast<i32>(s1.x);
  wh[d + 2u] = bitcast<i32>(s2.x);
  wh[d + 3u] = bitcast<i32>(s3.x);
  wl[d] = bitcast<i32>(s0.y);
  wl[d + 1u] = bitcast<i32>(s1.y);
  wl[d + 2u] = bitcast<i32>(s2.y);
  wl[d + 3u] = bitcast<i32>(s3.y);
  if (h == 0u) {
    wsc[buf * BN + rr] = m / 127.0; // 256 · m / 32512
  }
}
