import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hubSettings, HubSettingsError, isCommitHash, parseHubId, repoFolderName, resolveModel, ModelSpecError } from '../src/index.js';
import { Checksum } from '../src/hub/checksum.js';
import { normalizeEtag } from '../src/hub/metadata.js';
import { C1, FORTUNE_DIR, fortuneRepo, noNetwork, withHub } from './hub/setup.js';

describe('Hub ids', () => {
  it('parses org/name[@revision] and refuses the rest', () => {
    expect(parseHubId('Qwen/Qwen3-0.6B')).toEqual({ repoId: 'Qwen/Qwen3-0.6B', revision: undefined });
    expect(parseHubId('Qwen/Qwen3-0.6B@main')).toEqual({ repoId: 'Qwen/Qwen3-0.6B', revision: 'main' });
    expect(parseHubId('Qwen/Qwen3-0.6B@refs/pr/1')).toEqual({ repoId: 'Qwen/Qwen3-0.6B', revision: 'refs/pr/1' });
    expect(parseHubId(`a_b/c.d-e@${C1}`)).toEqual({ repoId: 'a_b/c.d-e', revision: C1 });
    for (const bad of ['Qwen3-0.6B', './Qwen/Qwen3', '/abs/path', 'a/b/c', 'a--b/c', 'a/b..c', 'a/-b', 'a/b.', 'a/b.git', 'a/b@', 'a/b@x/../y', 'a/b@ x', `a/${'x'.repeat(97)}`]) {
      expect(parseHubId(bad), bad).toBeUndefined();
    }
    expect(isCommitHash(C1)).toBe(true);
    expect(isCommitHash('main')).toBe(false);
    expect(repoFolderName('Qwen/Qwen3-0.6B')).toBe('models--Qwen--Qwen3-0.6B');
  });

  it('normalises ETags as huggingface_hub does', () => {
    expect(normalizeEtag('"abc"')).toBe('abc');
    expect(normalizeEtag('W/"abc"')).toBe('abc');
    expect(normalizeEtag('abc')).toBe('abc');
  });
});

describe('hubSettings', () => {
  it('finds the cache as huggingface_hub does: HF_HUB_CACHE, HUGGINGFACE_HUB_CACHE, HF_HOME/hub, XDG_CACHE_HOME, ~/.cache', async () => {
    const at = async (env: Record<string, string>): Promise<string> => (await hubSettings({ env: { HF_TOKEN_PATH: '/nonexistent/token', ...env } })).cacheDir;
    expect(await at({ HF_HUB_CACHE: '/a', HUGGINGFACE_HUB_CACHE: '/b', HF_HOME: '/c' })).toBe('/a');
    expect(await at({ HUGGINGFACE_HUB_CACHE: '/b', HF_HOME: '/c' })).toBe('/b');
    expect(await at({ HF_HOME: '/c', XDG_CACHE_HOME: '/x' })).toBe('/c/hub');
    expect(await at({ XDG_CACHE_HOME: '/x' })).toBe('/x/huggingface/hub');
    expect(await at({})).toBe(join(homedir(), '.cache', 'huggingface', 'hub'));
    expect(await at({ HF_HUB_CACHE: '~/hf' })).toBe(join(homedir(), 'hf'));
    expect((await hubSettings({ env: { HF_HUB_CACHE: '/a' }, cacheDir: '/opt' })).cacheDir).toBe('/opt');
  });

  it('reads HF_ENDPOINT, HF_HUB_OFFLINE and the token (option, HF_TOKEN, then the token file)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'qo-hf-home-'));
    try {
      await writeFile(join(dir, 'token'), 'hf_from_file\n');
      const s = await hubSettings({ env: { HF_HOME: dir, HF_ENDPOINT: 'https://hf-mirror.example/' } });
      expect(s).toEqual({ endpoint: 'https://hf-mirror.example', cacheDir: join(dir, 'hub'), token: 'hf_from_file', offline: false });
      // Offline, no token is read at all.
      expect(await hubSettings({ env: { HF_HOME: dir, HF_HUB_OFFLINE: 'yes', HF_TOKEN: 'hf_env' } })).toMatchObject({ token: undefined, offline: true });
      expect((await hubSettings({ env: { HF_HOME: dir, HF_TOKEN: 'hf_env' } })).token).toBe('hf_env');
      expect((await hubSettings({ env: { HF_HOME: dir, HF_TOKEN: 'hf_env' }, token: 'hf_opt' })).token).toBe('hf_opt');
      expect((await hubSettings({ env: { HF_HOME: dir, HF_TOKEN: 'hf_env' }, token: false })).token).toBeUndefined();
      const plain = await hubSettings({ env: { HF_TOKEN_PATH: join(dir, 'none') } });
      expect(plain).toMatchObject({ endpoint: 'https://huggingface.co', token: undefined, offline: false });
      for (const off of ['0', 'false', 'no', '']) expect((await hubSettings({ env: { HF_HUB_OFFLINE: off, HF_TOKEN_PATH: '/none' } })).offline, off).toBe(false);
      await expect(hubSettings({ env: { HF_ENDPOINT: 'ftp://x' } })).rejects.toBeInstanceOf(HubSettingsError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('checksums', () => {
  it('computes the git blob sha1 exactly as `git hash-object` does', () => {
    for (const text of ['', 'hello\n', '{"a": 1}', 'x'.repeat(100_000)]) {
      const bytes = new TextEncoder().encode(text);
      const sum = new Checksum('git-sha1', bytes.byteLength);
      sum.update(bytes.subarray(0, 3));
      sum.update(bytes.subarray(3));
      expect(sum.digest()).toBe(execFileSync('git', ['hash-object', '--stdin'], { input: bytes }).toString().trim());
    }
  });
});

describe('resolveModel', () => {
  it('returns an existing directory as given, without network', async () => {
    expect(await resolveModel(FORTUNE_DIR, { fetch: noNetwork, env: {} })).toBe(FORTUNE_DIR);
  });

  it('refuses files, missing paths and non-ids with ModelSpecError', async () => {
    for (const [spec, text] of [
      [join(FORTUNE_DIR, 'config.json'), 'is a file'],
      ['./no/such/dir', 'no such directory'],
      ['/no/such/dir', 'no such directory'],
      ['no-such-model', 'no such directory'],
      ['a/b/c', 'not a Hub id'],
      [' ', 'empty string'],
    ] as const) {
      const err = await resolveModel(spec, { fetch: noNetwork, env: {} }).catch((e: unknown) => e);
      expect(err, spec).toBeInstanceOf(ModelSpecError);
      expect((err as Error).message, spec).toContain(text);
    }
  });

  it('downloads a Hub id and returns its snapshot directory', async () => {
    await withHub({ 'qo/fortune': await fortuneRepo() }, {}, async ({ cache, opts }) => {
      expect(await resolveModel('qo/fortune@main', opts())).toBe(join(cache, 'models--qo--fortune', 'snapshots', C1));
    });
  });
});
