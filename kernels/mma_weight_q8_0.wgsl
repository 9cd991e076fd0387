// matmul_mma.wgsl's weights from q8_0: the checkpoint's int8 values are the hi plane as they are (no lo
// plane: exact), the block's scale is the weight scale. Two invocations a row, 16 bytes each.

#include "weight_q8_0.wgsl"

const W_LO = false;

fn stage_w(li: u32, r0: u32, b: u32, buf: u32) {
  let rr = li / 2u;
  let h = li % 2u;
  let r = r0 + rr;
  let g = b * 4u + 2u * h; // first group of 8 columns (rows hold whole blocks: k8s is a multiple of 4)
  var a = vec2<u32>();
  var c = vec2<u32>();
  var sc = 0.0;
  if (r < p.rows && g < p.k8s) {
    a = qs[r * p.k8s + g];
    c = qs[r * p.k8s + g + 1u];
    sc = d[r * (p.k8s / 4u) + b];
  }
  let o = rr * SW + 4u * h;
  wh[o] = bitcast<i32>(a.x);
  wh[o + 1u] = bitcast<i32>(a.y);
  wh[o + 2u] = bitcast<i32>(c.x);
  wh[o + 3u] = bitcast<i32>(c.y);
  if (h == 0u) {
    wsc[buf * BN + rr] = sc;
  }
}
