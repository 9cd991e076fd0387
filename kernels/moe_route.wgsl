// Qwen3-MoE prefill: groups the T·k (token, expert) slots by expert on the GPU, in one workgroup.
// Counts per expert (workgroup atomics), exclusive prefix sums, the list of row tiles each expert's
// matmul needs, then a scatter of slot indices. Writes the `plan` (u32), in sections:
//   [0]                          number of tiles
//   [1 .. E + 2)                 offsets: expert e's grouped rows are [offsets[e], offsets[e + 1])
//   [tiles_at .. + 2·max_tiles)  tiles: (expert, first grouped row), each covering up to `bt` rows
//   [rows_at .. + slots)         rows: grouped row r holds slot rows[r] = t·k + j (token t = slot / k)
//   [slot_row_at .. + slots)     slot_row: the grouped row of slot s (the combine gathers through it)
// The order of rows within an expert follows the atomics (it varies between runs); every row is
// computed on its own and the combine sums each token's k slots in slot order, so results do not.

struct Params {
  slots: u32,       // T·k
  E: u32,           // num_experts
  bt: u32,          // grouped rows per tile (the tiled kernels' token tile)
  tiles_at: u32,    // plan offsets of the sections above
  rows_at: u32,
  slot_row_at: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> route: array<u32>;      // [T, k, 2]: expert id, weight
@group(0) @binding(2) var<storage, read_write> plan: array<u32>;

const WG = 256u;
const MAX_E = 512u; // the wrapper refuses num_experts above this

var<workgroup> cnt: array<atomic<u32>, MAX_E>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) li: u32) {
  for (var e = li; e < p.E; e += WG) {
    atomicStore(&cnt[e], 0u);
  }
  workgroupBarrier();
  for (var s = li; s < p.slots; s += WG) {
    atomicAdd(&cnt[route[2u * s]], 1u);
  }
  workgroupBarrier();
  if (li == 0u) {
    var off = 0u;
    var n = 0u;
    for (var e = 0u; e < p.E; e++) {
      let c = atomicLoad(&cnt[e]);
      plan[1u + e] = off;
      for (var r = 0u; r < c; r += p.bt) {
        plan[p.tiles_at + 2u * n] = e;
        plan[p.tiles_at + 2u * n + 1u] = off + r;
        n++;
      }
      atomicStore(&cnt[e], off); // from here on: the next free grouped row of expert e
      off += c;
    }
    plan[1u + p.E] = off;
    plan[0] = n;
  }
  workgroupBarrier();
  for (var s = li; s < p.slots; s += WG) {
    let r = atomicAdd(&cnt[route[2u * s]], 1u);
    plan[p.rows_at + r] = s;
    plan[p.slot_row_at + s] = r;
  }
}
