import { IncrementalDetokenizer } from './detokenizer.js';
import { InvalidOptionError, InvalidTokenError, PromptTooLongError } from './errors.js';
import type { GenerationDefaults } from './generation-config.js';
import type { CausalLM, TextTokenizer } from './model.js';
import { randomSeed, Xoshiro128 } from './rng.js';
import { Sampler } from './sampler.js';
import { resolveSampling, type SamplingOptions, type SamplingParams } from './sampling-params.js';
import { StopStringMatcher } from './stop-strings.js';
import { GenerationStream, type StreamControl } from './stream.js';

export interface GenerateOptions extends SamplingOptions {
  /** Most tokens to generate. Default: generation defaults' maxNewTokens / maxLength, else until the context is full. */
  maxNewTokens?: number;
  /** Token ids that end generation (kept in `ids`, not decoded into `text`). Default: `defaults.eosTokenIds`. */
  eosTokenIds?: readonly number[];
  /** Strings that end generation, matched on the decoded text; the match and what follows are dropped. */
  stop?: readonly string[];
  /** Stops generation between two tokens; the result then says 'abort'. */
  signal?: AbortSignal;
  /** Same seed, same options, same model: same tokens. Default: a random seed, reported in the result. */
  seed?: number;
  /** Drop special tokens (e.g. <|im_start|>) from the text. Default true. */
  skipSpecialTokens?: boolean;
  /** The checkpoint's defaults (`generationDefaults(...)`); options given here win. */
  defaults?: GenerationDefaults;
}

export type StopReason = 'eos' | 'stop' | 'length' | 'abort';

/** One step of the stream: the ids chosen since the last chunk and the text they completed. */
export interface GenerationChunk {
  /** may be '' while a character or a possible stop string is incomplete */
  readonly text: string;
  /** usually one id; [] for the last chunk when it only releases held text */
  readonly ids: readonly number[];
}

export interface GenerationTimings {
  readonly promptTokens: number;
  readonly generatedTokens: number;
  /** from the start of generation (tokenizing included) to the first chosen token */
  readonly timeToFirstTokenMs: number;
  /** prompt forward pass + first sampling */
  readonly prefillMs: number;
  /** the steps after the first token (time the consumer spends between chunks excluded) */
  readonly decodeMs: number;
  readonly prefillTokensPerSecond: number;
  /** (generatedTokens - 1) / decodeMs; 0 when fewer than two tokens */
  readonly decodeTokensPerSecond: number;
}

export interface GenerationResult {
  /** the generated text as streamed: EOS, a matched stop string and anything after it excluded */
  readonly text: string;
  /** every chosen id, the EOS id or the ids that completed a stop string included */
  readonly ids: readonly number[];
  readonly promptIds: readonly number[];
  readonly stopReason: StopReason;
  /** the stop string that matched, when stopReason is 'stop' */
  readonly stopString: string | undefined;
  readonly seed: number;
  readonly sampling: SamplingParams;
  readonly timings: GenerationTimings;
}

/** Everything generation needs, resolved and validated before the first token. */
export interface GenerationPlan {
  readonly sampling: SamplingParams;
  readonly seed: number;
  readonly eosTokenIds: ReadonlySet<number>;
  readonly stop: readonly string[];
  readonly maxNewTokens: number | undefined;
  readonly maxLength: number | undefined;
  readonly signal: AbortSignal | undefined;
  readonly skipSpecialTokens: boolean;
}

/**
 * Streams a continuation of `prompt` (text, encoded without special tokens added, or ids). Options
 * are validated now (InvalidOptionError); the model runs when the stream is iterated or `result()`
 * is awaited. The model's context is reset first.
 */
export function generate(
  model: CausalLM,
  tokenizer: TextTokenizer,
  prompt: string | ArrayLike<number>,
  options: GenerateOptions = {},
): GenerationStream<GenerationChunk, GenerationResult> {
  const plan = planGeneration(model, options);
  const ids = typeof prompt === 'string' ? undefined : Array.from(prompt);
  return new GenerationStream((control) =>
    runGeneration(model, tokenizer, () => ids ?? tokenizer.encode(prompt as string, { addSpecialTokens: false }), plan, control),
  );
}

/** Resolves options over their defaults and checks them against the model. */
export function planGeneration(model: CausalLM, options: GenerateOptions): GenerationPlan {
  const d = options.defaults ?? {};
  const sampling = resolveSampling(options, d);
  const seed = options.seed ?? randomSeed();
  new Xoshiro128(seed); // validates the seed now
  const eos = options.eosTokenIds ?? d.eosTokenIds ?? [];
  for (const id of eos) {
    if (!Number.isSafeInteger(id) || id < 0 || id >= model.vocabSize) {
      throw new InvalidOptionError('eosTokenIds', `eosTokenIds: ${String(id)} is not a token id in [0, ${model.vocabSize}).`);
    }
  }
  const maxNewTokens = options.maxNewTokens ?? d.maxNewTokens;
  if (maxNewTokens !== undefined && (!Number.isSafeInteger(maxNewTokens) || maxNewTokens < 1)) {
    throw new InvalidOptionError('maxNewTokens', `maxNewTokens must be a positive integer, got ${String(maxNewTokens)}.`);
  }
  const stop = options.stop ?? [];
  new StopStringMatcher(stop); // validates the stop strings now
  return {
    sampling,
    seed,
    eosTokenIds: new Set(eos),
    stop,
    maxNewTokens,
    maxLength: options.maxNewTokens === undefined ? d.maxLength : undefined,
    signal: options.signal,
    skipSpecialTokens: options.skipSpecialTokens ?? true,
  };
}

/** The loop behind `generate` (and `chat`): prefill, then one token per step until a stop. */
export async function* runGeneration(
  model: CausalLM,
  tokenizer: TextTokenizer,
  encodePrompt: () => number[],
  plan: GenerationPlan,
  control: StreamControl,
): AsyncGenerator<GenerationChunk, GenerationResult, void> {
  const t0 = performance.now();
  const promptIds = encodePrompt();
  checkPrompt(model, promptIds);
  // maxLength (generation_config's max_length) counts the prompt; a prompt that fills it stops at once.
  const limit = Math.min(
    plan.maxNewTokens ?? Number.POSITIVE_INFINITY,
    plan.maxLength === undefined ? Number.POSITIVE_INFINITY : plan.maxLength - promptIds.length,
    model.maxContext - promptIds.length,
  );
  const sampler = new Sampler(model.vocabSize, plan.sampling);
  const rng = new Xoshiro128(plan.seed);
  const detok = new IncrementalDetokenizer(tokenizer, { skipSpecialTokens: plan.skipSpecialTokens });
  const stops = new StopStringMatcher(plan.stop);
  const aborted = (): boolean => control.cancelled || plan.signal?.aborted === true;
  const ids: number[] = [];
  let text = '';
  let reason: StopReason | undefined = aborted() ? 'abort' : limit <= 0 ? 'length' : undefined;
  let stopString: string | undefined;
  let firstAt = t0;
  let prefillMs = 0;
  let decodeMs = 0;

  if (reason === undefined) {
    model.reset();
    sampler.reset(promptIds);
  }
  let input: ArrayLike<number> = promptIds;
  while (reason === undefined) {
    const ts = performance.now();
    const id = await step(model, sampler, input, rng.uniform());
    ids.push(id);
    sampler.accept(id);
    let delta = '';
    if (plan.eosTokenIds.has(id)) reason = 'eos';
    else {
      const r = stops.push(detok.push(id));
      delta = r.text;
      if (r.stop !== undefined) [reason, stopString] = ['stop', r.stop];
    }
    if (reason === undefined && ids.length >= limit) reason = 'length';
    if (reason === undefined && aborted()) reason = 'abort';
    if (reason !== undefined && reason !== 'stop') delta += release(detok, stops);
    text += delta;
    const te = performance.now();
    if (ids.length === 1) [firstAt, prefillMs] = [te, te - ts];
    else decodeMs += te - ts;
    yield { text: delta, ids: [id] };
    if (reason === undefined && aborted()) {
      reason = 'abort';
      const rest = release(detok, stops);
      text += rest;
      if (rest.length > 0) yield { text: rest, ids: [] };
    }
    input = [id];
  }
  const n = ids.length;
  return {
    text,
    ids,
    promptIds,
    stopReason: reason,
    stopString,
    seed: plan.seed,
    sampling: plan.sampling,
    timings: {
      promptTokens: promptIds.length,
      generatedTokens: n,
      timeToFirstTokenMs: n > 0 ? firstAt - t0 : 0,
      prefillMs,
      decodeMs,
      prefillTokensPerSecond: prefillMs > 0 ? (promptIds.length * 1000) / prefillMs : 0,
      decodeTokensPerSecond: n > 1 && decodeMs > 0 ? ((n - 1) * 1000) / decodeMs : 0,
    },
  };
}

async function step(model: CausalLM, sampler: Sampler, input: ArrayLike<number>, uniform: number): Promise<number> {
  if (model.forwardSample !== undefined) {
    const id = await model.forwardSample(input, sampler, uniform);
    if (!Number.isSafeInteger(id) || id < 0 || id >= model.vocabSize) {
      throw new InvalidTokenError(`the model's forwardSample returned ${String(id)}, not a token id in [0, ${model.vocabSize}).`);
    }
    return id;
  }
  return sampler.sample(await model.forward(input), uniform);
}

/** End of generation: release held text (a trailing U+FFFD, a partial stop string). */
function release(detok: IncrementalDetokenizer, stops: StopStringMatcher): string {
  const r = stops.push(detok.flush());
  return r.stop !== undefined ? r.text : r.text + stops.flush();
}

function checkPrompt(model: CausalLM, ids: readonly number[]): void {
  if (ids.length === 0) throw new InvalidOptionError('prompt', 'the prompt is empty; the model needs at least one token to continue from.');
  for (const id of ids) {
    if (!Number.isSafeInteger(id) || id < 0 || id >= model.vocabSize) {
      throw new InvalidTokenError(`prompt token ${String(id)} is not a token id in [0, ${model.vocabSize}).`);
    }
  }
  if (ids.length >= model.maxContext) {
    throw new PromptTooLongError(
      ids.length,
      model.maxContext,
      `the prompt has ${ids.length} tokens but the model's context holds ${model.maxContext}, leaving no room to generate. Shorten the prompt or the chat history.`,
    );
  }
}
