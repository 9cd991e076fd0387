// Reductions over groups of LANES consecutive invocations: subgroupAdd/subgroupMax inside each
// subgroup, then one partial per subgroup through workgroup memory. Same contract as
// reduce_shared.wgsl, plus: the subgroup size divides LANES (the wrapper checks the adapter's
// subgroupMaxSize), and subgroups are consecutive ranges of local_invocation_index (Vulkan
// drivers lay 1-D workgroups out this way; the GPU tests check it on each adapter).

enable subgroups;

struct Lane {
  @builtin(local_invocation_index) index: u32,
  @builtin(subgroup_size) sg_size: u32,
}

var<workgroup> red: array<f32, WG>;

// Sum (or max) of the per-subgroup partials of this lane's group, once they are in red.
fn group_partials(lane: Lane, is_max: bool) -> f32 {
  let n = LANES / lane.sg_size;
  let first = (lane.index - lane.index % LANES) / lane.sg_size;
  var total = red[first];
  for (var j = 1u; j < n; j++) {
    total = select(total + red[first + j], max(total, red[first + j]), is_max);
  }
  return total;
}

fn group_sum(v: f32, lane: Lane) -> f32 {
  let s = subgroupAdd(v);
  workgroupBarrier(); // red may still be read by the previous call
  if (lane.index % lane.sg_size == 0u) {
    red[lane.index / lane.sg_size] = s;
  }
  workgroupBarrier();
  return group_partials(lane, false);
}

fn group_max(v: f32, lane: Lane) -> f32 {
  let s = subgroupMax(v);
  workgroupBarrier();
  if (lane.index % lane.sg_size == 0u) {
    red[lane.index / lane.sg_size] = s;
  }
  workgroupBarrier();
  return group_partials(lane, true);
}
