import { GenerationConfigError, InvalidOptionError } from './errors.js';
import { resolveSampling, type SamplingOptions } from './sampling-params.js';

/** Defaults a checkpoint ships for generation (generation_config.json, and config.json's EOS ids). */
export interface GenerationDefaults extends SamplingOptions {
  /** union of generation_config.json's and config.json's `eos_token_id` */
  eosTokenIds?: readonly number[];
  /** generation_config.json `max_new_tokens` */
  maxNewTokens?: number;
  /** generation_config.json `max_length`: prompt + new tokens */
  maxLength?: number;
}

/** generation_config.json key → option, for the keys this package applies. */
const SAMPLING_KEYS = {
  do_sample: 'doSample',
  temperature: 'temperature',
  top_k: 'topK',
  top_p: 'topP',
  min_p: 'minP',
  repetition_penalty: 'repetitionPenalty',
} as const satisfies Record<string, keyof SamplingOptions>;

/**
 * Reads the generation defaults of a checkpoint from the parsed `generation_config.json` (may be
 * undefined: not every checkpoint has one) and `config.json`. Keys that are absent or null are left
 * out; keys of the wrong type or range throw GenerationConfigError naming file and key. Keys that do
 * not change sampling or stopping (bos/pad ids, transformers_version, ...) are ignored.
 */
export function generationDefaults(generationConfig?: unknown, config?: unknown): GenerationDefaults {
  const gen = object(generationConfig, 'generation_config.json');
  const cfg = object(config, 'config.json');
  const out: { -readonly [K in keyof GenerationDefaults]: GenerationDefaults[K] } = {};
  for (const [key, option] of Object.entries(SAMPLING_KEYS)) {
    const v = gen[key];
    if (v === undefined || v === null) continue;
    const want = option === 'doSample' ? 'boolean' : 'number';
    if (typeof v !== want) throw new GenerationConfigError('generation_config.json', key, `generation_config.json: "${key}" must be a ${want}, got ${JSON.stringify(v)}.`);
    (out as Record<string, unknown>)[option] = v;
  }
  try {
    resolveSampling({}, out);
  } catch (e) {
    if (!(e instanceof InvalidOptionError)) throw e;
    const key = Object.entries(SAMPLING_KEYS).find(([, o]) => o === e.option)?.[0] ?? e.option;
    throw new GenerationConfigError('generation_config.json', key, `generation_config.json: "${key}": ${e.message}`);
  }
  for (const key of ['max_new_tokens', 'max_length'] as const) {
    const v = gen[key];
    if (v === undefined || v === null) continue;
    if (!Number.isSafeInteger(v) || (v as number) < 1) {
      throw new GenerationConfigError('generation_config.json', key, `generation_config.json: "${key}" must be a positive integer, got ${JSON.stringify(v)}.`);
    }
    out[key === 'max_new_tokens' ? 'maxNewTokens' : 'maxLength'] = v as number;
  }
  const eos = [...eosIds(gen.eos_token_id, 'generation_config.json'), ...eosIds(cfg.eos_token_id, 'config.json')];
  if (eos.length > 0) out.eosTokenIds = [...new Set(eos)];
  return out;
}

function object(v: unknown, file: string): Record<string, unknown> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new GenerationConfigError(file, '', `${file}: expected a JSON object, got ${Array.isArray(v) ? 'an array' : typeof v}.`);
  return v as Record<string, unknown>;
}

function eosIds(v: unknown, file: string): number[] {
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  for (const id of list) {
    if (!Number.isSafeInteger(id) || (id as number) < 0) {
      throw new GenerationConfigError(file, 'eos_token_id', `${file}: "eos_token_id" must be a token id or a list of them, got ${JSON.stringify(v)}.`);
    }
  }
  return list as number[];
}
