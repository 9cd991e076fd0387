export { Qwen3ForCausalLM, type Probe, type ForwardOptions, type LoadOptions } from './model.js';
export { KVCache } from './cache.js';
export type { WeightDType } from './config.js';
export type { Qwen3Weights, LayerWeights, MLPWeights, SparseMoeWeights, LoadProgress } from './weights.js';
export {
  Qwen3Error,
  MissingWeightError,
  WeightShapeError,
  UnexpectedWeightError,
  ContextOverflowError,
  Qwen3InputError,
} from './errors.js';
export { loadChat, Qwen3Chat, Qwen3Session, DEFAULT_MAX_CONTEXT, type LoadChatOptions, type LoadChatProgress } from './generate.js';
export * from './gpu/index.js';
export type { BackendOptions } from './model.js';
export { synthModel, synthWeights, synthConfig, SYNTH_PRESETS, type SynthPreset, type SynthOptions } from './synth.js';
export type { Qwen3SessionOf } from './generate.js';
