// Reductions over groups of consecutive invocations (LANES for group_*, any power of two dividing
// WG for reduce_*): subgroupAdd/subgroupMax inside each
// subgroup, then one partial per subgroup through workgroup memory. Same contract as
// reduce_shared.wgsl, plus: the subgroup size divides the group width (the wrapper checks the adapter's
// subgroupMaxSize), and subgroups are consecutive ranges of local_invocation_index (Vulkan
// drivers lay 1-D workgroups out this way; the GPU tests check it on each adapter).

enable subgroups;

struct Lane {
  @builtin(local_invocation_index) index: u32,
  @builtin(subgroup_size) sg_size: u32,
}

var<workgroup> red: array<f32, WG>;

// Sum over each aligned group of `width` invocations (a power of two dividing WG, ≥ the subgroup size).
fn reduce_sum(v: f32, lane: Lane, width: u32) -> f32 {
  let s = subgroupAdd(v);
  workgroupBarrier(); // red may still be read by the previous call
  if (lane.index % lane.sg_size == 0u) {
    red[lane.index / lane.sg_size] = s;
  }
  workgroupBarrier();
  // every subgroup of the group sums the group's width / sg_size partials, strided over its lanes
  let first = (lane.index - lane.index % width) / lane.sg_size;
  var acc = 0.0;
  for (var j = lane.index % lane.sg_size; j < width / lane.sg_size; j += lane.sg_size) {
    acc += red[first + j];
  }
  return subgroupAdd(acc);
}

fn reduce_max(v: f32, lane: Lane, width: u32) -> f32 {
  let s = subgroupMax(v);
  workgroupBarrier();
  if (lane.index % lane.sg_size == 0u) {
    red[lane.index / lane.sg_size] = s;
  }
  workgroupBarrier();
  let first = (lane.index - lane.index % width) / lane.sg_size;
  var acc = -3.4028234e38;
  for (var j = lane.index % lane.sg_size; j < width / lane.sg_size; j += lane.sg_size) {
    acc = max(acc, red[first + j]);
  }
  return subgroupMax(acc);
}

fn group_sum(v: f32, lane: Lane) -> f32 {
  return reduce_sum(v, lane, LANES);
}

fn group_max(v: f32, lane: Lane) -> f32 {
  return reduce_max(v, lane, LANES);
}
