import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigReader } from './config-read.js';
import { readOmniConfig, type Qwen3OmniMoeConfig } from './config-omni.js';
import { readTextConfig, type Qwen3MoeTextConfig, type Qwen3TextConfig, type TextConfig } from './config-text.js';
import { ConfigError } from './errors.js';
import { isPlainObject, parseStrictJson } from './strict-json.js';

export type Qwen3Config = Qwen3TextConfig;
export type Qwen3MoeConfig = Qwen3MoeTextConfig & { model_type: 'qwen3_moe' };
export type ModelConfig = Qwen3Config | Qwen3MoeConfig | Qwen3OmniMoeConfig;

export const SUPPORTED_MODEL_TYPES = ['qwen3', 'qwen3_moe', 'qwen3_omni_moe'] as const;

/**
 * Validates a parsed config.json. `file` only labels error messages. Strict where it matters:
 * size keys are required, unimplemented features are refused by name (UnsupportedConfigError),
 * defaults are transformers' own.
 */
export function parseConfig(json: unknown, file = 'config.json'): ModelConfig {
  if (!isPlainObject(json)) throw new ConfigError(file, undefined, `${file}: expected a JSON object at the top level.`);
  const r = new ConfigReader(file, json);
  const type = r.raw('model_type');
  if (type === undefined || type === null) throw r.missing('model_type');
  switch (type) {
    case 'qwen3':
      return readTextConfig(r, 'qwen3') as Qwen3Config;
    case 'qwen3_moe':
      return readTextConfig(r, 'qwen3_moe') as Qwen3MoeConfig;
    case 'qwen3_omni_moe':
      return readOmniConfig(r);
    default:
      throw r.refuse('model_type', `model type ${JSON.stringify(type)} (supported: ${SUPPORTED_MODEL_TYPES.join(', ')})`);
  }
}

/** The decoder that produces text: the config itself, or the Qwen3-Omni thinker's text_config. */
export function textConfigOf(config: ModelConfig): TextConfig {
  return config.model_type === 'qwen3_omni_moe' ? config.thinker_config.text_config : config;
}

export interface LoadedConfig {
  config: ModelConfig;
  /** generation_config.json as written (raw), or undefined when the directory has none */
  generation: Readonly<Record<string, unknown>> | undefined;
  /** config.json as written */
  raw: Readonly<Record<string, unknown>>;
}

/** Reads `dir/config.json` (required) and `dir/generation_config.json` (optional). */
export async function loadConfig(dir: string): Promise<LoadedConfig> {
  const file = join(dir, 'config.json');
  const raw = await readJsonObject(file, true);
  const config = parseConfig(raw, file);
  const generation = await readJsonObject(join(dir, 'generation_config.json'), false);
  return { config, generation, raw: raw as Record<string, unknown> };
}

async function readJsonObject(file: string, required: true): Promise<Record<string, unknown>>;
async function readJsonObject(file: string, required: false): Promise<Record<string, unknown> | undefined>;
async function readJsonObject(file: string, required: boolean): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    if (!required && (cause as { code?: string }).code === 'ENOENT') return undefined;
    throw new ConfigError(file, undefined, `${file}: cannot read (${(cause as { code?: string }).code ?? String(cause)}). Pass the checkpoint directory that holds config.json.`, { cause });
  }
  const value = parseStrictJson(text, (problem, where) => {
    throw new ConfigError(file, undefined, `${file}: invalid JSON at ${where}: ${problem}. Fix or re-download the file.`);
  });
  if (!isPlainObject(value)) throw new ConfigError(file, undefined, `${file}: expected a JSON object at the top level.`);
  return value;
}
