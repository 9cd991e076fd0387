import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { HubSettingsError } from './errors.js';

export const DEFAULT_ENDPOINT = 'https://huggingface.co';

/** The environment variables huggingface_hub reads, and the options that override them. */
export interface HubSettingsOptions {
  /** Hub URL; default `$HF_ENDPOINT`, else https://huggingface.co */
  endpoint?: string;
  /** cache root (the `hub` folder); default `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else ~/.cache/huggingface/hub */
  cacheDir?: string;
  /** access token; default `$HF_TOKEN`, else the token file `hf auth login` writes (`$HF_TOKEN_PATH`, `$HF_HOME/token`); `false` sends none; never read offline */
  token?: string | false;
  /** no network at all, only the cache; default `$HF_HUB_OFFLINE` (1/true/yes/on) */
  offline?: boolean;
  /** where the variables above are read; default `process.env` */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface HubSettings {
  endpoint: string;
  cacheDir: string;
  token: string | undefined;
  offline: boolean;
}

/** Resolves settings as huggingface_hub's constants.py does (same variables, same precedence). */
export async function hubSettings(options: HubSettingsOptions = {}): Promise<HubSettings> {
  const env = options.env ?? process.env;
  const set = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v;
  };
  const hfHome = expandHome(set('HF_HOME') ?? join(set('XDG_CACHE_HOME') ?? join(homedir(), '.cache'), 'huggingface'));
  const cacheDir = expandHome(options.cacheDir ?? set('HF_HUB_CACHE') ?? set('HUGGINGFACE_HUB_CACHE') ?? join(hfHome, 'hub'));

  const rawEndpoint = options.endpoint ?? set('HF_ENDPOINT') ?? DEFAULT_ENDPOINT;
  const endpoint = rawEndpoint.trim().replace(/\/+$/, '');
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.search !== '' || url.hash !== '') {
    throw new HubSettingsError({ url: rawEndpoint }, `Hub endpoint ${JSON.stringify(rawEndpoint)} (HF_ENDPOINT or the endpoint option) is not an http(s) URL like ${DEFAULT_ENDPOINT}.`);
  }

  const offline = options.offline ?? isTrue(set('HF_HUB_OFFLINE'));
  let token: string | undefined;
  if (options.token === false || offline) token = undefined;
  else if (options.token !== undefined) token = options.token.trim() || undefined;
  else token = (set('HF_TOKEN') ?? set('HUGGING_FACE_HUB_TOKEN'))?.trim() ?? (await readTokenFile(expandHome(set('HF_TOKEN_PATH') ?? join(hfHome, 'token'))));
  return { endpoint, cacheDir, token, offline };
}

/** huggingface_hub's _is_true: 1, ON, YES, TRUE (any case). */
export function isTrue(v: string | undefined): boolean {
  return v !== undefined && ['1', 'ON', 'YES', 'TRUE'].includes(v.trim().toUpperCase());
}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? join(homedir(), p.slice(1)) : p;
}

async function readTokenFile(path: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    const code = (cause as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new HubSettingsError({}, `cannot read the Hub token file ${path} (${code ?? String(cause)}). Fix its permissions, or set HF_TOKEN.`, { cause });
  }
  return text.trim() || undefined;
}
