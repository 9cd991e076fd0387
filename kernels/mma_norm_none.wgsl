// mma_quantize.wgsl without an input norm: the activations as they are.

fn row_norm(base: u32, lane: Lane) -> f32 {
  return 1.0;
}

fn norm8(v: mat2x4<f32>, c: u32, inv: f32) -> mat2x4<f32> {
  return v;
}
