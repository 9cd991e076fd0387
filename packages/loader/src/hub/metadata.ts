import { HubProtocolError, type HubErrorSite } from './errors.js';
import { failStatus, follow, resolveUrl, withRetries, type HttpSettings } from './http.js';

/** What a HEAD on a resolve URL says about one file, as huggingface_hub's get_hf_file_metadata reads it. */
export interface FileMetadata {
  kind: 'found';
  /** X-Repo-Commit: the commit the revision points to */
  commit: string;
  /** X-Linked-Etag (LFS: the sha256) or ETag (git blob sha1), quotes and W/ removed: the blob's name */
  etag: string;
  /** true when the etag came from X-Linked-Etag */
  linked: boolean;
  /** X-Linked-Size or Content-Length */
  size: number;
}

/** The file is not in the repository at that revision (404 EntryNotFound, or a 404 without code). */
export interface FileMissing {
  kind: 'missing';
  /** X-Repo-Commit of the 404, when the Hub sent it */
  commit: string | undefined;
  /** true when the Hub said EntryNotFound (the repository itself exists) */
  certain: boolean;
}

/**
 * HEADs `{endpoint}/{repo}/resolve/{revision}/{file}`, following redirects within the endpoint's
 * origin (renamed repos, /api/resolve-cache) but not to a CDN. Linked headers are taken from the
 * first response that has them, since a CDN answer lacks them.
 */
export async function headFile(http: HttpSettings, repoId: string, revision: string, file: string): Promise<FileMetadata | FileMissing> {
  const url = resolveUrl(http.endpoint, repoId, revision, file);
  const site: HubErrorSite = { repoId, file, url };
  const what = `${repoId}@${revision}: HEAD ${file}`;
  return withRetries(http, async () => {
    const { ex, chain } = await follow(http, 'HEAD', url, {}, site, true);
    await ex.end();
    const r = ex.response;
    const first = (name: string): string | undefined => chain.map((h) => h.get(name)).find((v) => v !== null) ?? undefined;
    const commit = first('x-repo-commit');
    if (r.status === 404 && r.headers.get('x-error-code') === 'EntryNotFound') return { kind: 'missing', commit, certain: true };
    if (r.status === 404 && r.headers.get('x-error-code') === null) return { kind: 'missing', commit, certain: false };
    const redirected = r.status >= 300 && r.status <= 399;
    if (!redirected && (r.status < 200 || r.status > 299)) return failStatus(http, ex, site, what);
    const bad = (msg: string): never => {
      throw new HubProtocolError(site, `${what}: ${msg}. ${http.endpoint} does not answer like the Hugging Face Hub; check HF_ENDPOINT or your proxy.`);
    };
    if (commit === undefined) return bad('the response has no X-Repo-Commit header');
    if (!/^[0-9a-f]{40}$/.test(commit)) return bad(`X-Repo-Commit ${JSON.stringify(commit)} is not a 40-character commit sha`);
    const linkedEtag = first('x-linked-etag');
    const rawEtag = linkedEtag ?? (redirected ? undefined : (r.headers.get('etag') ?? undefined));
    if (rawEtag === undefined) return bad(redirected ? 'a redirect to another host without X-Linked-Etag' : 'the response has no ETag');
    const etag = normalizeEtag(rawEtag);
    if (!/^[\w.+=-]{1,128}$/.test(etag)) return bad(`ETag ${JSON.stringify(rawEtag)} cannot name a cache blob`);
    const rawSize = first('x-linked-size') ?? (redirected ? undefined : (r.headers.get('content-length') ?? undefined));
    if (rawSize === undefined) return bad(redirected ? 'a redirect to another host without X-Linked-Size' : 'the response has no Content-Length');
    if (!/^\d+$/.test(rawSize) || !Number.isSafeInteger(Number(rawSize))) return bad(`file size ${JSON.stringify(rawSize)} is not a byte count`);
    return { kind: 'found', commit, etag, linked: linkedEtag !== undefined, size: Number(rawSize) };
  });
}

/** `W/"abc"` or `"abc"` → `abc`, as huggingface_hub's _normalize_etag. */
export function normalizeEtag(etag: string): string {
  const e = etag.trim();
  return (e.startsWith('W/') ? e.slice(2) : e).replace(/^"|"$/g, '');
}
