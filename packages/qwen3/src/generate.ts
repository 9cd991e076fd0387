import {
  chat,
  generate,
  generationDefaults,
  type CausalLM,
  type ChatChunk,
  type ChatMessage,
  type ChatOptions,
  type ChatResult,
  type GenerateOptions,
  type GenerationChunk,
  type GenerationDefaults,
  type GenerationResult,
  type GenerationStream,
} from '@qo/generate';
import { loadConfig, resolveModel, Tokenizer, type HubDownloadOptions, type HubProgress } from '@qo/loader';
import type { KVCache } from './cache.js';
import { Qwen3InputError } from './errors.js';
import { Qwen3ForCausalLM, type LoadOptions } from './model.js';
import { Qwen3GpuModel, type GpuLoadOptions } from './gpu/model.js';
import { Qwen3GpuSession } from './gpu/session.js';
import type { LoadProgress } from './weights.js';

/** What loading reports: downloading files (Hub ids, `@qo/loader`'s HubProgress), then reading tensors. */
export type LoadChatProgress = ({ phase: 'download' } & HubProgress) | ({ phase: 'load' } & LoadProgress);

export interface LoadChatOptions extends Omit<LoadOptions, 'onProgress'> {
  /** 'cpu' (default): Qwen3ForCausalLM; 'gpu': Qwen3GpuModel on WebGPU (qwen3, qwen3_moe), the token chosen on the GPU. */
  device?: 'cpu' | 'gpu';
  /** device 'gpu' only: a device to share, or how to acquire one (`@qo/gpu`'s acquireDevice options; GpuLoadOptions.robustness). */
  gpu?: Pick<GpuLoadOptions, 'context' | 'acquire' | 'robustness'>;
  /** Most tokens one conversation holds (prompt + reply); sizes the KV cache. Default min(max_position_embeddings, 4096). */
  maxContext?: number;
  /** For Hub ids: revision, token, offline, cacheDir, signal… (`@qo/loader`'s downloadModel options). */
  hub?: Omit<HubDownloadOptions, 'onProgress'>;
  onProgress?: (p: LoadChatProgress) => void;
}

/** Default cap on the KV cache: 4096 tokens of Qwen3-0.6B's f32 cache is about 0.9 GB. */
export const DEFAULT_MAX_CONTEXT = 4096;

/**
 * Adapts `Qwen3ForCausalLM` and one KV cache to `@qo/generate`'s `CausalLM`: one conversation's state.
 * The generation loop resets it at the start of every reply and prefills the whole prompt.
 */
export class Qwen3Session implements CausalLM {
  readonly vocabSize: number;
  readonly maxContext: number;
  readonly cache: KVCache;

  constructor(
    readonly model: Qwen3ForCausalLM,
    maxContext: number,
  ) {
    const limit = model.config.max_position_embeddings;
    if (!Number.isSafeInteger(maxContext) || maxContext < 2 || maxContext > limit) {
      throw new Qwen3InputError(`maxContext must be an integer in [2, ${limit}] (the config's max_position_embeddings), got ${String(maxContext)}`);
    }
    this.vocabSize = model.config.vocab_size;
    this.maxContext = maxContext;
    this.cache = model.createCache(maxContext);
  }

  forward(ids: ArrayLike<number>): Float32Array {
    return this.model.forward(ids, this.cache);
  }

  reset(): void {
    this.cache.reset();
  }
}

/** The session type that goes with a model type. */
export type Qwen3SessionOf<M> = M extends Qwen3GpuModel ? Qwen3GpuSession : Qwen3Session;

/**
 * A loaded model (CPU, or GPU with `device: 'gpu'`) with its tokenizer and generation_config.json
 * defaults, ready to stream replies. One conversation at a time: finish (or break out of) a stream
 * before starting the next.
 */
export class Qwen3Chat<M extends Qwen3ForCausalLM | Qwen3GpuModel = Qwen3ForCausalLM> {
  constructor(
    /** the checkpoint directory it was loaded from */
    readonly dir: string,
    readonly model: M,
    readonly tokenizer: Tokenizer,
    /** generation_config.json (sampling, max tokens) and config.json EOS ids; options passed to a call win */
    readonly defaults: GenerationDefaults,
    readonly session: Qwen3SessionOf<M>,
  ) {}

  /** Where the model runs. */
  get device(): 'cpu' | 'gpu' {
    return this.model instanceof Qwen3GpuModel ? 'gpu' : 'cpu';
  }

  /**
   * Streams the reply to `messages` through the model's chat template. Each part is
   * `{ type: 'reasoning' | 'content', text }`; `await stream.result()` gives ids, stop reason and timings.
   */
  stream(messages: readonly ChatMessage[], options: ChatOptions = {}): GenerationStream<ChatChunk, ChatResult> {
    return chat(this.session, this.tokenizer, messages, { defaults: this.defaults, ...options });
  }

  /** Streams a plain continuation of `prompt` (text or token ids), no chat template. */
  complete(prompt: string | ArrayLike<number>, options: GenerateOptions = {}): GenerationStream<GenerationChunk, GenerationResult> {
    return generate(this.session, this.tokenizer, prompt, { defaults: this.defaults, ...options });
  }
}

/**
 * Loads a checkpoint directory or a Hugging Face Hub id (downloaded into the HF cache by
 * `@qo/loader`'s resolveModel, or found there) for chat: weights, tokenizer, generation defaults.
 *
 * ```ts
 * const chat = await loadChat('Qwen/Qwen3-0.6B', { dtype: 'q8_0' });
 * for await (const part of chat.stream([{ role: 'user', content: 'Hi!' }])) process.stdout.write(part.text);
 * ```
 */
export function loadChat(spec: string, options: LoadChatOptions & { device: 'gpu' }): Promise<Qwen3Chat<Qwen3GpuModel>>;
export function loadChat(spec: string, options?: LoadChatOptions & { device?: 'cpu' }): Promise<Qwen3Chat>;
export function loadChat(spec: string, options?: LoadChatOptions): Promise<Qwen3Chat | Qwen3Chat<Qwen3GpuModel>>;
export async function loadChat(spec: string, options: LoadChatOptions = {}): Promise<Qwen3Chat | Qwen3Chat<Qwen3GpuModel>> {
  const onProgress = options.onProgress;
  const dir = await resolveModel(spec, { ...options.hub, ...(onProgress && { onProgress: (p: HubProgress) => onProgress({ phase: 'download', ...p }) }) });
  const { generation, raw } = await loadConfig(dir);
  const defaults = generationDefaults(generation, raw);
  const tokenizer = await Tokenizer.fromDir(dir);
  const common = {
    ...(options.dtype !== undefined && { dtype: options.dtype }),
    ...(onProgress && { onProgress: (p: LoadProgress) => onProgress({ phase: 'load', ...p }) }),
  };
  const device = options.device ?? 'cpu';
  if (device === 'gpu') {
    const gpu = await Qwen3GpuModel.load(dir, { ...common, ...options.gpu, ...(options.maxContext !== undefined && { maxContext: options.maxContext }) });
    return new Qwen3Chat<Qwen3GpuModel>(dir, gpu, tokenizer, defaults, new Qwen3GpuSession(gpu, gpu.maxContext));
  }
  if (device !== 'cpu') throw new Qwen3InputError(`device '${String(device)}' is not supported; use cpu or gpu`);
  const model = await Qwen3ForCausalLM.load(dir, {
    ...common,
    ...(options.backend !== undefined && { backend: options.backend }),
    ...(options.threads !== undefined && { threads: options.threads }),
  });
  const maxContext = options.maxContext ?? Math.min(model.config.max_position_embeddings, DEFAULT_MAX_CONTEXT);
  return new Qwen3Chat(dir, model, tokenizer, defaults, new Qwen3Session(model, maxContext));
}
