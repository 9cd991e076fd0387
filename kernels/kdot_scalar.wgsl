// q·k for attention_core.wgsl, any head_dim: q is staged in workgroup memory, k read one float at a time.

@group(0) @binding(3) var<storage, read> k_cache: array<f32>; // [≥ S, n_kv_heads, head_dim]

var<workgroup> qv: array<f32, MAX_HEAD_DIM>;

fn stage_q(q_base: u32, hd: u32, li: u32) {
  for (var d = li; d < hd; d += WG) {
    qv[d] = q[q_base + d];
  }
}

// kb: element index of the key row
fn kdot(kb: u32, hd: u32) -> f32 {
  var s = 0.0;
  for (var d = 0u; d < hd; d++) {
    s += qv[d] * k_cache[kb + d];
  }
  return s;
}
