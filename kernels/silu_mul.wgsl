// Qwen3 MLP activation: out[t, i] = silu(gate[t, i]) · up[t, i] for t < T, i < I, where gate and up
// are read with their own row stride and column offset, so both may be halves of one fused
// gate_up projection (bound twice, read-only).

struct Params {
  T: u32,
  I: u32,           // intermediate size
  gate_stride: u32, // elements between gate rows
  gate_offset: u32, // element index of gate[0, 0]
  up_stride: u32,
  up_offset: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> gate: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>; // [T, I]
@group(0) @binding(3) var<storage, read> up: array<f32>;

override WG: u32 = 256;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  let t = gid.y;
  if (i >= p.I || t >= p.T) {
    return;
  }
  let g = gate[t * p.gate_stride + p.gate_offset + i];
  out[t * p.I + i] = g / (1.0 + exp(-g)) * up[t * p.up_stride + p.up_offset + i];
}
