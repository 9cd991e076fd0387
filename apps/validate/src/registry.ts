import type { CausalLM } from './model.js';
import type { WeightDType } from './thresholds.js';

/** How a model class is loaded from a checkpoint directory. */
export interface ModelClass {
  load(dir: string, opts: { dtype: WeightDType }): Promise<CausalLM & { dispose?(): void }>;
}

/** Where a model runs: its own registry each, since a device may run fewer model types. */
export type RegistryDevice = 'cpu' | 'gpu';

/**
 * model_type → its implementation, imported only when a fixture needs it (so the report machinery
 * works without any model package loaded).
 */
const MODELS: Readonly<Record<RegistryDevice, Readonly<Record<string, () => Promise<ModelClass>>>>> = {
  cpu: {
    qwen3: async () => (await import('@qo/qwen3')).Qwen3ForCausalLM,
    qwen3_moe: async () => (await import('@qo/qwen3')).Qwen3ForCausalLM,
  },
  // WebGPU: Qwen3GpuModel runs the dense and the sparse (MoE) decoder
  gpu: {
    qwen3: async () => (await import('@qo/qwen3')).Qwen3GpuModel,
    qwen3_moe: async () => (await import('@qo/qwen3')).Qwen3GpuModel,
  },
};

/** The model_type values qo-validate can run on `device`. */
export function supportedModelTypes(device: RegistryDevice = 'cpu'): string[] {
  return Object.keys(MODELS[device]);
}

/** The loader for `modelType` on `device`, or null when none is registered. */
export function modelClassFor(modelType: string, device: RegistryDevice = 'cpu'): (() => Promise<ModelClass>) | null {
  const m = MODELS[device];
  return Object.prototype.hasOwnProperty.call(m, modelType) ? m[modelType] : null;
}
