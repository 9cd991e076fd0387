import {
  HubAuthError,
  HubConnectionError,
  HubError,
  HubHttpError,
  HubNotFoundError,
  HubProtocolError,
  type HubErrorSite,
} from './errors.js';

/** How requests are made: one per Hub call, shared by every file of a download. */
export interface HttpSettings {
  fetch: typeof globalThis.fetch;
  /** e.g. https://huggingface.co (no trailing slash) */
  endpoint: string;
  /** sent as `Authorization: Bearer` to the endpoint's origin only */
  token: string | undefined;
  /** a request fails when no headers or body bytes arrive for this long */
  timeoutMs: number;
  /** retries of one request (or, for a download, in a row without new bytes) */
  retries: number;
  /** first backoff; doubles per retry, capped at 16x */
  retryDelayMs: number;
  signal: AbortSignal | undefined;
}

const MAX_REDIRECTS = 10;

/** `{endpoint}/{repo}/resolve/{revision}/{file}`, quoted as huggingface_hub's hf_hub_url does. */
export function resolveUrl(endpoint: string, repoId: string, revision: string, file: string): string {
  return `${endpoint}/${repoId}/resolve/${encodeURIComponent(revision)}/${file.split('/').map(encodeURIComponent).join('/')}`;
}

/** A retryable failure (network error, timeout, 429, 5xx); `error` is thrown once retries run out. */
export class Transient extends Error {
  constructor(
    readonly error: HubError,
    readonly retryAfterMs?: number,
  ) {
    super(error.message);
  }
}

/** One response, its inactivity timer and the signal that aborts its body. */
export interface Exchange {
  response: Response;
  url: string;
  /** Restarts the inactivity timer; call on every body chunk. */
  touch(): void;
  /** Stops the timer and cancels an unread body. */
  end(): Promise<void>;
}

/** One request, no redirects followed. Network failures and timeouts come back as Transient. */
async function exchange(http: HttpSettings, method: 'HEAD' | 'GET', url: string, extra: Record<string, string>, site: HubErrorSite): Promise<Exchange> {
  const user = http.signal;
  user?.throwIfAborted();
  const ctl = new AbortController();
  let timedOut = false;
  const onUserAbort = (): void => ctl.abort(user?.reason);
  user?.addEventListener('abort', onUserAbort, { once: true });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const touch = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      ctl.abort(new Error(`no data for ${http.timeoutMs} ms`));
    }, http.timeoutMs);
  };
  const stop = (): void => {
    clearTimeout(timer);
    user?.removeEventListener('abort', onUserAbort);
  };
  const headers: Record<string, string> = { 'Accept-Encoding': 'identity', ...extra };
  if (http.token !== undefined && new URL(url).origin === new URL(http.endpoint).origin) headers.Authorization = `Bearer ${http.token}`;
  touch();
  let response: Response;
  try {
    response = await http.fetch(url, { method, headers, redirect: 'manual', signal: ctl.signal });
  } catch (cause) {
    stop();
    throw networkFailure(http, cause, timedOut, { ...site, url }, `${method} ${url}`);
  }
  return {
    response,
    url,
    touch,
    end: async () => {
      stop();
      await response.body?.cancel().catch(() => undefined);
    },
  };
}

/** Maps an exception from fetch or a body read: the caller's abort as is, anything else Transient. */
export function networkFailure(http: HttpSettings, cause: unknown, timedOut: boolean, site: HubErrorSite, what: string): unknown {
  if (http.signal?.aborted) return http.signal.reason;
  const detail = timedOut ? `no response for ${http.timeoutMs} ms` : describeCause(cause);
  return new Transient(
    new HubConnectionError(site, `${what}: ${detail} (gave up after ${http.retries} retries). Check the network or HF_ENDPOINT (${http.endpoint}); with the model already cached, set HF_HUB_OFFLINE=1 to use the cache.`, { cause }),
  );
}

function describeCause(e: unknown): string {
  const c = (e as { cause?: { code?: string; message?: string } }).cause;
  const msg = e instanceof Error ? e.message : String(e);
  return c?.code !== undefined ? `${msg} (${c.code})` : c?.message !== undefined ? `${msg} (${c.message})` : msg;
}

/**
 * Sends a request and follows redirects by hand, so the token goes only to the endpoint's origin.
 * With `sameOriginOnly`, stops at the first redirect that leaves the endpoint's origin (a CDN) and
 * returns that 3xx; `chain` holds the headers of every response, first to last.
 */
export async function follow(
  http: HttpSettings,
  method: 'HEAD' | 'GET',
  url: string,
  headers: Record<string, string>,
  site: HubErrorSite,
  sameOriginOnly: boolean,
): Promise<{ ex: Exchange; chain: Headers[] }> {
  const chain: Headers[] = [];
  const origin = new URL(http.endpoint).origin;
  let current = url;
  for (let hops = 0; ; hops++) {
    const ex = await exchange(http, method, current, headers, site);
    const r = ex.response;
    chain.push(r.headers);
    const location = r.headers.get('location');
    if (r.status < 300 || r.status > 399 || location === null) return { ex, chain };
    const next = new URL(location, current).toString();
    if (sameOriginOnly && new URL(next).origin !== origin) return { ex, chain };
    await ex.end();
    if (hops >= MAX_REDIRECTS) throw new HubProtocolError({ ...site, url }, `${url}: more than ${MAX_REDIRECTS} redirects (last to ${next}). Check HF_ENDPOINT (${http.endpoint}).`);
    current = next;
  }
}

/** Throws the typed error for a failed status; 429 and 5xx come back as Transient. */
export async function failStatus(http: HttpSettings, ex: Exchange, site: HubErrorSite, what: string): Promise<never> {
  const r = ex.response;
  const code = r.headers.get('x-error-code') ?? undefined;
  const serverSays = r.headers.get('x-error-message');
  await ex.end();
  const s: HubErrorSite = { ...site, url: ex.url };
  const said = serverSays !== null ? ` The server says: ${serverSays}` : '';
  if (r.status === 401 || r.status === 403) throw new HubAuthError(s, r.status, authMessage(http, site, r.status, code, what) + said);
  if (r.status === 404) {
    const repo = site.repoId ?? '(unknown repo)';
    if (code === 'RepoNotFound') throw new HubNotFoundError(s, 'repo', `${what}: repository ${repo} not found on ${http.endpoint} (404). Check the id (org/name) for typos.${said}`);
    if (code === 'RevisionNotFound') throw new HubNotFoundError(s, 'revision', `${what}: ${repo} has no revision by that name (404). Check the branch, tag or commit after @.${said}`);
    const which = code === 'EntryNotFound' ? 'file' : 'repo or file';
    throw new HubNotFoundError(s, which, `${what}: ${which === 'file' ? `${repo} has no file ${site.file ?? ''}` : `not found: the repository ${repo} or its file ${site.file ?? ''}`} (404). Check the id and revision; a checkpoint needs config.json, tokenizer files and safetensors weights.${said}`);
  }
  const error = new HubHttpError(s, r.status, `${what}: HTTP ${r.status} ${r.statusText}. The Hub may be down or rate-limiting; try again later.${said}`);
  if (r.status === 429 || r.status >= 500) throw new Transient(error, retryAfterMs(r.headers.get('retry-after')));
  throw error;
}

function authMessage(http: HttpSettings, site: HubErrorSite, status: number, code: string | undefined, what: string): string {
  const repo = site.repoId ?? '';
  const sent = http.token !== undefined;
  if (code === 'GatedRepo') {
    return `${what}: ${repo} is a gated model (${status}). Accept its conditions at ${http.endpoint}/${repo} while logged in, then set HF_TOKEN to a token of that account${sent ? ' (the token sent has no access yet)' : ''}.`;
  }
  if (code === 'RepoNotFound') {
    return `${what}: repository ${repo} not found, or private and ${sent ? 'the token sent cannot see it' : 'no token was sent'} (${status}). Check the id; for a private or gated model set HF_TOKEN (or pass token).`;
  }
  return sent
    ? `${what}: the token was refused (${status}). Check that HF_TOKEN is a valid token with read access to ${repo}.`
    : `${what}: authentication required (${status}): ${repo} is private or gated. Set HF_TOKEN (or pass token) to a token with read access.`;
}

function retryAfterMs(v: string | null): number | undefined {
  if (v === null || !/^\d+$/.test(v.trim())) return undefined;
  return Number(v.trim()) * 1000;
}

/**
 * Runs `attempt` until it succeeds, retrying Transient failures with exponential backoff. The
 * count of failures restarts whenever `progressed()` says the last attempt moved forward.
 */
export async function withRetries<T>(http: HttpSettings, attempt: () => Promise<T>, progressed: () => boolean = () => false): Promise<T> {
  let failures = 0;
  for (;;) {
    try {
      return await attempt();
    } catch (e) {
      if (!(e instanceof Transient)) throw e;
      if (progressed()) failures = 0;
      failures++;
      if (failures > http.retries) throw e.error;
      const backoff = Math.min(http.retryDelayMs * 2 ** (failures - 1), http.retryDelayMs * 16);
      await sleep(Math.min(e.retryAfterMs ?? backoff, Math.max(backoff, 30_000)), http.signal);
    }
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted();
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
