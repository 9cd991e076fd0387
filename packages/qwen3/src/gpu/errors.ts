import { Qwen3Error } from '../errors.js';

/** The checkpoint is a variant the WebGPU forward pass does not run yet (qwen3_moe); the CPU model does. */
export class GpuUnsupportedModelError extends Qwen3Error {
  override name = 'GpuUnsupportedModelError';
}

/** A GPU KV cache was used with a model it was not made for, or after the model was disposed. */
export class GpuCacheError extends Qwen3Error {
  override name = 'GpuCacheError';
}
