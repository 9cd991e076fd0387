import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { HubCacheError } from './errors.js';

/** `Qwen/Qwen3-0.6B` → `models--Qwen--Qwen3-0.6B`, as huggingface_hub's repo_folder_name. */
export function repoFolderName(repoId: string): string {
  return ['models', ...repoId.split('/')].join('--');
}

/**
 * One model's folder in a Hugging Face Hub cache, laid out as huggingface_hub writes it:
 *
 * ```
 * models--org--name/
 *   blobs/<etag>                     file bytes, named by sha256 (LFS) or git sha1
 *   blobs/<etag>.incomplete          a download in progress (resumed with Range)
 *   refs/<revision>                  the commit sha the branch/tag pointed to (no newline)
 *   snapshots/<commit>/<file>        relative symlink ../../blobs/<etag> (a copy without symlinks)
 *   .no_exist/<commit>/<file>        empty: the file is known not to exist at that commit
 * ```
 */
export class RepoCache {
  readonly root: string;
  constructor(
    readonly cacheDir: string,
    readonly repoId: string,
  ) {
    this.root = join(cacheDir, repoFolderName(repoId));
  }

  blobPath(etag: string): string {
    return join(this.root, 'blobs', etag);
  }

  snapshotDir(commit: string): string {
    return join(this.root, 'snapshots', commit);
  }

  pointerPath(commit: string, file: string): string {
    return join(this.snapshotDir(commit), ...file.split('/'));
  }

  noExistPath(commit: string, file: string): string {
    return join(this.root, '.no_exist', commit, ...file.split('/'));
  }

  refPath(revision: string): string {
    return join(this.root, 'refs', ...revision.split('/'));
  }

  /** The commit sha `refs/<revision>` holds, or undefined when there is no such ref. */
  async readRef(revision: string): Promise<string | undefined> {
    const p = this.refPath(revision);
    let text: string;
    try {
      text = await readFile(p, 'utf8');
    } catch (cause) {
      if (isNotFound(cause)) return undefined;
      throw this.#fail(p, `cannot read ${p}`, cause);
    }
    const commit = text.trim();
    if (!/^[0-9a-f]{40}$/.test(commit)) {
      throw new HubCacheError({ repoId: this.repoId }, p, `${p} holds ${JSON.stringify(text.slice(0, 60))}, not a commit sha. Delete that file; it is rewritten on the next online download.`);
    }
    return commit;
  }

  /** Points `refs/<revision>` at `commit` (written to a temporary file, then renamed). */
  async writeRef(revision: string, commit: string): Promise<void> {
    if (revision === commit || (await this.readRef(revision)) === commit) return;
    const p = this.refPath(revision);
    await this.#atomically(p, (tmp) => writeFile(tmp, commit));
  }

  /** Whether a path exists (following symlinks: a snapshot link to a missing blob does not count). */
  async has(p: string): Promise<boolean> {
    try {
      await stat(p);
      return true;
    } catch (cause) {
      if (isNotFound(cause)) return false;
      throw this.#fail(p, `cannot stat ${p}`, cause);
    }
  }

  async size(p: string): Promise<number> {
    try {
      return (await stat(p)).size;
    } catch (cause) {
      throw this.#fail(p, `cannot stat ${p}`, cause);
    }
  }

  /** Records that `file` does not exist at `commit`. */
  async markMissing(commit: string, file: string): Promise<void> {
    const p = this.noExistPath(commit, file);
    try {
      await mkdir(dirname(p), { recursive: true });
      await writeFile(p, '');
    } catch (cause) {
      throw this.#fail(p, `cannot write ${p}`, cause);
    }
  }

  /**
   * Makes `snapshots/<commit>/<file>` point at the blob: a relative symlink, as huggingface_hub
   * makes, or a copy of the blob with `symlinks: false` or where the file system refuses symlinks
   * (Windows without developer mode). Replaces an existing pointer atomically; says which it made.
   */
  async link(etag: string, commit: string, file: string, symlinks: boolean | undefined): Promise<'symlink' | 'copy'> {
    const blob = this.blobPath(etag);
    const pointer = this.pointerPath(commit, file);
    if (symlinks !== false) {
      try {
        await this.#atomically(pointer, (tmp) => symlink(relative(dirname(pointer), blob), tmp));
        return 'symlink';
      } catch (e) {
        const code = ((e as { cause?: { code?: string } }).cause ?? {}).code;
        if (symlinks === true || !SYMLINK_REFUSED.has(code ?? '')) throw e;
      }
    }
    await this.#atomically(pointer, (tmp) => copyFile(blob, tmp));
    return 'copy';
  }

  /** Creates `path` through a temporary sibling and a rename, so readers never see half of it. */
  async #atomically(path: string, make: (tmp: string) => Promise<void>): Promise<void> {
    const tmp = join(dirname(path), `.qo-tmp-${randomBytes(6).toString('hex')}`);
    try {
      await mkdir(dirname(path), { recursive: true });
      await make(tmp);
      await rename(tmp, path);
    } catch (cause) {
      await rm(tmp, { force: true }).catch(() => undefined);
      throw this.#fail(path, `cannot write ${path}`, cause);
    }
  }

  #fail(path: string, what: string, cause: unknown): HubCacheError {
    const code = (cause as { code?: string }).code;
    const hint =
      code === 'EPERM' || code === 'EACCES'
        ? ' Check the permissions of the cache, or point HF_HUB_CACHE at a writable directory.'
        : code === 'ENOSPC'
          ? ' The disk is full; free space or point HF_HUB_CACHE elsewhere.'
          : ' Check the cache directory (HF_HUB_CACHE / HF_HOME).';
    return new HubCacheError({ repoId: this.repoId }, path, `${what} (${code ?? String(cause)}).${hint}`, { cause });
  }

  fail(path: string, what: string, cause: unknown): HubCacheError {
    return this.#fail(path, what, cause);
  }
}

/** Errors of a file system that cannot make symlinks (as opposed to a directory we cannot write). */
const SYMLINK_REFUSED = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EINVAL']);

export function isNotFound(e: unknown): boolean {
  const code = (e as { code?: string }).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
