import { ContextOverflowError } from './errors.js';

/**
 * KV cache: per layer, keys and values after RoPE / as projected, [maxSeqLen, nKvHeads, headDim] f32.
 * Allocated once (by `alloc`: the model's createCache puts it in its CPU backend's memory); `forward`
 * appends. Explicit state: one cache per conversation.
 */
export class KVCache {
  readonly k: Float32Array[];
  readonly v: Float32Array[];
  /** Tokens held so far (the next token's position). */
  length = 0;

  constructor(
    readonly numLayers: number,
    readonly maxSeqLen: number,
    readonly rowSize: number, // nKvHeads * headDim
    alloc: (n: number) => Float32Array = (n) => new Float32Array(n),
  ) {
    this.k = Array.from({ length: numLayers }, () => alloc(maxSeqLen * rowSize));
    this.v = Array.from({ length: numLayers }, () => alloc(maxSeqLen * rowSize));
  }

  /** Forget every token (buffers are kept). */
  reset(): void {
    this.length = 0;
  }

  /** Throws unless `n` more tokens fit. */
  reserve(n: number): void {
    if (this.length + n > this.maxSeqLen) {
      throw new ContextOverflowError(
        `KV cache holds ${this.length} of ${this.maxSeqLen} tokens; ${n} more do not fit. ` +
          `Create the cache with a larger maxSeqLen (createCache(n)) or reset it.`,
      );
    }
  }

  /** Bytes held by the cache. */
  get byteLength(): number {
    return 2 * this.numLayers * this.maxSeqLen * this.rowSize * 4;
  }
}
