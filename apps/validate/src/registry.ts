import type { CausalLM } from './model.js';
import type { WeightDType } from './thresholds.js';

/** How a model class is loaded from a checkpoint directory. */
export interface ModelClass {
  load(dir: string, opts: { dtype: WeightDType }): Promise<CausalLM>;
}

/**
 * model_type → its implementation, imported only when a fixture needs it (so the report machinery
 * works without any model package loaded).
 */
const MODELS: Readonly<Record<string, () => Promise<ModelClass>>> = {
  qwen3: async () => (await import('@qo/qwen3')).Qwen3ForCausalLM,
  qwen3_moe: async () => (await import('@qo/qwen3')).Qwen3ForCausalLM,
};

/** The model_type values qo-validate can run. */
export function supportedModelTypes(): string[] {
  return Object.keys(MODELS);
}

/** The loader for `modelType`, or null when none is registered. */
export function modelClassFor(modelType: string): (() => Promise<ModelClass>) | null {
  return Object.prototype.hasOwnProperty.call(MODELS, modelType) ? MODELS[modelType] : null;
}
