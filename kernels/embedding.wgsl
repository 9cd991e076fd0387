// Embedding gather (embed_tokens): out[t, :] = W[ids[ids_offset + t], :] for the ids that fall in
// this weight chunk's rows [row0, row0 + rows); the other chunks' dispatches write the rest.
// One invocation per group of 8 columns of one token.

#include WEIGHT

struct Params {
  T: u32,          // tokens
  cols: u32,       // hidden size
  k8s: u32,        // groups of 8 columns per weight row (padded cols / 8)
  row0: u32,       // first table row held by this chunk
  rows: u32,       // rows held by this chunk
  ids_offset: u32, // index in ids of token 0
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> ids: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let k = gid.x;
  let t = gid.y;
  if (k >= p.k8s || t >= p.T) {
    return;
  }
  let id = ids[p.ids_offset + t];
  if (id < p.row0 || id - p.row0 >= p.rows) {
    return;
  }
  let v = w8((id - p.row0) * p.k8s + k);
  for (var j = 0u; j < 8u; j++) {
    let c = k * 8u + j;
    if (c < p.cols) {
      out[t * p.cols + c] = v[j / 4u][j % 4u];
    }
  }
}
