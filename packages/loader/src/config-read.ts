import { ConfigError, MissingConfigKeyError, UnsupportedConfigError } from './errors.js';
import { isPlainObject } from './strict-json.js';

/** `required`: absent (or null) is an error. Otherwise the value to use when the key is absent. */
export type Fallback<T> = { required: true } | { default: T };
export const REQUIRED = { required: true } as const;
export const dflt = <T>(value: T): Fallback<T> => ({ default: value });

/**
 * Typed, path-aware access to one JSON object of a config file. Every error names the file and the
 * dotted key (`thinker_config.text_config.hidden_size`). A key may have aliases (HF attribute_map
 * names such as `num_local_experts` for `num_experts`): all present spellings must agree.
 */
export class ConfigReader {
  readonly file: string;
  readonly prefix: string;
  readonly obj: Readonly<Record<string, unknown>>;

  constructor(file: string, obj: Readonly<Record<string, unknown>>, prefix = '') {
    this.file = file;
    this.obj = obj;
    this.prefix = prefix;
  }

  path(key: string): string {
    return this.prefix === '' ? key : `${this.prefix}.${key}`;
  }

  has(key: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.obj, key) && this.obj[key] !== undefined;
  }

  /** Raw value of the first present spelling (null counts as present); undefined if none. */
  raw(keys: string | readonly string[]): unknown {
    const names = typeof keys === 'string' ? [keys] : keys;
    let found: { key: string; value: unknown } | undefined;
    for (const k of names) {
      if (!this.has(k)) continue;
      const v = this.obj[k];
      if (found === undefined) found = { key: k, value: v };
      else if (JSON.stringify(found.value) !== JSON.stringify(v)) {
        throw this.error(k, `"${this.path(found.key)}" (${JSON.stringify(found.value)}) and its alias "${this.path(k)}" (${JSON.stringify(v)}) disagree; keep one of them`);
      }
    }
    return found?.value;
  }

  error(key: string, what: string): ConfigError {
    return new ConfigError(this.file, this.path(key), `${this.file}: ${what}.`);
  }

  missing(key: string, why = ''): MissingConfigKeyError {
    return new MissingConfigKeyError(this.file, this.path(key), `${this.file}: required key "${this.path(key)}" is missing${why}. Add it to the config (see the model's config on the Hugging Face Hub).`);
  }

  refuse(key: string, what: string): UnsupportedConfigError {
    return new UnsupportedConfigError(this.file, this.path(key), `${this.file}: "${this.path(key)}": ${what} is not supported by qo yet. Use a checkpoint without it, or implement it (and prove it against transformers) first.`);
  }

  #get<T>(keys: string | readonly string[], fb: Fallback<T>, check: (v: unknown) => boolean, type: string): T {
    const key = typeof keys === 'string' ? keys : keys[0];
    const v = this.raw(keys);
    if (v === undefined || v === null) {
      if ('required' in fb) throw this.missing(key);
      return fb.default;
    }
    if (!check(v)) throw this.error(key, `"${this.path(key)}" must be ${type}, found ${JSON.stringify(v)}`);
    return v as T;
  }

  int(keys: string | readonly string[], fb: Fallback<number>, min = 0): number {
    return this.#get(keys, fb, (v) => Number.isSafeInteger(v) && (v as number) >= min, min === 0 ? 'a non-negative integer' : `an integer >= ${min}`);
  }

  num(keys: string | readonly string[], fb: Fallback<number>): number {
    return this.#get(keys, fb, (v) => typeof v === 'number' && Number.isFinite(v), 'a finite number');
  }

  positive(keys: string | readonly string[], fb: Fallback<number>): number {
    return this.#get(keys, fb, (v) => typeof v === 'number' && Number.isFinite(v) && v > 0, 'a positive number');
  }

  bool(keys: string | readonly string[], fb: Fallback<boolean>): boolean {
    return this.#get(keys, fb, (v) => typeof v === 'boolean', 'true or false');
  }

  str(keys: string | readonly string[], fb: Fallback<string>): string {
    return this.#get(keys, fb, (v) => typeof v === 'string', 'a string');
  }

  ints(keys: string | readonly string[], fb: Fallback<readonly number[]>): number[] {
    return [...this.#get(keys, fb, (v) => Array.isArray(v) && v.every((x) => Number.isSafeInteger(x) && x >= 0), 'an array of non-negative integers')];
  }

  /** A token id or list of ids (`eos_token_id` may be either); undefined when absent or null. */
  tokenIds(key: string): number | number[] | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return undefined;
    if (Number.isSafeInteger(v) && (v as number) >= 0) return v as number;
    if (Array.isArray(v) && v.every((x) => Number.isSafeInteger(x) && x >= 0)) return [...v] as number[];
    throw this.error(key, `"${this.path(key)}" must be a token id or a list of token ids, found ${JSON.stringify(v)}`);
  }

  optionalInt(key: string): number | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return undefined;
    return this.int(key, REQUIRED);
  }

  /** Nested object (sub-config). Absent or null: `required` throws, otherwise an empty reader. */
  child(key: string, required: boolean): ConfigReader {
    const v = this.raw(key);
    if (v === undefined || v === null) {
      if (required) throw this.missing(key);
      return new ConfigReader(this.file, {}, this.path(key));
    }
    if (!isPlainObject(v)) throw this.error(key, `"${this.path(key)}" must be an object, found ${JSON.stringify(v)}`);
    return new ConfigReader(this.file, v, this.path(key));
  }
}
