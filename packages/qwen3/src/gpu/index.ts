export { Qwen3GpuModel, GPU_DAWN_OPTIONS, type GpuLoadOptions, type GpuSamplingOptions } from './model.js';
export { GpuKVCache } from './cache.js';
export { GpuUnsupportedModelError, GpuCacheError } from './errors.js';
export type { GpuQwen3Weights, GpuLayerWeights } from './weights.js';
export { Qwen3GpuSession, gpuSampling } from './session.js';
export type { GpuProfile, GpuProfileOp } from './profile.js';
