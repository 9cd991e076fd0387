/**
 * What qo-validate needs from a model and a tokenizer. `Qwen3ForCausalLM` (@qo/qwen3) and
 * `Tokenizer` (@qo/loader) have these shapes; tests pass small fakes.
 */

/** Called by the forward pass at each named point with a row-major [T, ...] copy. */
export type Probe = (name: string, data: Float32Array, shape: readonly number[]) => void;

export interface ForwardOptions {
  probe?: Probe;
  allLogits?: boolean;
}

export interface CausalLM<Cache = unknown> {
  readonly config: { readonly model_type: string; readonly vocab_size: number };
  createCache(maxSeqLen: number): Cache;
  /**
   * Runs `ids` after what `cache` holds and appends them to it. Returns [T, vocab] logits with
   * `allLogits`, else [1, vocab] for the last position; the array may be reused by the next call.
   */
  forward(ids: ArrayLike<number>, cache: Cache, opts?: ForwardOptions): Float32Array | Promise<Float32Array>;
}

/** One chat turn as transformers' apply_chat_template takes it. */
export interface ChatMessage {
  role: string;
  [key: string]: unknown;
}

export interface ChatTemplateOptions {
  addGenerationPrompt: boolean;
  enableThinking: boolean;
  tools?: readonly Readonly<Record<string, unknown>>[];
}

export interface ChatTokenizer {
  encode(text: string, opts: { addSpecialTokens: boolean }): ArrayLike<number> | Promise<ArrayLike<number>>;
  decode(ids: ArrayLike<number>, opts: { skipSpecialTokens: boolean }): string | Promise<string>;
  applyChatTemplate(messages: readonly ChatMessage[], opts: ChatTemplateOptions): string | Promise<string>;
}
