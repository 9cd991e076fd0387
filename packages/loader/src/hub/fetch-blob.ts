import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat, truncate, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Checksum, checksumKind, type ChecksumKind } from './checksum.js';
import { ChecksumMismatchError, HubHttpError, HubProtocolError, HubConnectionError, type HubErrorSite } from './errors.js';
import { failStatus, follow, networkFailure, Transient, withRetries, type HttpSettings } from './http.js';
import { isNotFound, type RepoCache } from './cache.js';

/** One file to bring into `blobs/`. */
export interface BlobTask {
  repoId: string;
  file: string;
  /** resolve URL at the commit; re-requested on every attempt so signed CDN URLs never go stale */
  url: string;
  etag: string;
  linked: boolean;
  size: number;
}

/**
 * Downloads one blob to `blobs/<etag>.incomplete`, continuing an earlier partial file with
 * `Range: bytes=N-`, resuming after dropped connections and stalls (bounded retries, reset whenever
 * bytes arrive), then checks size and checksum and renames it to `blobs/<etag>`. A checksum
 * mismatch deletes the partial file. `onBytes(total)` reports the bytes of this file on disk.
 */
export async function fetchBlob(http: HttpSettings, cache: RepoCache, task: BlobTask, onBytes: (fileBytes: number) => void): Promise<ChecksumKind | null> {
  const blob = cache.blobPath(task.etag);
  const part = `${blob}.incomplete`;
  const site: HubErrorSite = { repoId: task.repoId, file: task.file, url: task.url };
  const kind = checksumKind(task.etag, task.linked);
  const sum = kind === null ? undefined : new Checksum(kind, task.size);

  let offset = 0;
  try {
    await mkdir(dirname(blob), { recursive: true });
    offset = (await stat(part)).size;
  } catch (e) {
    if (!isNotFound(e)) throw cache.fail(part, `cannot prepare ${part}`, e);
  }
  if (offset > task.size) {
    await truncate(part, 0).catch((e: unknown) => {
      throw cache.fail(part, `cannot truncate ${part}`, e);
    });
    offset = 0;
  }
  if (sum !== undefined && offset > 0) await hashPrefix(part, sum, cache);
  onBytes(offset);

  let fh: FileHandle;
  try {
    fh = await open(part, 'a');
  } catch (e) {
    throw cache.fail(part, `cannot open ${part}`, e);
  }
  const state = { offset, before: offset };
  try {
    await withRetries(
      http,
      async () => {
        state.before = state.offset;
        await transfer(http, fh, part, task, site, state, sum, onBytes);
      },
      () => state.offset > state.before,
    );
  } finally {
    await fh.close().catch(() => undefined);
  }

  if (sum !== undefined) {
    const actual = sum.digest();
    if (actual !== task.etag.toLowerCase()) {
      await rm(part, { force: true }).catch(() => undefined);
      throw new ChecksumMismatchError(
        site,
        sum.kind,
        task.etag.toLowerCase(),
        actual,
        `${task.repoId}: ${task.file} is corrupt: its ${sum.kind} is ${actual} but the Hub's ETag says ${task.etag.toLowerCase()}. ` +
          `The partial download (${part}) was deleted; run the download again.`,
      );
    }
  }
  try {
    await rename(part, blob);
  } catch (e) {
    throw cache.fail(blob, `cannot move ${part} to ${blob}`, e);
  }
  return kind;
}

/** One GET from `state.offset` to the end (or until the connection drops: then Transient). */
async function transfer(
  http: HttpSettings,
  fh: FileHandle,
  part: string,
  task: BlobTask,
  site: HubErrorSite,
  state: { offset: number },
  sum: Checksum | undefined,
  onBytes: (n: number) => void,
): Promise<void> {
  if (state.offset === task.size) return;
  const what = `${task.repoId}: GET ${task.file}`;
  const headers: Record<string, string> = state.offset > 0 ? { Range: `bytes=${state.offset}-` } : {};
  const { ex } = await follow(http, 'GET', task.url, headers, site, false);
  const r = ex.response;
  const where: HubErrorSite = { ...site, url: ex.url };
  const bad = async (msg: string): Promise<never> => {
    await ex.end();
    await rm(part, { force: true }).catch(() => undefined);
    throw new HubProtocolError(where, `${what}: ${msg}. The partial download was deleted; run the download again, and if this repeats check HF_ENDPOINT or your proxy.`);
  };
  if (r.status === 206) {
    const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(r.headers.get('content-range') ?? '');
    if (m === null || Number(m[1]) !== state.offset) await bad(`asked for bytes ${state.offset}- and got Content-Range ${JSON.stringify(r.headers.get('content-range'))}`);
    if (m !== null && m[3] !== '*' && Number(m[3]) !== task.size) await bad(`Content-Range says the file has ${m?.[3]} bytes, the Hub said ${task.size}`);
  } else if (r.status === 200) {
    if (state.offset > 0) {
      // The server ignored Range: start over.
      await fh.truncate(0);
      sum?.reset();
      state.offset = 0;
      onBytes(0);
    }
  } else if (r.status === 416) {
    await ex.end();
    throw new HubHttpError(where, 416, `${what}: the server refused Range bytes=${state.offset}- (416) for a file of ${task.size} bytes. Delete ${part} and run the download again.`);
  } else {
    await failStatus(http, ex, where, what);
  }

  const body = r.body;
  if (body === null) return bad('the response has no body');
  const reader = body.getReader();
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (e) {
        throw networkFailure(http, e, false, where, `${what} (after ${state.offset} of ${task.size} bytes)`);
      }
      if (chunk.done) break;
      ex.touch();
      const bytes = chunk.value;
      if (state.offset + bytes.byteLength > task.size) await bad(`the server sent more than the ${task.size} bytes the Hub announced`);
      await fh.write(bytes);
      sum?.update(bytes);
      state.offset += bytes.byteLength;
      onBytes(state.offset);
    }
  } finally {
    await ex.end();
  }
  if (state.offset < task.size) {
    throw new Transient(
      new HubConnectionError(where, `${what}: the connection ended after ${state.offset} of ${task.size} bytes, every time (gave up after ${http.retries} retries). Run the download again to resume from ${part}.`),
    );
  }
}

/** Feeds the bytes already in a partial download to the checksum. */
async function hashPrefix(part: string, sum: Checksum, cache: RepoCache): Promise<void> {
  try {
    for await (const chunk of createReadStream(part)) sum.update(chunk as Uint8Array);
  } catch (e) {
    throw cache.fail(part, `cannot read ${part}`, e);
  }
}
