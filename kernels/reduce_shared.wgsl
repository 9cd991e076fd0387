// Reductions over groups of consecutive invocations (LANES for group_*, any power of two dividing
// WG for reduce_*) through workgroup memory (no subgroups).
// The including kernel declares `override WG: u32` (invocations per workgroup) and
// `override LANES: u32` (a power of two dividing WG). Call from uniform control flow: every
// invocation of the workgroup must reach each call. The result is returned to every lane of the group.

struct Lane {
  @builtin(local_invocation_index) index: u32,
}

var<workgroup> red: array<f32, WG>;

// Sum over each aligned group of `width` invocations (a power of two dividing WG).
fn reduce_sum(v: f32, lane: Lane, width: u32) -> f32 {
  workgroupBarrier(); // red may still be read by the previous call
  red[lane.index] = v;
  workgroupBarrier();
  let first = lane.index - lane.index % width;
  for (var s = width / 2u; s > 0u; s >>= 1u) {
    if (lane.index - first < s) {
      red[lane.index] += red[lane.index + s];
    }
    workgroupBarrier();
  }
  return red[first];
}

fn reduce_max(v: f32, lane: Lane, width: u32) -> f32 {
  workgroupBarrier();
  red[lane.index] = v;
  workgroupBarrier();
  let first = lane.index - lane.index % width;
  for (var s = width / 2u; s > 0u; s >>= 1u) {
    if (lane.index - first < s) {
      red[lane.index] = max(red[lane.index], red[lane.index + s]);
    }
    workgroupBarrier();
  }
  return red[first];
}

fn group_sum(v: f32, lane: Lane) -> f32 {
  return reduce_sum(v, lane, LANES);
}

fn group_max(v: f32, lane: Lane) -> f32 {
  return reduce_max(v, lane, LANES);
}
