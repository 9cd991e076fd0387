import { lstat, readdir, readFile, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Checkpoint, downloadModel, loadConfig, Tokenizer, type HubProgress } from '../src/index.js';
import { filesFromDir, gitSha1Hex, sha256Hex } from './hub/fake-hub.js';
import { sameBytes } from './hub/setup.js';
import { C1, C2, FORTUNE_DIR, GQA_DIR, fortuneRepo, shardedRepo, withHub } from './hub/setup.js';

const FORTUNE_FILES = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'chat_template.jinja', 'model.safetensors'];

async function expectSameCheckpoint(dir: string, originalDir: string): Promise<void> {
  expect((await loadConfig(dir)).raw).toEqual((await loadConfig(originalDir)).raw);
  const [a, b] = [await Checkpoint.open(dir), await Checkpoint.open(originalDir)];
  try {
    expect(a.names()).toEqual(b.names());
    for (const n of b.names()) expect(sameBytes(await a.read(n), await b.read(n)), n).toBe(true);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
}

describe('downloadModel', () => {
  it('lays out the cache as huggingface_hub does: blobs by etag, relative snapshot symlinks, refs/main', async () => {
    await withHub({ 'qo/fortune': await fortuneRepo() }, { lfsRedirect: 'absolute' }, async ({ hub, cache, opts }) => {
      const progress: HubProgress[] = [];
      const snap = await downloadModel('qo/fortune', opts({ token: 'hf_secret', onProgress: (p) => progress.push(p) }));
      const root = join(cache, 'models--qo--fortune');
      expect(snap).toMatchObject({ repoId: 'qo/fortune', revision: 'main', commit: C1, dir: join(root, 'snapshots', C1), offline: false });
      expect(await readFile(join(root, 'refs', 'main'), 'utf8')).toBe(C1);

      const original = await filesFromDir(FORTUNE_DIR);
      const etags: string[] = [];
      for (const name of FORTUNE_FILES) {
        const bytes = original[name].bytes;
        const etag = name.endsWith('.safetensors') ? sha256Hex(bytes) : gitSha1Hex(bytes);
        etags.push(etag);
        const pointer = join(snap.dir, name);
        expect((await lstat(pointer)).isSymbolicLink(), name).toBe(true);
        expect(await readlink(pointer)).toBe(`../../blobs/${etag}`);
        expect(sameBytes(await readFile(pointer), bytes), name).toBe(true);
      }
      expect((await readdir(join(root, 'blobs'))).sort()).toEqual(etags.sort());
      expect((await readdir(snap.dir)).sort()).toEqual([...FORTUNE_FILES].sort()); // TRAINING.json is not a checkpoint file
      expect(snap.files.map((f) => [f.name, f.source, f.verified, f.link])).toEqual(
        FORTUNE_FILES.map((n) => [n, 'download', n.endsWith('.safetensors') ? 'sha256' : 'git-sha1', 'symlink']),
      );

      // The token goes to the Hub, never to the CDN on the other port.
      const hubReqs = hub.requests.filter((r) => r.server === 'hub');
      const cdnReqs = hub.requests.filter((r) => r.server === 'cdn');
      expect(hubReqs.length).toBeGreaterThan(0);
      expect(hubReqs.every((r) => r.headers.authorization === 'Bearer hf_secret')).toBe(true);
      expect(cdnReqs.map((r) => r.method)).toEqual(['GET']);
      expect(cdnReqs[0].headers.authorization).toBeUndefined();

      // Progress: the total is known up front and the loaded count only grows to it.
      const total = FORTUNE_FILES.reduce((n, f) => n + original[f].bytes.byteLength, 0);
      expect(new Set(progress.map((p) => p.totalBytes))).toEqual(new Set([total]));
      for (let i = 1; i < progress.length; i++) expect(progress[i].loadedBytes).toBeGreaterThanOrEqual(progress[i - 1].loadedBytes);
      expect(progress.at(-1)).toMatchObject({ loadedBytes: total, file: 'model.safetensors', fileLoadedBytes: original['model.safetensors'].bytes.byteLength });
      expect(new Set(progress.map((p) => p.file))).toEqual(new Set(FORTUNE_FILES));

      await expectSameCheckpoint(snap.dir, FORTUNE_DIR);
      const [tok, ref] = [await Tokenizer.fromDir(snap.dir), await Tokenizer.fromDir(FORTUNE_DIR)];
      const chat = [{ role: 'user' as const, content: 'Tell me a fortune.' }];
      expect(tok.encodeChat(chat, { addGenerationPrompt: true })).toEqual(ref.encodeChat(chat, { addGenerationPrompt: true }));
    });
  });

  it('reuses the cache: one HEAD for a branch, no request for a commit, only changed files for a new commit', async () => {
    const repo = await fortuneRepo();
    await withHub({ 'qo/fortune': repo }, {}, async ({ hub, cache, opts }) => {
      await downloadModel('qo/fortune', opts());
      hub.requests.length = 0;
      const again = await downloadModel('qo/fortune', opts());
      expect(hub.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['HEAD /qo/fortune/resolve/main/config.json']);
      expect(again.files.every((f) => f.source === 'cache')).toBe(true);

      hub.requests.length = 0;
      const pinned = await downloadModel(`qo/fortune@${C1}`, opts());
      expect(hub.requests).toEqual([]);
      expect(pinned.dir).toBe(again.dir);

      // main moves to a commit that changes config.json only: one GET, the other blobs are linked.
      const config = JSON.parse(new TextDecoder().decode(repo.commits[C1]['config.json'].bytes)) as Record<string, unknown>;
      repo.commits[C2] = { ...repo.commits[C1], 'config.json': { lfs: false, bytes: new TextEncoder().encode(JSON.stringify({ ...config, max_position_embeddings: 512 })) } };
      repo.refs.main = C2;
      hub.requests.length = 0;
      const next = await downloadModel('qo/fortune', opts());
      expect(next.commit).toBe(C2);
      expect(await readFile(join(cache, 'models--qo--fortune', 'refs', 'main'), 'utf8')).toBe(C2);
      expect(hub.requests.filter((r) => r.method === 'GET').map((r) => r.path)).toEqual([`/qo/fortune/resolve/${C2}/config.json`]);
      expect(next.files.map((f) => [f.name, f.source])).toEqual(FORTUNE_FILES.map((n) => [n, n === 'config.json' ? 'download' : 'blob']));
      expect((await loadConfig(next.dir)).config).toMatchObject({ max_position_embeddings: 512 });
      expect((await loadConfig(join(cache, 'models--qo--fortune', 'snapshots', C1))).config).toMatchObject({ max_position_embeddings: config.max_position_embeddings });
    });
  });

  it('downloads a sharded checkpoint (index + every shard) and records absent optional files in .no_exist', async () => {
    const repo = await shardedRepo();
    await withHub({ 'qo/gqa': repo }, { lfsRedirect: 'relative', resolveCache: true }, async ({ hub, cache, opts }) => {
      const progress: HubProgress[] = [];
      const snap = await downloadModel('qo/gqa', opts({ token: 'hf_secret', onProgress: (p) => progress.push(p) }));
      const shards = Object.keys(repo.commits[C1]).filter((n) => /^model-\d+-of-\d+\.safetensors$/.test(n));
      expect(shards).toHaveLength(9);
      expect(snap.files.map((f) => f.name)).toEqual(['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors.index.json', ...shards]);
      await expectSameCheckpoint(snap.dir, GQA_DIR);

      const root = join(cache, 'models--qo--gqa');
      for (const absent of ['model.safetensors', 'chat_template.jinja']) expect(await readFile(join(root, '.no_exist', C1, absent), 'utf8')).toBe('');
      // Files in git went through /api/resolve-cache (same origin: the token is kept), LFS through /cdn/.
      expect(hub.requests.some((r) => r.path.startsWith('/api/resolve-cache/') && r.headers.authorization === 'Bearer hf_secret')).toBe(true);
      expect(hub.requests.filter((r) => r.path.startsWith('/cdn/') && r.method === 'GET')).toHaveLength(10);
      const total = snap.files.reduce((n, f) => n + f.size, 0);
      expect(progress.at(-1)).toMatchObject({ loadedBytes: total, totalBytes: total });

      hub.requests.length = 0;
      await downloadModel('qo/gqa', opts({ token: 'hf_secret' }));
      expect(hub.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
        'HEAD /qo/gqa/resolve/main/config.json',
        `HEAD /api/resolve-cache/models/qo/gqa/${C1}/config.json`,
      ]);
    });
  });

  it('copies blobs into the snapshot with symlinks: false', async () => {
    await withHub({ 'qo/fortune': await fortuneRepo() }, {}, async ({ opts }) => {
      const snap = await downloadModel('qo/fortune', opts({ symlinks: false }));
      for (const f of snap.files) {
        expect(f.link).toBe('copy');
        expect((await lstat(f.path)).isFile()).toBe(true);
      }
      await expectSameCheckpoint(snap.dir, FORTUNE_DIR);
    });
  });

  it('fetches extraFiles when present and skips them when absent', async () => {
    const repo = await fortuneRepo();
    repo.commits[C1]['preprocessor_config.json'] = { lfs: false, bytes: new TextEncoder().encode('{"sampling_rate": 16000}') };
    await withHub({ 'qo/fortune': repo }, {}, async ({ opts }) => {
      const snap = await downloadModel('qo/fortune', opts({ extraFiles: ['preprocessor_config.json', 'video_preprocessor_config.json'] }));
      expect(snap.files.map((f) => f.name)).toContain('preprocessor_config.json');
      expect(snap.files.map((f) => f.name)).not.toContain('video_preprocessor_config.json');
      expect(await readFile(join(snap.dir, 'preprocessor_config.json'), 'utf8')).toBe('{"sampling_rate": 16000}');
    });
  });

  it('leaves no temporary files behind and rewrites a stale ref', async () => {
    await withHub({ 'qo/fortune': await fortuneRepo() }, {}, async ({ cache, opts }) => {
      const root = join(cache, 'models--qo--fortune');
      await downloadModel('qo/fortune', opts());
      await writeFile(join(root, 'refs', 'main'), C2);
      const snap = await downloadModel('qo/fortune', opts());
      expect(snap.commit).toBe(C1);
      expect(await readFile(join(root, 'refs', 'main'), 'utf8')).toBe(C1);
      const all = await readdir(root, { recursive: true });
      expect(all.filter((p) => p.includes('.qo-tmp-') || p.endsWith('.incomplete'))).toEqual([]);
    });
  });
});
