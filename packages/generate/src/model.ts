import type { Sampler } from './sampler.js';

/**
 * What the generation loop needs from a model: a session that holds its context (a KV cache) and
 * extends it. `@qo/qwen3` (CPU) and the WebGPU model adapt to this; nothing here is model-specific.
 */
export interface CausalLM {
  /** Length of a logits row (the LM head's output size; may exceed the tokenizer's vocabulary). */
  readonly vocabSize: number;
  /** Most tokens the session can hold (prompt + generated). */
  readonly maxContext: number;
  /**
   * Runs `ids` after what the session already holds and returns the logits of the last position,
   * [vocabSize]. The loop reads them before the next call, so the model may reuse one buffer.
   */
  forward(ids: ArrayLike<number>): Float32Array | Promise<Float32Array>;
  /** Forgets the context. */
  reset(): void;
  /**
   * Optional fast path for models whose logits live on a device: run `ids` like `forward`, then pick
   * the next token there. It must return what `sampler.sample(logits, uniform)` would return for the
   * same logits (same order of operations, `sampler.params`, penalty counts in `sampler.counts`, and
   * `uniform` as the only randomness), so a seed means the same tokens on every backend.
   */
  forwardSample?(ids: ArrayLike<number>, sampler: Sampler, uniform: number): Promise<number>;
}

/** The tokenizer calls the loop makes; `@qo/loader`'s `Tokenizer` has them. */
export interface TextTokenizer {
  encode(text: string, options?: { addSpecialTokens?: boolean }): number[];
  decode(ids: ArrayLike<number>, options?: { skipSpecialTokens?: boolean }): string;
}

/** One chat message as a chat template sees it. */
export interface ChatMessage {
  role: string;
  content?: unknown;
  [key: string]: unknown;
}

/** Template options `chat` passes (names as in `@qo/loader`'s `Tokenizer.applyChatTemplate`). */
export interface ChatTemplateCall {
  addGenerationPrompt?: boolean;
  enableThinking?: boolean;
  tools?: readonly Readonly<Record<string, unknown>>[];
  kwargs?: Readonly<Record<string, unknown>>;
}

/** A tokenizer with a chat template. */
export interface ChatTokenizer extends TextTokenizer {
  applyChatTemplate(messages: readonly ChatMessage[], options?: ChatTemplateCall): string;
}
