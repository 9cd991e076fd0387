// The largest magnitude of each weight row, for the int8 tensor-core matmul (matmul_mma.wgsl), which
// splits each row into 16-bit fixed point at that scale while staging it (mma_split.wgsl). Run once per
// weight chunk at load: m[row0 + r] = max_c |W[r, c]|. One invocation a row.

#include WEIGHT
#include "mma_split.wgsl"

struct Params {
  rows: u32,
  k8s: u32,
  row0: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read_write> m: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = gid.x + gid.y * nwg.x * 64u;
  if (r >= p.rows) {
    return;
  }
  var v = 0.0;
  for (var g = 0u; g < p.k8s; g++) {
    v = max(v, max_abs8(w8(r * p.k8s + g)));
  }
  m[p.row0 + r] = v;
}
