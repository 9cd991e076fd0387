import type { GpuContext, GpuTensor } from '@qo/gpu';
import { ContextOverflowError } from '../errors.js';
import { GpuCacheError } from './errors.js';

/**
 * KV cache on the GPU: per layer, keys (after k_norm and RoPE) and values, [maxSeqLen, nKvHeads,
 * headDim] f32 each. Made synchronously, allocated by the first forward pass that uses it, then
 * reused: `forward` appends, `reset` forgets. One cache per conversation.
 */
export class GpuKVCache {
  readonly k: GpuTensor[] = [];
  readonly v: GpuTensor[] = [];
  /** Tokens held so far (the next token's position). */
  length = 0;

  constructor(
    /** the model that made it (a cache holds that model's layer shapes) */
    readonly owner: object,
    readonly numLayers: number,
    readonly maxSeqLen: number,
    readonly rowSize: number, // nKvHeads * headDim
  ) {}

  /** Allocates the buffers on first use (idempotent). */
  async allocate(ctx: GpuContext, owner: object): Promise<void> {
    if (owner !== this.owner) throw new GpuCacheError('this KV cache was made by another Qwen3GpuModel; create it with model.createCache()');
    while (this.k.length < this.numLayers) {
      const l = this.k.length;
      this.k.push(await ctx.tensor('f32', [this.maxSeqLen, this.rowSize], `kv cache k ${l}`));
      this.v.push(await ctx.tensor('f32', [this.maxSeqLen, this.rowSize], `kv cache v ${l}`));
    }
  }

  /** Forget every token (buffers are kept). */
  reset(): void {
    this.length = 0;
  }

  /** Throws unless `n` more tokens fit. */
  reserve(n: number): void {
    if (this.length + n > this.maxSeqLen) {
      throw new ContextOverflowError(
        `GPU KV cache holds ${this.length} of ${this.maxSeqLen} tokens; ${n} more do not fit. ` +
          `Create the cache with a larger maxSeqLen (createCache(n)) or reset it.`,
      );
    }
  }

  /** Bytes the cache takes on the GPU once allocated. */
  get byteLength(): number {
    return 2 * this.numLayers * this.maxSeqLen * this.rowSize * 4;
  }

  /** Frees the GPU buffers (the cache cannot be used afterwards). */
  destroy(): void {
    for (const t of [...this.k, ...this.v]) t.buffer.destroy();
    this.k.length = 0;
    this.v.length = 0;
  }
}
