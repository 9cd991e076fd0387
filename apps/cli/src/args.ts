import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliError } from './errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/**
 * node:util parseArgs, strict, with its errors turned into one-line CliErrors that name the
 * command and point at its --help.
 */
export function parse(command: string, argv: string[], options: Options, allowPositionals: boolean): Parsed {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, strict: true, allowPositionals });
    return { values: values as Parsed['values'], positionals };
  } catch (err) {
    throw argError(command, options, err);
  }
}

function argError(command: string, options: Options, err: unknown): unknown {
  const code = (err as { code?: string }).code;
  if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS')) return err;
  const message = (err as Error).message;
  const help = `qo ${command} --help lists the options`;
  const quoted = /'([^']+)'/.exec(message)?.[1] ?? '';
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const near = nearest(quoted.replace(/^-+/, ''), Object.keys(options));
      return new CliError(`unknown option '${quoted}' for qo ${command}`, near ? `did you mean --${near}? ${help}` : help);
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return new CliError(`qo ${command} takes no arguments besides options, got '${quoted}'`, help);
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const flag = /(--[\w-]+)/.exec(message)?.[1] ?? quoted;
      return /ambiguous/.test(message)
        ? new CliError(`${flag} needs a value`, `write a value that starts with '-' as ${flag}=VALUE`)
        : new CliError(`${flag} needs a value`, help);
    }
    default:
      return new CliError(message, help);
  }
}

/** The option name closest to `name` (edit distance ≤ 2), for "did you mean". */
function nearest(name: string, names: string[]): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const n of names) {
    const d = distance(name, n);
    if (d < bestD) [best, bestD] = [n, d];
  }
  return best;
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** An integer flag value within [min, max]. */
export function int(flag: string, text: string | boolean | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (text === undefined || typeof text === 'boolean') return undefined;
  const n = /^[+-]?\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer in [${min}, ${max}]`;
    throw new CliError(`--${flag} must be ${range}, got '${text}'`, `e.g. --${flag} ${Math.max(min, 1)}`);
  }
  return n;
}

/** A finite decimal number flag value (range checks are the sampler's, with the flag's name). */
export function num(flag: string, text: string | boolean | undefined): number | undefined {
  if (text === undefined || typeof text === 'boolean') return undefined;
  const n = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text.trim()) ? Number(text) : Number.NaN;
  if (!Number.isFinite(n)) throw new CliError(`--${flag} must be a number, got '${text}'`, `e.g. --${flag} 0.7`);
  return n;
}

/** One of a fixed set of words. */
export function oneOf<T extends string>(flag: string, text: string | boolean | undefined, allowed: readonly T[]): T | undefined {
  if (text === undefined || typeof text === 'boolean') return undefined;
  if ((allowed as readonly string[]).includes(text)) return text as T;
  throw new CliError(`--${flag} must be one of ${allowed.join(', ')}, got '${text}'`, `e.g. --${flag} ${allowed[0]}`);
}
