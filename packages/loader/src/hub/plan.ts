import { INDEX_FILE, SINGLE_FILE } from '../checkpoint.js';
import type { RepoCache } from './cache.js';
import { HubNotFoundError, HubProtocolError } from './errors.js';
import { resolveUrl, type HttpSettings } from './http.js';
import { headFile, type FileMetadata, type FileMissing } from './metadata.js';
import { isCommitHash } from './spec.js';

/** What one file of the snapshot needs. */
export type PlanEntry =
  | { name: string; state: 'cached'; size: number }
  | { name: string; state: 'blob' | 'fetch'; meta: FileMetadata; url: string };

/**
 * Online planning, one HEAD per file not yet in the snapshot. A branch or tag is resolved to its
 * commit once (HEAD config.json, X-Repo-Commit) and every file is then asked for at that commit, so
 * all files come from the same commit and a file already in `snapshots/<commit>/` needs no request.
 */
export class Planner {
  commit = '';
  readonly #fetching = new Set<string>();

  constructor(
    readonly http: HttpSettings,
    readonly cache: RepoCache,
    readonly repoId: string,
    readonly revision: string,
  ) {}

  /** Finds the commit of the revision (and writes refs/<revision>); returns config.json's metadata when it had to ask. */
  async pinCommit(): Promise<FileMetadata | undefined> {
    if (isCommitHash(this.revision)) {
      this.commit = this.revision;
      return undefined;
    }
    const m = await headFile(this.http, this.repoId, this.revision, 'config.json');
    if (m.kind === 'missing') throw this.#notFound('config.json', m, this.revision);
    this.commit = m.commit;
    await this.cache.writeRef(this.revision, m.commit);
    return m;
  }

  /** The file's state, or undefined when it is optional and absent at the commit. */
  async probe(name: string, required: boolean, known?: FileMetadata): Promise<PlanEntry | undefined> {
    const pointer = this.cache.pointerPath(this.commit, name);
    if (await this.cache.has(pointer)) return { name, state: 'cached', size: await this.cache.size(pointer) };
    if (!required && (await this.cache.has(this.cache.noExistPath(this.commit, name)))) return undefined;
    const m = known ?? (await headFile(this.http, this.repoId, this.commit, name));
    if (m.kind === 'missing') {
      if (required) throw this.#notFound(name, m, this.commit);
      if (m.commit !== undefined) await this.cache.markMissing(m.commit, name);
      return undefined;
    }
    if (m.commit !== this.commit) {
      throw new HubProtocolError(
        { repoId: this.repoId, file: name },
        `${this.repoId}: HEAD ${name} at commit ${this.commit} answered X-Repo-Commit ${m.commit}. Check HF_ENDPOINT or your proxy.`,
      );
    }
    const url = resolveUrl(this.http.endpoint, this.repoId, this.commit, name);
    const known2 = this.#fetching.has(m.etag) || (await this.cache.has(this.cache.blobPath(m.etag)));
    if (!known2) this.#fetching.add(m.etag);
    return { name, state: known2 ? 'blob' : 'fetch', meta: m, url };
  }

  /**
   * The weights entry: an index already in the snapshot wins (Checkpoint.open reads it first), then
   * a cached model.safetensors, then the Hub: model.safetensors, else model.safetensors.index.json.
   */
  async weights(): Promise<PlanEntry> {
    const indexPointer = this.cache.pointerPath(this.commit, INDEX_FILE);
    if (await this.cache.has(indexPointer)) return { name: INDEX_FILE, state: 'cached', size: await this.cache.size(indexPointer) };
    const single = await this.probe(SINGLE_FILE, false);
    if (single !== undefined) return single;
    const index = await this.probe(INDEX_FILE, false);
    if (index !== undefined) return index;
    throw new HubNotFoundError(
      { repoId: this.repoId, file: SINGLE_FILE },
      'file',
      `${this.repoId}@${this.revision} (commit ${this.commit}) has neither ${SINGLE_FILE} nor ${INDEX_FILE}. qo loads safetensors checkpoints only; pick a repository that has them.`,
    );
  }

  #notFound(name: string, m: FileMissing, at: string): HubNotFoundError {
    const url = resolveUrl(this.http.endpoint, this.repoId, at, name);
    return m.certain
      ? new HubNotFoundError({ repoId: this.repoId, file: name, url }, 'file', `${this.repoId}@${at}: the repository has no ${name} (404). qo needs config.json, tokenizer.json, tokenizer_config.json and safetensors weights; check the id and revision.`)
      : new HubNotFoundError({ repoId: this.repoId, file: name, url }, 'repo or file', `${this.repoId}@${at}: ${url} not found (404): the repository, the revision or its ${name} does not exist. Check the id and revision.`);
  }
}
