// mma_quantize.wgsl with the layer's input norm fused in (Qwen3RMSNorm): it quantizes
// weight · (x / sqrt(mean(x²) + eps)), so the normalized row is never written out in f32.

@group(0) @binding(4) var<storage, read> norm_weight: array<f32>;

// 1 / sqrt(mean(x²) + eps) over the row (every invocation of the workgroup calls it)
fn row_norm(base: u32, lane: Lane) -> f32 {
  var ss = 0.0;
  for (var g = lane.index; 8u * g < p.cols; g += WG) {
    let v = x8(base, 8u * g, p.cols);
    ss += dot(v[0], v[0]) + dot(v[1], v[1]);
  }
  return 1.0 / sqrt(group_sum(ss, lane) / f32(p.cols) + p.eps);
}

fn norm8(v: mat2x4<f32>, c: u32, inv: f32) -> mat2x4<f32> {
  var w = mat2x4<f32>();
  for (var j = 0u; j < 8u; j++) {
    if (c + j < p.cols) {
      w[j / 4u][j % 4u] = norm_weight[c + j];
    }
  }
  return mat2x4<f32>(v[0] * w[0] * inv, v[1] * w[1] * inv);
}
