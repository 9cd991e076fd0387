// Qwen3-MoE prefill: the weighted sum of each token's k expert outputs,
//   out[t, h] (+)= Σ_j w_{t,j} · y[slot_row[t·k + j], h]
// (the scatter-add of the grouped rows back to their tokens, as a gather: no float atomics, and
// the sum runs in slot order). With `accumulate` the block's output is added to the residual.

struct Params {
  T: u32,
  H: u32,           // hidden_size
  k: u32,           // num_experts_per_tok
  accumulate: u32,  // 1: out += result
  slot_row_at: u32, // plan offset of slot_row (moe_route.wgsl)
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> y: array<f32>;         // [T·k, H] expert outputs, grouped rows
@group(0) @binding(2) var<storage, read_write> out: array<f32>; // [T, H]
@group(0) @binding(3) var<storage, read> route: array<u32>;     // [T, k, 2]: expert id, bitcast f32 weight
@group(0) @binding(4) var<storage, read> plan: array<u32>;

override WG: u32 = 256;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.T * p.H) {
    return;
  }
  let t = i / p.H;
  let h = i % p.H;
  var acc = 0.0;
  for (var j = 0u; j < p.k; j++) {
    let s = t * p.k + j;
    acc += bitcast<f32>(route[2u * s + 1u]) * y[plan[p.slot_row_at + s] * p.H + h];
  }
  out[i] = select(acc, out[i] + acc, p.accumulate != 0u);
}
