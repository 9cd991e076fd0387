import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HubDownloadOptions } from '../../src/index.js';
import { FIXTURES_DIR } from '../helpers.js';
import { FakeHub, commitSha, filesFromDir, type FakeHubOptions, type FakeRepo } from './fake-hub.js';

/** qo's embedded model: single model.safetensors, tokenizer, chat_template.jinja, generation_config.json */
export const FORTUNE_DIR = join(FIXTURES_DIR, 'qo-fortune', 'model');
/** a tiny Qwen3 saved by transformers in 9 shards (no tokenizer) */
export const GQA_DIR = join(FIXTURES_DIR, 'qwen3-gqa', 'model');

export const C1 = commitSha('one');
export const C2 = commitSha('two');

export async function fortuneRepo(): Promise<FakeRepo> {
  return { commits: { [C1]: await filesFromDir(FORTUNE_DIR) }, refs: { main: C1 } };
}

/** The sharded fixture plus the fortune tokenizer files (no chat_template.jinja, no model.safetensors). */
export async function shardedRepo(): Promise<FakeRepo> {
  const tok = await filesFromDir(FORTUNE_DIR);
  const files = { ...(await filesFromDir(GQA_DIR)), 'tokenizer.json': { ...tok['tokenizer.json'], lfs: true }, 'tokenizer_config.json': tok['tokenizer_config.json'] };
  return { commits: { [C1]: files }, refs: { main: C1 } };
}

export interface HubFixture {
  hub: FakeHub;
  cache: string;
  /** options that reach only the fake Hub: no process env, fast retries, short timeouts */
  opts(extra?: HubDownloadOptions): HubDownloadOptions;
}

/** Starts a fake Hub and a fresh cache directory; both are removed after `fn`. */
export async function withHub<T>(repos: Record<string, FakeRepo>, options: FakeHubOptions, fn: (f: HubFixture) => Promise<T>): Promise<T> {
  const hub = await FakeHub.start(repos, options);
  const cache = await mkdtemp(join(tmpdir(), 'qo-hub-'));
  try {
    return await fn({
      hub,
      cache,
      opts: (extra = {}) => ({ endpoint: hub.hubUrl, cacheDir: cache, env: NO_TOKEN_FILE, retries: 3, retryDelayMs: 1, timeoutMs: 5000, ...extra }),
    });
  } finally {
    await hub.close();
    await rm(cache, { recursive: true, force: true });
  }
}

/** An environment with no variables and a token file that does not exist, so no real token is ever read. */
export const NO_TOKEN_FILE = { HF_TOKEN_PATH: '/nonexistent/qo-test/token' };

/** A fetch that fails the test if anything calls it. */
export const noNetwork: typeof fetch = (input) => {
  throw new Error(`unexpected network request: ${String(input)}`);
};

/** Byte equality without vitest's element-by-element diffing (slow on megabytes). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}
