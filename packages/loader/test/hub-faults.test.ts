import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChecksumMismatchError, downloadModel, HubConnectionError, HubHttpError, type HubProgress } from '../src/index.js';
import { gitSha1Hex, sha256Hex } from './hub/fake-hub.js';
import { C1, FORTUNE_DIR, fortuneRepo, sameBytes, withHub } from './hub/setup.js';

const WEIGHTS = 'model.safetensors';

async function fortuneWeights(): Promise<Uint8Array> {
  return new Uint8Array(await readFile(join(FORTUNE_DIR, WEIGHTS)));
}

describe('downloadModel under faults', () => {
  it('resumes with Range after connections dropped mid-body, and the bytes match', async () => {
    const weights = await fortuneWeights();
    await withHub({ 'qo/fortune': await fortuneRepo() }, { lfsRedirect: 'absolute' }, async ({ hub, opts }) => {
      hub.faults.drop.set(WEIGHTS, { bytes: 1_000_000, times: 2 });
      const snap = await downloadModel('qo/fortune', opts());
      expect(sameBytes(await readFile(join(snap.dir, WEIGHTS)), weights)).toBe(true);
      const gets = hub.requestsFor(WEIGHTS, 'GET').filter((r) => r.server === 'cdn');
      // Each GET after a drop asks for the rest from where the bytes stopped (the drop point varies
      // by a few kernel buffers: at most the 1 MB the server sent per connection).
      expect(gets.map((r) => r.status)).toEqual([200, 206, 206]);
      expect(gets[0].headers.range).toBeUndefined();
      const starts = gets.slice(1).map((r) => Number(/^bytes=(\d+)-$/.exec(String(r.headers.range))?.[1]));
      expect(starts[0]).toBeGreaterThan(0);
      expect(starts[0]).toBeLessThanOrEqual(1_000_000);
      expect(starts[1]).toBeGreaterThan(starts[0]);
      expect(starts[1]).toBeLessThanOrEqual(starts[0] + 1_000_000);
      expect(snap.files.find((f) => f.name === WEIGHTS)?.verified).toBe('sha256');
    });
  });

  it('continues the .incomplete blob an earlier, interrupted run left behind', async () => {
    const weights = await fortuneWeights();
    await withHub({ 'qo/fortune': await fortuneRepo() }, {}, async ({ hub, cache, opts }) => {
      const blobs = join(cache, 'models--qo--fortune', 'blobs');
      await mkdir(blobs, { recursive: true });
      await writeFile(join(blobs, `${sha256Hex(weights)}.incomplete`), weights.subarray(0, 3_000_000));
      const progress: HubProgress[] = [];
      const snap = await downloadModel('qo/fortune', opts({ onProgress: (p) => progress.push(p) }));
      expect(sameBytes(await readFile(join(snap.dir, WEIGHTS)), weights)).toBe(true);
      expect(hub.requestsFor(WEIGHTS, 'GET').filter((r) => r.server === 'cdn').map((r) => [r.headers.range, r.status])).toEqual([['bytes=3000000-', 206]]);
      expect(progress.find((p) => p.file === WEIGHTS)?.fileLoadedBytes).toBe(3_000_000);
      expect(await readdir(blobs)).not.toContain(`${sha256Hex(weights)}.incomplete`);
    });
  });

  it('starts over when the server ignores Range and answers 200', async () => {
    const weights = await fortuneWeights();
    await withHub({ 'qo/fortune': await fortuneRepo() }, {}, async ({ hub, cache, opts }) => {
      const blobs = join(cache, 'models--qo--fortune', 'blobs');
      await mkdir(blobs, { recursive: true });
      await writeFile(join(blobs, `${sha256Hex(weights)}.incomplete`), weights.subarray(0, 2_000_000));
      hub.faults.ignoreRange = true;
      const snap = await downloadModel('qo/fortune', opts());
      expect(sameBytes(await readFile(join(snap.dir, WEIGHTS)), weights)).toBe(true);
      expect(hub.requestsFor(WEIGHTS, 'GET').filter((r) => r.server === 'cdn').map((r) => [r.headers.range, r.status])).toEqual([['bytes=2000000-', 200]]);
    });
  });

  it('times out a stalled body and resumes it', async () => {
    const weights = await fortuneWeights();
    await withHub({ 'qo/fortune': await fortuneRepo() }, {}, async ({ hub, opts }) => {
      hub.faults.stall.set(WEIGHTS, { bytes: 500_000, times: 1 });
      const t0 = Date.now();
      const snap = await downloadModel('qo/fortune', opts({ timeoutMs: 300 }));
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(sameBytes(await readFile(join(snap.dir, WEIGHTS)), weights)).toBe(true);
      const ranges = hub.requestsFor(WEIGHTS, 'GET').filter((r) => r.server === 'cdn').map((r) => r.headers.range);
      expect(ranges).toHaveLength(2);
      expect(ranges[0]).toBeUndefined();
      const start = Number(/^bytes=(\d+)-$/.exec(String(ranges[1]))?.[1]);
      expect(start).toBeGreaterThan(0);
      expect(start).toBeLessThanOrEqual(500_000);
    });
  });

  it('throws ChecksumMismatchError for corrupt LFS bytes and leaves no blob, partial file or link', async () => {
    const weights = await fortuneWeights();
    await withHub({ 'qo/fortune': await fortuneRepo() }, {}, async ({ hub, cache, opts }) => {
      hub.faults.corrupt.add(WEIGHTS);
      const corrupt = weights.slice();
      corrupt[corrupt.length >> 1] ^= 0xff;
      const err = await downloadModel('qo/fortune', opts()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ChecksumMismatchError);
      expect(err).toMatchObject({ file: WEIGHTS, repoId: 'qo/fortune', algorithm: 'sha256', expected: sha256Hex(weights), actual: sha256Hex(corrupt) });
      const msg = (err as Error).message;
      for (const part of [WEIGHTS, sha256Hex(weights), sha256Hex(corrupt), 'run the download again']) expect(msg).toContain(part);
      const root = join(cache, 'models--qo--fortune');
      expect((await readdir(join(root, 'blobs'))).filter((b) => b.startsWith(sha256Hex(weights)))).toEqual([]);
      await expect(stat(join(root, 'snapshots', C1, WEIGHTS))).rejects.toMatchObject({ code: 'ENOENT' });

      // Once the Hub serves the right bytes, the next run succeeds.
      hub.faults.corrupt.clear();
      const snap = await downloadModel('qo/fortune', opts());
      expect(sameBytes(await readFile(join(snap.dir, WEIGHTS)), weights)).toBe(true);
    });
  });

  it('checks files stored in git against their git blob sha1', async () => {
    const repo = await fortuneRepo();
    const config = repo.commits[C1]['config.json'].bytes;
    await withHub({ 'qo/fortune': repo }, {}, async ({ hub, opts }) => {
      hub.faults.corrupt.add('config.json');
      const bad = config.slice();
      bad[bad.length >> 1] ^= 0xff;
      await expect(downloadModel('qo/fortune', opts())).rejects.toMatchObject({
        name: 'ChecksumMismatchError',
        file: 'config.json',
        algorithm: 'git-sha1',
        expected: gitSha1Hex(config),
        actual: gitSha1Hex(bad),
      });
    });
  });

  it('deletes a partial download whose earlier bytes are wrong', async () => {
    const weights = await fortuneWeights();
    await withHub({ 'qo/fortune': await fortuneRepo() }, {}, async ({ cache, opts }) => {
      const blobs = join(cache, 'models--qo--fortune', 'blobs');
      const part = join(blobs, `${sha256Hex(weights)}.incomplete`);
      await mkdir(blobs, { recursive: true });
      await writeFile(part, new Uint8Array(1_000_000).fill(7));
      await expect(downloadModel('qo/fortune', opts())).rejects.toBeInstanceOf(ChecksumMismatchError);
      await expect(stat(part)).rejects.toMatchObject({ code: 'ENOENT' });
      const snap = await downloadModel('qo/fortune', opts());
      expect(sameBytes(await readFile(join(snap.dir, WEIGHTS)), weights)).toBe(true);
    });
  });

  it('retries 503 with backoff, then gives up with HubHttpError', async () => {
    await withHub({ 'qo/fortune': await fortuneRepo() }, {}, async ({ hub, opts }) => {
      hub.faults.status.set(WEIGHTS, { status: 503, times: 2 });
      await downloadModel('qo/fortune', opts({ retries: 2 }));
      expect(hub.requestsFor(WEIGHTS, 'GET').filter((r) => r.server === 'cdn').map((r) => r.status)).toEqual([503, 503, 200]);
    });
    await withHub({ 'qo/fortune': await fortuneRepo() }, {}, async ({ hub, opts }) => {
      hub.faults.status.set(WEIGHTS, { status: 503, times: 100 });
      const err = await downloadModel('qo/fortune', opts({ retries: 2 })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HubHttpError);
      expect(err).toMatchObject({ status: 503, file: WEIGHTS });
      expect(hub.requestsFor(WEIGHTS, 'GET').filter((r) => r.server === 'cdn')).toHaveLength(3);
    });
  });

  it('gives up on an unreachable endpoint after bounded retries, pointing at HF_HUB_OFFLINE', async () => {
    let calls = 0;
    const counting: typeof fetch = (input, init) => {
      calls++;
      return fetch(input, init);
    };
    await withHub({}, {}, async ({ hub, opts }) => {
      const closed = hub.hubUrl;
      await hub.close();
      const err = await downloadModel('qo/fortune', opts({ endpoint: closed, retries: 2, fetch: counting })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HubConnectionError);
      expect((err as Error).message).toContain('HF_HUB_OFFLINE=1');
      expect((err as Error).message).toContain('config.json');
      expect(calls).toBe(3);
    });
  });

  it('stops at an AbortSignal, keeps the partial blob, and resumes from it next time', async () => {
    const weights = await fortuneWeights();
    await withHub({ 'qo/fortune': await fortuneRepo() }, {}, async ({ hub, cache, opts }) => {
      const ctl = new AbortController();
      const reason = new Error('user pressed Ctrl-C');
      const err = await downloadModel(
        'qo/fortune',
        opts({ signal: ctl.signal, onProgress: (p) => p.file === WEIGHTS && p.fileLoadedBytes >= 1_000_000 && ctl.abort(reason) }),
      ).catch((e: unknown) => e);
      expect(err).toBe(reason);
      const part = join(cache, 'models--qo--fortune', 'blobs', `${sha256Hex(weights)}.incomplete`);
      const kept = (await stat(part)).size;
      expect(kept).toBeGreaterThanOrEqual(1_000_000);
      hub.requests.length = 0;
      const snap = await downloadModel('qo/fortune', opts());
      expect(sameBytes(await readFile(join(snap.dir, WEIGHTS)), weights)).toBe(true);
      expect(hub.requestsFor(WEIGHTS, 'GET').filter((r) => r.server === 'cdn').map((r) => r.headers.range)).toEqual([`bytes=${kept}-`]);
    });
  });
});
