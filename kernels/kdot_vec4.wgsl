// q·k for attention_core.wgsl when head_dim is a multiple of 4 (the wrapper checks): vec4 loads.

@group(0) @binding(3) var<storage, read> k_cache: array<vec4<f32>>; // [≥ S, n_kv_heads, head_dim / 4]

var<workgroup> qv: array<vec4<f32>, MAX_HEAD_DIM / 4u>;

fn stage_q(q_base: u32, hd: u32, li: u32) {
  for (var d = li; d < hd / 4u; d += WG) {
    let b = q_base + 4u * d;
    qv[d] = vec4<f32>(q[b], q[b + 1u], q[b + 2u], q[b + 3u]);
  }
}

// kb: element index of the key row (a multiple of 4)
fn kdot(kb: u32, hd: u32) -> f32 {
  var s0 = 0.0;
  var s1 = 0.0;
  let b = kb / 4u;
  for (var d = 0u; d < hd / 4u; d += 2u) {
    s0 += dot(qv[d], k_cache[b + d]);
    s1 += dot(qv[d + 1u], k_cache[b + d + 1u]);
  }
  return s0 + s1;
}
