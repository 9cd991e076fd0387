import { Qwen3Error } from '../errors.js';

/** A Qwen3-MoE config the GPU sparse block cannot run (more experts or experts per token than its kernels hold). */
export class GpuMoeConfigError extends Qwen3Error {
  override name = 'GpuMoeConfigError';
}

/** recordSparseMoe was given tensors or weights of the wrong size, dtype or layer shape. */
export class GpuMoeArgumentError extends Qwen3Error {
  override name = 'GpuMoeArgumentError';
}
