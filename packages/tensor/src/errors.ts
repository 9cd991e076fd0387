/** Base class of every error thrown by `@qo/tensor`; catch this to catch them all. */
export class TensorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A buffer is too small, a dimension is not a positive integer, or two sizes disagree. */
export class ShapeError extends TensorError {}

/** An op was given a dtype it does not implement. */
export class DTypeError extends TensorError {}

/** An index (a token id, a row) lies outside the tensor it indexes. */
export class IndexOutOfRangeError extends TensorError {}

/** Quantization met NaN or ±Infinity, which no Q8_0 block can represent. */
export class NonFiniteError extends TensorError {}

/** RoPE parameters that are missing, invalid or of a rope_type that is not implemented. */
export class RopeParametersError extends TensorError {}

/** The WebAssembly kernels cannot run here (no WebAssembly SIMD, no SharedArrayBuffer for threads). */
export class KernelUnavailableError extends TensorError {}

/** Kernel memory is exhausted (a wasm32 memory holds at most 4 GiB) or a buffer lies outside it. */
export class KernelMemoryError extends TensorError {}

/** A backend was used after dispose(), or a worker thread failed. */
export class BackendStateError extends TensorError {}
