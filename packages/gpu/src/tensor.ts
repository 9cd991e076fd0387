/** Element types of GPU activations: f32 values, u32 token ids. */
export type GpuDType = 'f32' | 'u32';

/** A dense row-major buffer on the GPU (activations, KV cache, token ids); 4 bytes an element. */
export class GpuTensor {
  readonly buffer: GPUBuffer;
  readonly dtype: GpuDType;
  readonly shape: readonly number[];
  readonly label: string;

  constructor(buffer: GPUBuffer, dtype: GpuDType, shape: readonly number[], label: string) {
    this.buffer = buffer;
    this.dtype = dtype;
    this.shape = Object.freeze([...shape]);
    this.label = label;
  }

  /** Number of elements. */
  get size(): number {
    let n = 1;
    for (const s of this.shape) n *= s;
    return n;
  }
}
