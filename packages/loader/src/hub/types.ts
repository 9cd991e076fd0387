import type { ChecksumKind } from './checksum.js';
import type { HubSettingsOptions } from './settings.js';

export interface HubDownloadOptions extends HubSettingsOptions {
  /** branch, tag or commit sha; default the `@revision` of the id, else `main` */
  revision?: string;
  /** more files to fetch when the repository has them (e.g. `preprocessor_config.json`); 404 is fine */
  extraFiles?: readonly string[];
  /** called as bytes arrive, across all files of the call */
  onProgress?: (progress: HubProgress) => void;
  /** aborts requests and backoff waits; a partial file stays in the cache and is resumed next time */
  signal?: AbortSignal;
  /** the fetch to use (default: global fetch) */
  fetch?: typeof globalThis.fetch;
  /** a request fails when no headers or bytes arrive for this long; default 10 000 ms */
  timeoutMs?: number;
  /** retries per request, or in a row without new bytes for a download; default 5 */
  retries?: number;
  /** first retry delay, doubling per retry; default 500 ms */
  retryDelayMs?: number;
  /** snapshot files as relative symlinks to blobs (true), copies (false); default symlinks where the file system allows */
  symlinks?: boolean;
}

/** Download progress, across every file the call fetches. */
export interface HubProgress {
  repoId: string;
  /** the file being fetched now */
  file: string;
  fileLoadedBytes: number;
  fileTotalBytes: number;
  /** bytes of all files this call fetches that are on disk now (resumed parts count from the start) */
  loadedBytes: number;
  /** known up front from HEAD requests; excludes files that were already cached */
  totalBytes: number;
}

/** One file of a resolved snapshot. */
export interface HubFile {
  /** name in the repository, e.g. `model-00001-of-00002.safetensors` */
  name: string;
  /** `snapshots/<commit>/<name>` in the cache */
  path: string;
  size: number;
  /** `cache`: already in the snapshot; `blob`: its blob was cached, only the link is new; `download`: fetched now */
  source: 'cache' | 'blob' | 'download';
  /** the checksum this call verified (downloads only; null when the ETag allows none) */
  verified: ChecksumKind | null;
  /** how the snapshot entry refers to its blob, for entries this call made */
  link?: 'symlink' | 'copy';
}

/** A model resolved into the Hugging Face cache. */
export interface HubSnapshot {
  repoId: string;
  revision: string;
  commit: string;
  /** `.../models--org--name/snapshots/<commit>`: pass it to `loadConfig`, `Checkpoint.open`, `Tokenizer.fromDir` */
  dir: string;
  files: HubFile[];
  /** resolved without network (offline mode) */
  offline: boolean;
}

/** The files a checkpoint needs, in download order; the weights follow them. */
export const CHECKPOINT_FILES: readonly { name: string; required: boolean }[] = [
  { name: 'config.json', required: true },
  { name: 'generation_config.json', required: false },
  { name: 'tokenizer.json', required: true },
  { name: 'tokenizer_config.json', required: true },
  { name: 'chat_template.jinja', required: false },
];
