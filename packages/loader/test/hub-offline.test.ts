import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { Checkpoint, downloadModel, HubOfflineError, resolveModel } from '../src/index.js';
import { C1, fortuneRepo, noNetwork, shardedRepo, withHub } from './hub/setup.js';

describe('offline mode (HF_HUB_OFFLINE)', () => {
  it('resolves a warm cache through refs/main with no network, from HF_HUB_OFFLINE and HF_HUB_CACHE', async () => {
    await withHub({ 'qo/gqa': await shardedRepo() }, {}, async ({ cache, opts }) => {
      const online = await downloadModel('qo/gqa', opts());
      const env = { HF_HUB_OFFLINE: '1', HF_HUB_CACHE: cache };
      const offline = await downloadModel('qo/gqa', { env, fetch: noNetwork });
      expect(offline).toMatchObject({ dir: online.dir, commit: C1, revision: 'main', offline: true });
      expect(offline.files.map((f) => [f.name, f.size])).toEqual(online.files.map((f) => [f.name, f.size]));
      expect(offline.files.every((f) => f.source === 'cache')).toBe(true);
      expect(await downloadModel(`qo/gqa@${C1}`, { env, fetch: noNetwork })).toMatchObject({ dir: online.dir });
      expect(await resolveModel('qo/gqa', { env: { HF_HUB_OFFLINE: 'true', HF_HUB_CACHE: cache }, fetch: noNetwork })).toBe(online.dir);
      const ckpt = await Checkpoint.open(offline.dir);
      expect(ckpt.files).toHaveLength(9);
      await ckpt.close();
    });
  });

  it('honours HF_HUB_OFFLINE in process.env by default', async () => {
    await withHub({ 'qo/fortune': await fortuneRepo() }, {}, async ({ cache, opts }) => {
      await downloadModel('qo/fortune', opts());
      vi.stubEnv('HF_HUB_OFFLINE', '1');
      vi.stubEnv('HF_HUB_CACHE', cache);
      try {
        expect((await downloadModel('qo/fortune', { fetch: noNetwork })).offline).toBe(true);
      } finally {
        vi.unstubAllEnvs();
      }
    });
  });

  it('a cold cache throws HubOfflineError naming the revision and how to go online', async () => {
    await withHub({}, {}, async ({ cache }) => {
      const err = await downloadModel('qo/fortune', { env: { HF_HUB_OFFLINE: '1' }, cacheDir: cache, fetch: noNetwork }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HubOfflineError);
      expect(err).toMatchObject({ repoId: 'qo/fortune', file: 'config.json' });
      expect((err as Error).message).toContain('qo/fortune@main is not in the cache');
      expect((err as Error).message).toContain(join(cache, 'models--qo--fortune', 'refs', 'main'));
      expect((err as Error).message).toContain('Unset HF_HUB_OFFLINE');
    });
  });

  it('a partly cached snapshot names the missing file', async () => {
    await withHub({ 'qo/gqa': await shardedRepo(), 'qo/fortune': await fortuneRepo() }, {}, async ({ cache, opts }) => {
      const snap = await downloadModel('qo/gqa', opts());
      await rm(join(snap.dir, 'model-00007-of-00009.safetensors'));
      const err = await downloadModel('qo/gqa', opts({ offline: true, fetch: noNetwork })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HubOfflineError);
      expect(err).toMatchObject({ file: 'model-00007-of-00009.safetensors' });
      expect((err as Error).message).toContain(`qo/gqa@main: model-00007-of-00009.safetensors is missing from the cache (${join(snap.dir, 'model-00007-of-00009.safetensors')})`);

      // Online again, only the missing shard is linked back (its blob is still there).
      const back = await downloadModel('qo/gqa', opts());
      expect(back.files.filter((f) => f.source !== 'cache').map((f) => [f.name, f.source])).toEqual([['model-00007-of-00009.safetensors', 'blob']]);

      const fortune = await downloadModel('qo/fortune', opts());
      await rm(join(fortune.dir, 'model.safetensors'));
      await expect(downloadModel('qo/fortune', { offline: true, cacheDir: cache, env: {}, fetch: noNetwork })).rejects.toThrow(
        'model.safetensors (and model.safetensors.index.json) is missing from the cache',
      );
    });
  });
});
