import { InvalidOptionError } from './errors.js';
import { planGeneration, runGeneration, type GenerateOptions, type GenerationResult } from './generate.js';
import type { CausalLM, ChatMessage, ChatTokenizer } from './model.js';
import { endsInsideReasoning, ReasoningSplitter, type ChatChunk } from './reasoning.js';
import { GenerationStream } from './stream.js';

export interface ChatOptions extends GenerateOptions {
  /** Qwen3's `enable_thinking` template switch; left out, the template decides (Qwen3: on). */
  enableThinking?: boolean;
  /** JSON-schema tool descriptions for the template. */
  tools?: readonly Readonly<Record<string, unknown>>[];
  /** Further template variables (transformers' apply_chat_template kwargs). */
  templateKwargs?: Readonly<Record<string, unknown>>;
  /** Tags around reasoning in the reply. Default ['<think>', '</think>']. */
  reasoningTags?: readonly [open: string, close: string];
}

export interface ChatResult extends GenerationResult {
  /** the reply without its reasoning */
  readonly content: string;
  /** what the model wrote inside the reasoning tags ('' when it did not think) */
  readonly reasoning: string;
  /** the reply as a message to append to the history for the next turn */
  readonly message: ChatMessage;
}

/**
 * Streams the model's reply to `messages`: renders them with the tokenizer's chat template (with
 * the generation prompt), generates, and splits the reply into reasoning and content chunks.
 * `result.text` is the raw reply (tags included); `content` and `reasoning` are the split.
 */
export function chat(
  model: CausalLM,
  tokenizer: ChatTokenizer,
  messages: readonly ChatMessage[],
  options: ChatOptions = {},
): GenerationStream<ChatChunk, ChatResult> {
  const plan = planGeneration(model, options);
  if (plan.eosTokenIds.size === 0) {
    // Without them the model would run past its end-of-turn token into turns nobody asked for.
    throw new InvalidOptionError(
      'eosTokenIds',
      'chat needs the end-of-turn token ids: pass defaults: generationDefaults(generation_config, config) (as loadConfig returns them) or eosTokenIds.',
    );
  }
  const [openTag, closeTag] = options.reasoningTags ?? ['<think>', '</think>'];
  return new GenerationStream<ChatChunk, ChatResult>(async function* (control) {
    let startInReasoning = false;
    const encode = (): number[] => {
      const prompt = tokenizer.applyChatTemplate(messages, {
        addGenerationPrompt: true,
        ...(options.enableThinking !== undefined && { enableThinking: options.enableThinking }),
        ...(options.tools !== undefined && { tools: options.tools }),
        ...(options.templateKwargs !== undefined && { kwargs: options.templateKwargs }),
      });
      startInReasoning = endsInsideReasoning(prompt, openTag, closeTag);
      return tokenizer.encode(prompt, { addSpecialTokens: false });
    };
    const inner = runGeneration(model, tokenizer, encode, plan, control);
    let splitter: ReasoningSplitter | undefined;
    let content = '';
    let reasoning = '';
    const collect = function* (chunks: ChatChunk[]): Generator<ChatChunk> {
      for (const c of chunks) {
        if (c.type === 'content') content += c.text;
        else reasoning += c.text;
        yield c;
      }
    };
    for (;;) {
      const r = await inner.next();
      splitter ??= new ReasoningSplitter({ openTag, closeTag, startInReasoning });
      if (r.done) {
        yield* collect(splitter.flush());
        return { ...r.value, content, reasoning, message: { role: 'assistant', content } };
      }
      yield* collect(splitter.push(r.value.text));
    }
  });
}
