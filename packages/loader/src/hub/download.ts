import { INDEX_FILE } from '../checkpoint.js';
import { RepoCache } from './cache.js';
import { ModelSpecError } from './errors.js';
import { fetchBlob } from './fetch-blob.js';
import type { HttpSettings } from './http.js';
import { snapshotFromCache } from './offline.js';
import { Planner, type PlanEntry } from './plan.js';
import { hubSettings } from './settings.js';
import { shardFiles } from './shards.js';
import { isRepoFileName, parseHubId, revisionOf } from './spec.js';
import { CHECKPOINT_FILES, type HubDownloadOptions, type HubFile, type HubSnapshot } from './types.js';

/**
 * Brings a Hub model (`org/name`, optionally `@revision`) into the Hugging Face cache, laid out as
 * huggingface_hub lays it out so transformers and qo share it, and returns its snapshot directory:
 * config.json, generation_config.json (if any), tokenizer.json, tokenizer_config.json,
 * chat_template.jinja (if any), and model.safetensors or the index and every shard it names.
 * Files already in the snapshot are not fetched again; offline mode reads only the cache.
 */
export async function downloadModel(repoId: string, options: HubDownloadOptions = {}): Promise<HubSnapshot> {
  const id = parseHubId(repoId);
  if (id === undefined) {
    throw new ModelSpecError({ repoId }, `${JSON.stringify(repoId)} is not a Hub model id. Write it as org/name, optionally @revision (e.g. Qwen/Qwen3-0.6B@main).`);
  }
  const revision = revisionOf(id, options.revision);
  const extra = options.extraFiles ?? [];
  for (const f of extra) {
    if (!isRepoFileName(f)) throw new ModelSpecError({ repoId: id.repoId, file: f }, `extraFiles: ${JSON.stringify(f)} is not a file name inside a repository (relative, no . or .. parts).`);
  }
  const settings = await hubSettings(options);
  const cache = new RepoCache(settings.cacheDir, id.repoId);
  if (settings.offline) return snapshotFromCache(cache, revision, extra);

  const http: HttpSettings = {
    fetch: options.fetch ?? globalThis.fetch,
    endpoint: settings.endpoint,
    token: settings.token,
    timeoutMs: options.timeoutMs ?? 10_000,
    retries: options.retries ?? 5,
    retryDelayMs: options.retryDelayMs ?? 500,
    signal: options.signal,
  };
  const plan = new Planner(http, cache, id.repoId, revision);
  const run = new Run(http, cache, plan, options);

  const config = await plan.pinCommit();
  const entries: PlanEntry[] = [];
  const add = (e: PlanEntry | undefined): void => {
    if (e !== undefined) entries.push(e);
  };
  for (const f of CHECKPOINT_FILES) add(await plan.probe(f.name, f.required, f.name === 'config.json' ? config : undefined));
  for (const f of extra) if (!CHECKPOINT_FILES.some((c) => c.name === f)) add(await plan.probe(f, false));
  const weights = await plan.weights();
  entries.push(weights);
  if (weights.name === INDEX_FILE) {
    // The shard list is in the index, so it is fetched now, before the total is known.
    await run.materialize(weights, false);
    for (const shard of await shardFiles(cache.pointerPath(plan.commit, INDEX_FILE))) add(await plan.probe(shard, true));
  }

  run.totalBytes = run.loadedBytes + entries.reduce((n, e) => n + (e.state === 'fetch' && !run.done.has(e.name) ? e.meta.size : 0), 0);
  for (const e of entries) if (!run.done.has(e.name)) await run.materialize(e, true);
  return { repoId: id.repoId, revision, commit: plan.commit, dir: cache.snapshotDir(plan.commit), files: entries.map((e) => run.done.get(e.name) as HubFile), offline: false };
}

/** Executes plan entries: fetches blobs, links snapshot entries, reports progress. */
class Run {
  totalBytes = 0;
  loadedBytes = 0;
  readonly done = new Map<string, HubFile>();

  constructor(
    readonly http: HttpSettings,
    readonly cache: RepoCache,
    readonly plan: Planner,
    readonly options: HubDownloadOptions,
  ) {}

  /** Brings one entry into the snapshot. */
  async materialize(e: PlanEntry, report: boolean): Promise<void> {
    const path = this.cache.pointerPath(this.plan.commit, e.name);
    if (e.state === 'cached') {
      this.done.set(e.name, { name: e.name, path, size: e.size, source: 'cache', verified: null });
      return;
    }
    let verified: HubFile['verified'] = null;
    // A blob planned for fetching may have arrived meanwhile (two files with one etag).
    const fetch = e.state === 'fetch' && !(await this.cache.has(this.cache.blobPath(e.meta.etag)));
    if (fetch) {
      const base = this.loadedBytes;
      const onBytes = (n: number): void => {
        this.loadedBytes = base + n;
        if (report) {
          this.options.onProgress?.({
            repoId: this.plan.repoId,
            file: e.name,
            fileLoadedBytes: n,
            fileTotalBytes: e.meta.size,
            loadedBytes: this.loadedBytes,
            totalBytes: this.totalBytes,
          });
        }
      };
      verified = await fetchBlob(this.http, this.cache, { repoId: this.plan.repoId, file: e.name, url: e.url, etag: e.meta.etag, linked: e.meta.linked, size: e.meta.size }, onBytes);
      this.loadedBytes = base + e.meta.size;
    }
    const link = await this.cache.link(e.meta.etag, this.plan.commit, e.name, this.options.symlinks);
    this.done.set(e.name, { name: e.name, path, size: e.meta.size, source: fetch ? 'download' : 'blob', verified, link });
  }
}
