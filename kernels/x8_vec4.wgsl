// x8.wgsl for aligned rows: base and cols are multiples of 4 and 8 (the wrapper checks), so eight
// activations are two vec4 loads and no column is past the row.

@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;

fn x1(i: u32) -> f32 {
  return x[i / 4u][i % 4u];
}

fn x8(base: u32, c: u32, cols: u32) -> mat2x4<f32> {
  let i = (base + c) / 4u;
  return mat2x4<f32>(x[i], x[i + 1u]);
}
