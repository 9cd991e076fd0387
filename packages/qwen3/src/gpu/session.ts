import { hasPenalties, isGreedy, type CausalLM, type Sampler } from '@qo/generate';
import { Qwen3InputError } from '../errors.js';
import type { GpuKVCache } from './cache.js';
import type { GpuSamplingOptions, Qwen3GpuModel } from './model.js';

/**
 * Adapts `Qwen3GpuModel` and one GPU KV cache to `@qo/generate`'s `CausalLM`, with the fast path
 * `forwardSample`: the token is chosen on the GPU and only its id comes back.
 */
export class Qwen3GpuSession implements CausalLM {
  readonly vocabSize: number;
  readonly maxContext: number;
  readonly cache: GpuKVCache;

  constructor(
    readonly model: Qwen3GpuModel,
    maxContext: number = model.maxContext,
  ) {
    const limit = model.config.max_position_embeddings;
    if (!Number.isSafeInteger(maxContext) || maxContext < 2 || maxContext > limit) {
      throw new Qwen3InputError(`maxContext must be an integer in [2, ${limit}] (the config's max_position_embeddings), got ${String(maxContext)}`);
    }
    this.vocabSize = model.config.vocab_size;
    this.maxContext = maxContext;
    this.cache = model.createCache(maxContext);
  }

  forward(ids: ArrayLike<number>): Promise<Float32Array> {
    return this.model.forward(ids, this.cache);
  }

  forwardSample(ids: ArrayLike<number>, sampler: Sampler, uniform: number): Promise<number> {
    return this.model.forwardSample(ids, this.cache, gpuSampling(sampler), uniform);
  }

  reset(): void {
    this.cache.reset();
  }
}

/** The Sampler's resolved parameters (and penalty counts) as the GPU sampler takes them. */
export function gpuSampling(sampler: Sampler): GpuSamplingOptions {
  const p = sampler.params;
  const s: GpuSamplingOptions = isGreedy(p) ? { temperature: 0 } : { temperature: p.temperature, topK: p.topK, topP: p.topP, minP: p.minP };
  if (hasPenalties(p)) s.penalties = { counts: sampler.counts, repetition: p.repetitionPenalty, presence: p.presencePenalty, frequency: p.frequencyPenalty };
  return s;
}
