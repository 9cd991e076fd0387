import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { downloadModel, HubAuthError, HubNotFoundError, HubProtocolError, ModelSpecError } from '../src/index.js';
import { C1, fortuneRepo, NO_TOKEN_FILE, withHub } from './hub/setup.js';

describe('downloadModel errors', () => {
  it('404 for a repository that does not exist: HubNotFoundError (repo); 401 without a token: HubAuthError', async () => {
    await withHub({}, {}, async ({ opts }) => {
      const notFound = await downloadModel('qo/nope', opts({ token: 'hf_x' })).catch((e: unknown) => e);
      expect(notFound).toBeInstanceOf(HubNotFoundError);
      expect(notFound).toMatchObject({ what: 'repo', repoId: 'qo/nope', file: 'config.json' });
      expect((notFound as Error).message).toContain('repository qo/nope not found');

      const anonymous = await downloadModel('qo/nope', opts()).catch((e: unknown) => e);
      expect(anonymous).toBeInstanceOf(HubAuthError);
      expect(anonymous).toMatchObject({ status: 401 });
      expect((anonymous as Error).message).toMatch(/not found, or private and no token was sent.*HF_TOKEN/);
    });
  });

  it('404 for a missing file names the file; a missing revision says so', async () => {
    const repo = await fortuneRepo();
    delete repo.commits[C1]['tokenizer.json'];
    await withHub({ 'qo/fortune': repo }, {}, async ({ opts }) => {
      const err = await downloadModel('qo/fortune', opts()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HubNotFoundError);
      expect(err).toMatchObject({ what: 'file', file: 'tokenizer.json' });
      expect((err as Error).message).toContain('qo/fortune@');
      expect((err as Error).message).toContain('has no tokenizer.json (404)');

      await expect(downloadModel('qo/fortune@v9', opts())).rejects.toMatchObject({ name: 'HubNotFoundError', what: 'revision' });
    });
  });

  it('a repository without safetensors weights is refused by name', async () => {
    const repo = await fortuneRepo();
    delete repo.commits[C1]['model.safetensors'];
    await withHub({ 'qo/fortune': repo }, {}, async ({ opts }) => {
      const err = await downloadModel('qo/fortune', opts()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HubNotFoundError);
      expect((err as Error).message).toContain('has neither model.safetensors nor model.safetensors.index.json');
    });
  });

  it('private and gated repositories: 401/403 as HubAuthError, and HF_TOKEN from the environment opens them', async () => {
    const priv = { ...(await fortuneRepo()), access: { token: 'hf_good', kind: 'private' as const } };
    const gated = { ...(await fortuneRepo()), access: { token: 'hf_good', kind: 'gated' as const } };
    await withHub({ 'qo/private': priv, 'qo/gated': gated }, {}, async ({ hub, opts }) => {
      const noToken = await downloadModel('qo/private', opts()).catch((e: unknown) => e);
      expect(noToken).toBeInstanceOf(HubAuthError);
      expect((noToken as Error).message).toContain('set HF_TOKEN');

      const wrong = await downloadModel('qo/gated', opts({ token: 'hf_bad' })).catch((e: unknown) => e);
      expect(wrong).toBeInstanceOf(HubAuthError);
      expect(wrong).toMatchObject({ status: 403 });
      expect((wrong as Error).message).toContain(`qo/gated is a gated model (403). Accept its conditions at ${hub.hubUrl}/qo/gated`);

      const snap = await downloadModel('qo/private', opts({ env: { ...NO_TOKEN_FILE, HF_TOKEN: 'hf_good' } }));
      expect(snap.commit).toBe(C1);
      expect(hub.requests.filter((r) => r.server === 'cdn').every((r) => r.headers.authorization === undefined)).toBe(true);
    });
  });

  it('follows a renamed repository (relative redirect, token kept) and caches under the name asked for', async () => {
    await withHub({ 'qo/fortune': await fortuneRepo() }, {}, async ({ hub, cache, opts }) => {
      hub.renamed.set('old/fortune', 'qo/fortune');
      const snap = await downloadModel('old/fortune', opts({ token: 'hf_t' }));
      expect(snap.dir).toBe(join(cache, 'models--old--fortune', 'snapshots', C1));
      const redirected = hub.requests.filter((r) => r.path.startsWith('/qo/fortune/'));
      expect(redirected.length).toBeGreaterThan(0);
      expect(redirected.every((r) => r.headers.authorization === 'Bearer hf_t')).toBe(true);
    });
  });

  it('refuses an endpoint that does not answer like the Hub (no X-Repo-Commit)', async () => {
    const notHub: typeof fetch = async () => new Response('{}', { status: 200, headers: { ETag: '"abc"', 'Content-Length': '2' } });
    await expect(downloadModel('qo/fortune', { env: NO_TOKEN_FILE, fetch: notHub, cacheDir: '/nonexistent-qo-cache' })).rejects.toThrow(HubProtocolError);
    await expect(downloadModel('qo/fortune', { env: NO_TOKEN_FILE, fetch: notHub, cacheDir: '/nonexistent-qo-cache' })).rejects.toThrow(/no X-Repo-Commit header.*HF_ENDPOINT/);
  });

  it('refuses ids that are not org/name[@revision] and revisions given twice', async () => {
    for (const bad of ['fortune', 'qo/for/tune', 'qo/../x', 'qo/x@', 'qo/x@../../etc', '']) {
      await expect(downloadModel(bad, { env: NO_TOKEN_FILE }), bad).rejects.toBeInstanceOf(ModelSpecError);
    }
    await expect(downloadModel('qo/x@main', { env: NO_TOKEN_FILE, revision: 'dev' })).rejects.toThrow('the id says revision "main" but the revision option says "dev"');
    await expect(downloadModel('qo/x', { env: NO_TOKEN_FILE, extraFiles: ['../secret'] })).rejects.toBeInstanceOf(ModelSpecError);
  });
});
