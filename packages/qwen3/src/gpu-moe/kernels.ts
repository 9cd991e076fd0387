// The WGSL sources of the Qwen3-MoE kernels (kernels/moe_*.wgsl), inlined into the bundle as strings
// at build time, beside @qo/gpu's kernels, which they include (weights, activations, reductions).
import { kernelSources } from '@qo/gpu';
import combine from '../../../../kernels/moe_combine.wgsl?raw';
import down from '../../../../kernels/moe_down.wgsl?raw';
import downTiled from '../../../../kernels/moe_down_tiled.wgsl?raw';
import gateUp from '../../../../kernels/moe_gate_up.wgsl?raw';
import gateUpTiled from '../../../../kernels/moe_gate_up_tiled.wgsl?raw';
import route from '../../../../kernels/moe_route.wgsl?raw';
import topk from '../../../../kernels/moe_topk.wgsl?raw';
import topkShared from '../../../../kernels/moe_topk_shared.wgsl?raw';
import topkSubgroup from '../../../../kernels/moe_topk_subgroup.wgsl?raw';

/** kernels/moe_*.wgsl by file name. */
export const moeKernelSources: Readonly<Record<string, string>> = {
  'moe_combine.wgsl': combine,
  'moe_down.wgsl': down,
  'moe_down_tiled.wgsl': downTiled,
  'moe_gate_up.wgsl': gateUp,
  'moe_gate_up_tiled.wgsl': gateUpTiled,
  'moe_route.wgsl': route,
  'moe_topk.wgsl': topk,
  'moe_topk_shared.wgsl': topkShared,
  'moe_topk_subgroup.wgsl': topkSubgroup,
};

/** Every file a MoE kernel may include: @qo/gpu's kernels and the MoE ones. */
export const allKernelSources: Readonly<Record<string, string>> = { ...kernelSources, ...moeKernelSources };
