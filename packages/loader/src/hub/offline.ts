import { INDEX_FILE, SINGLE_FILE } from '../checkpoint.js';
import type { RepoCache } from './cache.js';
import { HubOfflineError } from './errors.js';
import { shardFiles } from './shards.js';
import { isCommitHash } from './spec.js';
import { CHECKPOINT_FILES, type HubFile, type HubSnapshot } from './types.js';

/**
 * Offline mode: the revision through `refs/<revision>` (or as a commit sha) to
 * `snapshots/<commit>/`, which must hold every required file. No network.
 */
export async function snapshotFromCache(cache: RepoCache, revision: string, extraFiles: readonly string[]): Promise<HubSnapshot> {
  const { repoId } = cache;
  const hint = 'Unset HF_HUB_OFFLINE (or pass offline: false) to download it.';
  const commit = isCommitHash(revision) ? revision : await cache.readRef(revision);
  if (commit === undefined) {
    throw new HubOfflineError(
      { repoId, file: 'config.json' },
      `${repoId}@${revision} is not in the cache: offline mode is on (HF_HUB_OFFLINE) and ${cache.refPath(revision)} does not exist, so config.json and the rest were never downloaded there. ${hint}`,
    );
  }
  const files: HubFile[] = [];
  const take = async (name: string, required: boolean, label = name): Promise<boolean> => {
    const path = cache.pointerPath(commit, name);
    if (await cache.has(path)) {
      files.push({ name, path, size: await cache.size(path), source: 'cache', verified: null });
      return true;
    }
    if (required) {
      throw new HubOfflineError(
        { repoId, file: name },
        `${repoId}@${revision}: ${label} is missing from the cache (${path}) and offline mode is on (HF_HUB_OFFLINE). ${hint}`,
      );
    }
    return false;
  };
  for (const f of CHECKPOINT_FILES) await take(f.name, f.required);
  for (const name of extraFiles) await take(name, false);
  if (await take(INDEX_FILE, false)) {
    for (const shard of await shardFiles(cache.pointerPath(commit, INDEX_FILE))) await take(shard, true);
  } else {
    await take(SINGLE_FILE, true, `${SINGLE_FILE} (and ${INDEX_FILE})`);
  }
  return { repoId, revision, commit, dir: cache.snapshotDir(commit), files, offline: true };
}
