import { uploadWeight, type GpuContext, type GpuWeight } from '@qo/gpu';
import type { SparseMoeWeights } from '../weights.js';
import { uploadExperts, type GpuExperts } from './layout.js';

/** One sparse layer on the GPU (layout.ts): the router as loaded, the experts stacked. */
export interface GpuSparseMoeWeights {
  /** Router [E, H]: `mlp.gate.weight` as loaded (bf16 or f32: top-k choices must not flip through quantization). */
  gate: GpuWeight;
  /** [E, 2·I, H]: each expert's gate_proj rows, then its up_proj rows. */
  gate_up_proj: GpuExperts;
  /** [E, H, I]. */
  down_proj: GpuExperts;
  /** Bytes on the GPU. */
  bytes: number;
}

/** Uploads one sparse layer's weights once; `prefix` names it as in the checkpoint (`model.layers.{i}.mlp`). */
export async function uploadSparseMoe(ctx: GpuContext, w: SparseMoeWeights, prefix: string): Promise<GpuSparseMoeWeights> {
  const E = w.experts.length;
  const gate = await uploadWeight(ctx, w.gate, `${prefix}.gate.weight`);
  const gate_up_proj = await uploadExperts(ctx, E, (e) => [w.experts[e].gate_proj, w.experts[e].up_proj], `${prefix}.experts.gate_up_proj`);
  const down_proj = await uploadExperts(ctx, E, (e) => [w.experts[e].down_proj], `${prefix}.experts.down_proj`);
  return { gate, gate_up_proj, down_proj, bytes: gate.bytes + gate_up_proj.bytes + down_proj.bytes };
}
