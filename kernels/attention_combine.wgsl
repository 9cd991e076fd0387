// Split-K flash-decoding, pass 2: out[t, h, d] = Σ_i e^(m_i - M) acc_i[d] / Σ_i e^(m_i - M) l_i over
// the splits i of attention_split.wgsl, M = max_i m_i. Empty splits (l = 0) weigh nothing.
// One workgroup per (head, query).

struct Params {
  n_heads: u32,
  head_dim: u32,
  n_splits: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> partials: array<f32>; // [T, n_heads, n_splits, head_dim + 2]
@group(0) @binding(2) var<storage, read_write> out: array<f32>; // [T, n_heads, head_dim]

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let h = wid.x;
  let t = wid.y;
  let stride = p.head_dim + 2u;
  let base = (t * p.n_heads + h) * p.n_splits * stride;
  var m = partials[base];
  for (var i = 1u; i < p.n_splits; i++) {
    m = max(m, partials[base + i * stride]);
  }
  var l = 0.0;
  for (var i = 0u; i < p.n_splits; i++) {
    l += exp(partials[base + i * stride] - m) * partials[base + i * stride + 1u];
  }
  let inv = 1.0 / l;
  let dst = (t * p.n_heads + h) * p.head_dim;
  for (var d = li; d < p.head_dim; d += WG) {
    var a = 0.0;
    for (var i = 0u; i < p.n_splits; i++) {
      a += exp(partials[base + i * stride] - m) * partials[base + i * stride + 2u + d];
    }
    out[dst + d] = a * inv;
  }
}
