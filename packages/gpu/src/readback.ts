import { alive } from './alive.js';
import type { GpuContext } from './context.js';
import { GpuShapeError, GpuValidationError } from './errors.js';
import type { GpuTensor } from './tensor.js';
import { BufferUsage, MapMode } from './usage.js';

/**
 * Reads back a few u32 (the sampled token id) per step without allocating: `copy` records a copy
 * into a mappable staging buffer after the compute pass, `read` maps it once the work is done.
 */
export class TokenReader {
  readonly ctx: GpuContext;
  private readonly staging: GPUBuffer;
  readonly count: number;

  private constructor(ctx: GpuContext, staging: GPUBuffer, count: number) {
    this.ctx = ctx;
    this.staging = staging;
    this.count = count;
  }

  static async create(ctx: GpuContext, count = 1): Promise<TokenReader> {
    const staging = await ctx.createBuffer(count * 4, BufferUsage.MAP_READ | BufferUsage.COPY_DST, 'token readback');
    return new TokenReader(ctx, staging, count);
  }

  /** Records the copy of src[offset .. offset + count) (outside any compute pass: after `Recorder.end()`). */
  copy(encoder: GPUCommandEncoder, src: GpuTensor, offset = 0): void {
    if (src.dtype !== 'u32' || offset + this.count > src.size) {
      throw new GpuShapeError(`TokenReader.copy: '${src.label}' (${src.dtype}, ${src.size}) has no u32 elements [${offset}, ${offset + this.count})`);
    }
    encoder.copyBufferToBuffer(src.buffer, offset * 4, this.staging, 0, this.count * 4);
  }

  /** The copied values, once the submitted work has run. */
  async read(): Promise<Uint32Array> {
    try {
      await alive(this.staging.mapAsync(MapMode.READ));
    } catch (e) {
      await this.ctx.settle();
      throw new GpuValidationError(`TokenReader.read: mapping the staging buffer failed: ${String(e)}`);
    }
    const out = new Uint32Array(this.staging.getMappedRange().slice(0));
    this.staging.unmap();
    await this.ctx.settle();
    return out;
  }
}
