// Greedy decoding: out[out_offset + r] = the index of the largest of x[x_offset + r·n .. + n), the
// lowest such index on ties (torch.argmax). One workgroup per row. NaN logits are not ordered.

struct Params {
  rows: u32,
  n: u32,          // values per row (vocabulary size)
  x_offset: u32,   // element index of row 0
  out_offset: u32, // index in out of row 0's result
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;

override WG: u32 = 256;

var<workgroup> best_v: array<f32, WG>;
var<workgroup> best_i: array<u32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let r = wid.x;
  let base = p.x_offset + r * p.n;
  var bv = 0.0;
  var bi = 0xffffffffu; // none yet
  for (var i = li; i < p.n; i += WG) {
    let v = x[base + i];
    if (bi == 0xffffffffu || v > bv) {
      bv = v;
      bi = i;
    }
  }
  best_v[li] = bv;
  best_i[li] = bi;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (li < s) {
      let ov = best_v[li + s];
      let oi = best_i[li + s];
      let cv = best_v[li];
      let ci = best_i[li];
      if (oi != 0xffffffffu && (ci == 0xffffffffu || ov > cv || (ov == cv && oi < ci))) {
        best_v[li] = ov;
        best_i[li] = oi;
      }
    }
    workgroupBarrier();
  }
  if (li == 0u) {
    out[p.out_offset + r] = best_i[0];
  }
}
