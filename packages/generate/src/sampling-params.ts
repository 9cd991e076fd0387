import { InvalidOptionError } from './errors.js';

/**
 * How to choose each token. Names follow transformers' GenerationConfig (`do_sample`, `top_k`, ...)
 * in camelCase; presence/frequency penalties and the penalty window follow llama.cpp / OpenAI.
 */
export interface SamplingOptions {
  /** false: greedy (argmax after penalties). Default: true when any of temperature/topK/topP/minP is set here, else generation_config's do_sample, else false (as transformers). */
  doSample?: boolean;
  /** Divides the logits. 0 means greedy. Default 1. */
  temperature?: number;
  /** Keep the k highest logits (all tokens tied with the k-th are kept). 0 = off. Default 0. */
  topK?: number;
  /** Keep the highest tokens until their probability reaches topP. 1 = off. Default 1. */
  topP?: number;
  /** Drop tokens whose probability is below minP × the top token's. 0 = off. Default 0. */
  minP?: number;
  /** transformers' repetition_penalty: a seen token's logit l becomes l / p if l > 0, l · p otherwise. 1 = off. */
  repetitionPenalty?: number;
  /** Subtracted once from the logit of every token seen in the penalty window. 0 = off. */
  presencePenalty?: number;
  /** Subtracted from a token's logit once per occurrence in the penalty window. 0 = off. */
  frequencyPenalty?: number;
  /** The penalties look at the last `penaltyWindow` tokens of prompt + generated ids. Default: all of them (transformers). */
  penaltyWindow?: number;
}

/** Fully resolved sampling parameters: what the sampler (CPU or a model's fast path) applies. */
export interface SamplingParams {
  readonly doSample: boolean;
  readonly temperature: number;
  readonly topK: number;
  readonly topP: number;
  readonly minP: number;
  readonly repetitionPenalty: number;
  readonly presencePenalty: number;
  readonly frequencyPenalty: number;
  /** Infinity: the whole context. */
  readonly penaltyWindow: number;
}

const BUILTIN: SamplingParams = Object.freeze({
  doSample: false,
  temperature: 1,
  topK: 0,
  topP: 1,
  minP: 0,
  repetitionPenalty: 1,
  presencePenalty: 0,
  frequencyPenalty: 0,
  penaltyWindow: Number.POSITIVE_INFINITY,
});

/** Largest finite penalty window (its ring buffer is allocated up front). */
export const MAX_PENALTY_WINDOW = 1 << 20;

const SAMPLING_KEYS = ['temperature', 'topK', 'topP', 'minP'] as const;

/**
 * Merges `options` over `defaults` (typically from generation_config.json) over built-in defaults and
 * validates the result. Throws InvalidOptionError naming the option that is out of range.
 */
export function resolveSampling(options: SamplingOptions = {}, defaults: SamplingOptions = {}): SamplingParams {
  const pick = <K extends keyof SamplingOptions>(k: K): NonNullable<SamplingOptions[K]> | undefined => options[k] ?? defaults[k] ?? undefined;
  const explicitSampling = SAMPLING_KEYS.some((k) => options[k] !== undefined);
  const doSample = options.doSample ?? (explicitSampling ? true : (defaults.doSample ?? BUILTIN.doSample));
  const p: SamplingParams = {
    doSample,
    temperature: pick('temperature') ?? BUILTIN.temperature,
    topK: pick('topK') ?? BUILTIN.topK,
    topP: pick('topP') ?? BUILTIN.topP,
    minP: pick('minP') ?? BUILTIN.minP,
    repetitionPenalty: pick('repetitionPenalty') ?? BUILTIN.repetitionPenalty,
    presencePenalty: pick('presencePenalty') ?? BUILTIN.presencePenalty,
    frequencyPenalty: pick('frequencyPenalty') ?? BUILTIN.frequencyPenalty,
    penaltyWindow: pick('penaltyWindow') ?? BUILTIN.penaltyWindow,
  };
  validate(p);
  return Object.freeze(p);
}

function validate(p: SamplingParams): void {
  if (typeof p.doSample !== 'boolean') fail('doSample', `doSample must be a boolean, got ${String(p.doSample)}.`);
  check('temperature', p.temperature, Number.isFinite(p.temperature) && p.temperature >= 0, 'a finite number ≥ 0 (0 = greedy)');
  check('topK', p.topK, Number.isSafeInteger(p.topK) && p.topK >= 0, 'an integer ≥ 0 (0 = off)');
  check('topP', p.topP, p.topP > 0 && p.topP <= 1, 'a number in (0, 1] (1 = off)');
  check('minP', p.minP, p.minP >= 0 && p.minP <= 1, 'a number in [0, 1] (0 = off)');
  check('repetitionPenalty', p.repetitionPenalty, Number.isFinite(p.repetitionPenalty) && p.repetitionPenalty > 0, 'a finite number > 0 (1 = off)');
  check('presencePenalty', p.presencePenalty, Number.isFinite(p.presencePenalty), 'a finite number (0 = off)');
  check('frequencyPenalty', p.frequencyPenalty, Number.isFinite(p.frequencyPenalty), 'a finite number (0 = off)');
  const w = p.penaltyWindow;
  check('penaltyWindow', w, w === Number.POSITIVE_INFINITY || (Number.isSafeInteger(w) && w >= 1 && w <= MAX_PENALTY_WINDOW), `an integer in [1, ${MAX_PENALTY_WINDOW}] (leave it out for the whole context)`);
}

function check(option: string, value: unknown, ok: boolean, want: string): void {
  if (typeof value !== 'number' || !ok) fail(option, `${option} must be ${want}, got ${String(value)}.`);
}

function fail(option: string, message: string): never {
  throw new InvalidOptionError(option, message);
}

/** True when the sampler picks the argmax (do_sample off, or temperature 0). */
export function isGreedy(p: SamplingParams): boolean {
  return !p.doSample || p.temperature === 0;
}

/** True when any of the three penalties changes logits. */
export function hasPenalties(p: SamplingParams): boolean {
  return p.repetitionPenalty !== 1 || p.presencePenalty !== 0 || p.frequencyPenalty !== 0;
}
