import type { ParseArgsConfig } from 'node:util';
import { resolveSampling, type GenerateOptions, type SamplingOptions } from '@qo/generate';
import { int, num, oneOf, type Parsed } from './args.js';
import { CliError, toCliError } from './errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Options of every command that loads a model. */
export const MODEL_OPTIONS = {
  model: { type: 'string', short: 'm' },
  dtype: { type: 'string' },
  device: { type: 'string' },
  context: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

/** Options of every command that generates. */
export const SAMPLING_OPTIONS = {
  'max-tokens': { type: 'string', short: 'n' },
  seed: { type: 'string' },
  temperature: { type: 'string' },
  'top-k': { type: 'string' },
  'top-p': { type: 'string' },
  'min-p': { type: 'string' },
  'repetition-penalty': { type: 'string' },
  greedy: { type: 'boolean' },
} as const satisfies Options;

export const MODEL_HELP = `model:
  -m, --model DIR            checkpoint directory: config.json, model.safetensors, tokenizer.json
                             (default: the embedded qo-fortune model, 3.8M parameters)
  --dtype bf16|q8_0|f32      weights in memory (default bf16, as stored; q8_0 is ~half the size)
  --device cpu|gpu           where to run (default cpu; gpu: WebGPU, dense Qwen3 models)
  --context N                most tokens per conversation, sizes the KV cache
                             (default: the model's max_position_embeddings, at most 4096)`;

export const SAMPLING_HELP = `sampling (defaults: the model's generation_config.json):
  -n, --max-tokens N         most tokens to generate
  --seed N                   same seed, same output (default: random, shown with --json)
  --temperature T            0 = greedy
  --top-k K                  keep the K most likely tokens (0 = off)
  --top-p P                  keep the most likely tokens up to probability P (1 = off)
  --min-p P                  drop tokens below P × the top token's probability (0 = off)
  --repetition-penalty R     > 1 discourages repeats (1 = off)
  --greedy                   always take the most likely token (no sampling)`;

export type Device = 'cpu' | 'gpu';
export type DType = 'bf16' | 'q8_0' | 'f32';

export interface ModelArgs {
  /** undefined: the embedded model */
  model: string | undefined;
  dtype: DType;
  device: Device;
  context: number | undefined;
}

export function modelArgs(v: Parsed['values']): ModelArgs {
  const device = oneOf('device', v.device, ['cpu', 'gpu'] as const) ?? 'cpu';
  if (v.model === '') throw new CliError('--model is empty', 'pass a checkpoint directory, or leave out --model for the embedded model');
  return {
    model: v.model as string | undefined,
    dtype: oneOf('dtype', v.dtype, ['bf16', 'q8_0', 'f32'] as const) ?? 'bf16',
    device,
    context: int('context', v.context, 2),
  };
}

/** Sampling and length flags as @qo/generate options, checked now (before the model loads). */
export function samplingArgs(v: Parsed['values']): GenerateOptions {
  const sampling: SamplingOptions = {};
  const set = <K extends keyof SamplingOptions>(k: K, x: SamplingOptions[K] | undefined): void => {
    if (x !== undefined) sampling[k] = x;
  };
  set('temperature', num('temperature', v.temperature));
  set('topK', int('top-k', v['top-k'], 0));
  set('topP', num('top-p', v['top-p']));
  set('minP', num('min-p', v['min-p']));
  set('repetitionPenalty', num('repetition-penalty', v['repetition-penalty']));
  if (v.greedy === true) {
    const clash = ['temperature', 'top-k', 'top-p', 'min-p'].find((f) => v[f] !== undefined);
    if (clash) throw new CliError(`--greedy and --${clash} contradict each other`, '--greedy takes the most likely token; leave out one of them');
    sampling.doSample = false;
  }
  try {
    resolveSampling(sampling); // range checks, reported with the flag's name
  } catch (e) {
    throw toCliError(e);
  }
  const out: GenerateOptions = { ...sampling };
  const maxNewTokens = int('max-tokens', v['max-tokens'], 1);
  if (maxNewTokens !== undefined) out.maxNewTokens = maxNewTokens;
  const seed = int('seed', v.seed, 0);
  if (seed !== undefined) out.seed = seed;
  return out;
}
