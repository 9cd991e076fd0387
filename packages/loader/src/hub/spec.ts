import { ModelSpecError } from './errors.js';

/** The revision used when none is given, as in huggingface_hub. */
export const DEFAULT_REVISION = 'main';

/** A Hub model id split into repository and (optional) revision. */
export interface HubModelId {
  /** `org/name` */
  repoId: string;
  /** Branch, tag or commit sha after `@`, or undefined. */
  revision: string | undefined;
}

// One part of a repo id, as huggingface_hub's validate_repo_id: word characters, '-' and '.',
// starting and ending with a word character, at most 96 long, no '--' or '..'.
const PART = /^[A-Za-z0-9_](?:[\w.-]{0,94}[A-Za-z0-9_])?$/;

/** A 40-character lowercase hex commit sha. */
export function isCommitHash(revision: string): boolean {
  return /^[0-9a-f]{40}$/.test(revision);
}

/**
 * Parses `org/name` or `org/name@revision` (`Qwen/Qwen3-0.6B@main`, `...@refs/pr/1`, `...@<sha>`).
 * Returns undefined for anything else, so callers can treat it as a local path instead.
 */
export function parseHubId(spec: string): HubModelId | undefined {
  const at = spec.indexOf('@');
  const repoId = at < 0 ? spec : spec.slice(0, at);
  const revision = at < 0 ? undefined : spec.slice(at + 1);
  const parts = repoId.split('/');
  if (parts.length !== 2 || !parts.every(isRepoPart)) return undefined;
  if (revision !== undefined && !isRevision(revision)) return undefined;
  return { repoId, revision };
}

/** `org/name` as the Hub spells repository ids. */
export function isHubId(spec: string): boolean {
  return parseHubId(spec) !== undefined;
}

function isRepoPart(p: string): boolean {
  return PART.test(p) && !p.includes('--') && !p.includes('..') && !p.endsWith('.git');
}

/**
 * A revision becomes a file path under `refs/` (`refs/pr/1` → `refs/refs/pr/1`), so it must be a
 * relative path without empty, `.` or `..` segments, as git ref names are.
 */
export function isRevision(r: string): boolean {
  if (r === '' || /[\s\\:*?"<>|~^]/.test(r)) return false;
  return r.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}

/** A repo file name (`config.json`, `onnx/model.onnx`): relative, `/`-separated, no `.`/`..` segments. */
export function isRepoFileName(f: string): boolean {
  if (f === '' || f.includes('\\') || f.startsWith('/')) return false;
  return f.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}

/** Merges the `@revision` of an id with an explicit `revision` option; they must agree. */
export function revisionOf(id: HubModelId, option: string | undefined): string {
  if (option !== undefined && !isRevision(option)) {
    throw new ModelSpecError({ repoId: id.repoId }, `revision ${JSON.stringify(option)} is not a branch, tag or commit name. Pass e.g. "main" or a 40-character commit sha.`);
  }
  if (id.revision !== undefined && option !== undefined && id.revision !== option) {
    throw new ModelSpecError(
      { repoId: id.repoId },
      `${id.repoId}: the id says revision "${id.revision}" but the revision option says "${option}". Give the revision once.`,
    );
  }
  return id.revision ?? option ?? DEFAULT_REVISION;
}
