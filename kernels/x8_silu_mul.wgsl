// x8.wgsl for the down projection fused with the MLP activation: each activation row holds
// [gate (cols values), up (cols values)], as one fused gate_up projection writes them, and the
// matmul reads silu(gate) · up (Qwen3MLP: down_proj(act_fn(gate_proj(x)) * up_proj(x))).

@group(0) @binding(1) var<storage, read> x: array<f32>;

fn silu_mul(g: f32, u: f32) -> f32 {
  return g / (1.0 + exp(-g)) * u;
}

// i: element index of a gate value; its up value sits `cols` further (the caller passes a gate index)
fn x1(i: u32) -> f32 {
  return x[i];
}

fn x8(base: u32, c: u32, cols: u32) -> mat2x4<f32> {
  var m = mat2x4<f32>();
  for (var j = 0u; j < 8u; j++) {
    if (c + j < cols) {
      m[j / 4u][j % 4u] = silu_mul(x[base + c + j], x[base + cols + c + j]);
    }
  }
  return m;
}
