// Eight consecutive activations x[base + c .. base + c + 7] of a row of `cols` values; columns at or
// past `cols` read as 0 (weights are padded to whole groups of 8, activations are not). Any
// alignment; x8_vec4.wgsl is the faster variant for aligned rows.

@group(0) @binding(1) var<storage, read> x: array<f32>;

fn x1(i: u32) -> f32 {
  return x[i];
}

fn x8(base: u32, c: u32, cols: u32) -> mat2x4<f32> {
  var m = mat2x4<f32>();
  if (c + 8u <= cols) {
    m[0] = vec4<f32>(x[base + c], x[base + c + 1u], x[base + c + 2u], x[base + c + 3u]);
    m[1] = vec4<f32>(x[base + c + 4u], x[base + c + 5u], x[base + c + 6u], x[base + c + 7u]);
  } else {
    for (var j = 0u; j < 8u; j++) {
      if (c + j < cols) {
        m[j / 4u][j % 4u] = x[base + c + j];
      }
    }
  }
  return m;
}
