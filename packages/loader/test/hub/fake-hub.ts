/**
 * A local stand-in for the Hugging Face Hub's resolve endpoints, served from files, on 127.0.0.1
 * (random ports), behaving as huggingface.co does: ETag = git blob sha1 for files in git; for LFS
 * files a 302 to a CDN (another port, or a relative path) with X-Linked-Etag (sha256) and
 * X-Linked-Size; X-Repo-Commit on every answer; X-Error-Code on 404/401/403; Range → 206.
 * Faults can be injected per file name: dropped connections, stalls, corrupted bytes, statuses.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface FakeFile {
  bytes: Uint8Array;
  /** stored in git-lfs (served through the CDN) */
  lfs: boolean;
}

export interface FakeRepo {
  /** commit sha → file name → file */
  commits: Record<string, Record<string, FakeFile>>;
  /** branch or tag → commit sha */
  refs: Record<string, string>;
  /** a token is needed: private repos answer 401 RepoNotFound, gated ones 401/403 GatedRepo */
  access?: { token: string; kind: 'private' | 'gated' };
}

export interface LoggedRequest {
  server: 'hub' | 'cdn';
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** status sent */
  status?: number;
}

export interface FakeHubOptions {
  /** where LFS redirects go: a CDN server on another port (absolute Location) or /cdn/ on the Hub (relative) */
  lfsRedirect?: 'absolute' | 'relative';
  /** files in git answer with a relative 307 to /api/resolve-cache/..., as huggingface.co does */
  resolveCache?: boolean;
}

export interface Faults {
  /** file → drop the connection after this many body bytes, for the next `times` GETs */
  drop: Map<string, { bytes: number; times: number }>;
  /** file → send this many body bytes, then nothing (connection left open), for the next `times` GETs */
  stall: Map<string, { bytes: number; times: number }>;
  /** files whose bytes are served with one byte flipped */
  corrupt: Set<string>;
  /** file → answer GETs with this status, for the next `times` GETs */
  status: Map<string, { status: number; times: number }>;
  /** answer Range requests with the whole file (200) */
  ignoreRange: boolean;
}

export const sha256Hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
export const gitSha1Hex = (b: Uint8Array): string => createHash('sha1').update(`blob ${b.byteLength}\0`).update(b).digest('hex');
/** A deterministic fake commit sha. */
export const commitSha = (label: string): string => createHash('sha1').update(`commit ${label}`).digest('hex');

/** The files of a checkpoint directory; `lfs` says which are LFS (default: *.safetensors). */
export async function filesFromDir(dir: string, lfs: (name: string) => boolean = (n) => n.endsWith('.safetensors')): Promise<Record<string, FakeFile>> {
  const out: Record<string, FakeFile> = {};
  for (const name of (await readdir(dir)).sort()) out[name] = { bytes: new Uint8Array(await readFile(join(dir, name))), lfs: lfs(name) };
  return out;
}

export class FakeHub {
  readonly requests: LoggedRequest[] = [];
  readonly faults: Faults = { drop: new Map(), stall: new Map(), corrupt: new Set(), status: new Map(), ignoreRange: false };
  /** old repo id → new repo id: answered with a relative 307, as a renamed repo */
  readonly renamed = new Map<string, string>();
  readonly #blobs = new Map<string, FakeFile>();
  hubUrl = '';
  cdnUrl = '';

  private constructor(
    readonly repos: Map<string, FakeRepo>,
    readonly options: FakeHubOptions,
    readonly hub: Server,
    readonly cdn: Server,
  ) {
    for (const repo of repos.values()) for (const files of Object.values(repo.commits)) for (const f of Object.values(files)) if (f.lfs) this.#blobs.set(sha256Hex(f.bytes), f);
  }

  static async start(repos: Record<string, FakeRepo>, options: FakeHubOptions = {}): Promise<FakeHub> {
    let self: FakeHub | undefined;
    const hub = createServer((req, res) => self?.handle('hub', req, res));
    const cdn = createServer((req, res) => self?.handle('cdn', req, res));
    self = new FakeHub(new Map(Object.entries(repos)), options, hub, cdn);
    const listen = (s: Server): Promise<string> =>
      new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(s.address() as AddressInfo).port}`)));
    self.hubUrl = await listen(hub);
    self.cdnUrl = await listen(cdn);
    return self;
  }

  async close(): Promise<void> {
    for (const s of [this.hub, this.cdn]) {
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  }

  /** Requests whose path ends with the file name (any server, any method). */
  requestsFor(file: string, method?: string): LoggedRequest[] {
    return this.requests.filter((r) => decodeURIComponent(r.path.split('?')[0]).endsWith(`/${file}`) && (method === undefined || r.method === method));
  }

  handle(server: 'hub' | 'cdn', req: IncomingMessage, res: ServerResponse): void {
    const entry: LoggedRequest = { server, method: req.method ?? '', path: req.url ?? '', headers: { ...req.headers } };
    this.requests.push(entry);
    const send = (status: number, headers: Record<string, string | number> = {}, body?: Uint8Array): void => {
      entry.status = status;
      res.writeHead(status, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    const path = (req.url ?? '').split('?')[0];
    const cdnMatch = /^\/cdn\/([0-9a-f]{64})\/(.+)$/.exec(path);
    if (cdnMatch !== null) {
      const blob = this.#blobs.get(cdnMatch[1]);
      if (blob === undefined) return send(404);
      return this.#serveBytes(req, res, entry, decodeURIComponent(cdnMatch[2]), blob.bytes, { ETag: `"${cdnMatch[1]}"` });
    }
    if (server === 'cdn') return send(404);

    const cacheMatch = /^\/api\/resolve-cache\/models\/([^/]+\/[^/]+)\/([0-9a-f]{40})\/(.+)$/.exec(path);
    if (cacheMatch !== null) {
      const file = this.repos.get(cacheMatch[1])?.commits[cacheMatch[2]]?.[decodeURIComponent(cacheMatch[3])];
      if (file === undefined) return send(404);
      return this.#serveBytes(req, res, entry, decodeURIComponent(cacheMatch[3]), file.bytes, { ETag: `"${gitSha1Hex(file.bytes)}"`, 'X-Repo-Commit': cacheMatch[2] });
    }

    const m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    if (m === null) return send(404);
    const [repoId, revision, name] = [m[1], decodeURIComponent(m[2]), decodeURIComponent(m[3])];
    const renamedTo = this.renamed.get(repoId);
    if (renamedTo !== undefined) return send(307, { Location: `/${renamedTo}/resolve/${m[2]}/${m[3]}` });
    const auth = req.headers.authorization;
    const repo = this.repos.get(repoId);
    if (repo === undefined) return send(auth === undefined ? 401 : 404, { 'X-Error-Code': 'RepoNotFound', 'X-Error-Message': 'Repository not found' });
    if (repo.access !== undefined && auth !== `Bearer ${repo.access.token}`) {
      const code = repo.access.kind === 'gated' ? 'GatedRepo' : 'RepoNotFound';
      return send(auth === undefined ? 401 : repo.access.kind === 'gated' ? 403 : 404, { 'X-Error-Code': code });
    }
    const commit = repo.refs[revision] ?? (repo.commits[revision] !== undefined ? revision : undefined);
    if (commit === undefined) return send(404, { 'X-Error-Code': 'RevisionNotFound' });
    const file = repo.commits[commit][name];
    if (file === undefined) return send(404, { 'X-Error-Code': 'EntryNotFound', 'X-Repo-Commit': commit });
    if (file.lfs) {
      const sha = sha256Hex(file.bytes);
      const pointer = new TextEncoder().encode(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha}\nsize ${file.bytes.byteLength}\n`);
      const cdnPath = `/cdn/${sha}/${encodeURIComponent(name)}?X-Amz-Signature=fake`;
      return send(302, {
        Location: this.options.lfsRedirect === 'relative' ? cdnPath : `${this.cdnUrl}${cdnPath}`,
        'X-Repo-Commit': commit,
        'X-Linked-Etag': `"${sha}"`,
        'X-Linked-Size': file.bytes.byteLength,
        ETag: `"${gitSha1Hex(pointer)}"`,
      });
    }
    if (this.options.resolveCache === true) {
      return send(307, { Location: `/api/resolve-cache/models/${repoId}/${commit}/${m[3]}`, 'X-Repo-Commit': commit });
    }
    return this.#serveBytes(req, res, entry, name, file.bytes, { ETag: `"${gitSha1Hex(file.bytes)}"`, 'X-Repo-Commit': commit });
  }

  #serveBytes(req: IncomingMessage, res: ServerResponse, entry: LoggedRequest, name: string, original: Uint8Array, headers: Record<string, string>): void {
    let bytes = original;
    if (this.faults.corrupt.has(name)) {
      bytes = original.slice();
      bytes[bytes.length >> 1] ^= 0xff;
    }
    const status = req.method === 'GET' ? take(this.faults.status, name) : undefined;
    if (status !== undefined) {
      entry.status = status.status;
      res.writeHead(status.status);
      res.end();
      return;
    }
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range !== null && !this.faults.ignoreRange) {
      start = Number(range[1]);
      if (start >= bytes.length) {
        entry.status = 416;
        res.writeHead(416, { 'Content-Range': `bytes */${bytes.length}` });
        res.end();
        return;
      }
    }
    const body = bytes.subarray(start);
    entry.status = start > 0 ? 206 : 200;
    res.writeHead(entry.status, {
      ...headers,
      'Accept-Ranges': 'bytes',
      'Content-Length': body.byteLength,
      ...(start > 0 && { 'Content-Range': `bytes ${start}-${bytes.length - 1}/${bytes.length}` }),
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const drop = take(this.faults.drop, name);
    if (drop !== undefined) {
      res.write(body.subarray(0, drop.bytes), () => res.socket?.destroy());
      return;
    }
    const stall = take(this.faults.stall, name);
    if (stall !== undefined) {
      res.write(body.subarray(0, stall.bytes));
      return;
    }
    res.end(body);
  }
}

function take<T extends { times: number }>(faults: Map<string, T>, name: string): T | undefined {
  const f = faults.get(name);
  if (f === undefined || f.times <= 0) return undefined;
  f.times--;
  return f;
}
