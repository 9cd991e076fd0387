import { LoaderError } from '../errors.js';

/** Where a Hub failure happened: the repository, the file in it, the URL asked. */
export interface HubErrorSite {
  repoId?: string | undefined;
  file?: string | undefined;
  url?: string | undefined;
}

/** Base class of every Hub download and cache failure. */
export class HubError extends LoaderError {
  override name = 'HubError';
  readonly repoId: string | undefined;
  readonly file: string | undefined;
  readonly url: string | undefined;
  constructor(site: HubErrorSite, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.repoId = site.repoId;
    this.file = site.file;
    this.url = site.url;
  }
}

/** A model spec that is neither an existing directory nor an `org/name[@revision]` Hub id. */
export class ModelSpecError extends HubError {
  override name = 'ModelSpecError';
}

/** HF_ENDPOINT, the cache directory or the token file cannot be used. */
export class HubSettingsError extends HubError {
  override name = 'HubSettingsError';
}

/** The Hub answered 404: `what` says whether the repository, the revision or one file is missing. */
export class HubNotFoundError extends HubError {
  override name = 'HubNotFoundError';
  constructor(
    site: HubErrorSite,
    readonly what: 'repo' | 'revision' | 'file' | 'repo or file',
    message: string,
  ) {
    super(site, message);
  }
}

/** The Hub answered 401 or 403: a private or gated model and no (valid) token. */
export class HubAuthError extends HubError {
  override name = 'HubAuthError';
  constructor(
    site: HubErrorSite,
    readonly status: number,
    message: string,
  ) {
    super(site, message);
  }
}

/** Offline mode (HF_HUB_OFFLINE or `offline: true`) and the cache does not hold what is needed. */
export class HubOfflineError extends HubError {
  override name = 'HubOfflineError';
}

/** An HTTP status that is neither success nor one of the cases above (5xx after retries, 416, ...). */
export class HubHttpError extends HubError {
  override name = 'HubHttpError';
  constructor(
    site: HubErrorSite,
    readonly status: number,
    message: string,
  ) {
    super(site, message);
  }
}

/** The server could not be reached, or stopped sending, after every retry. */
export class HubConnectionError extends HubError {
  override name = 'HubConnectionError';
}

/** The server answered in a way the Hub never does: no X-Repo-Commit, no ETag or size, bad Content-Range. */
export class HubProtocolError extends HubError {
  override name = 'HubProtocolError';
}

/** The downloaded bytes do not hash to the ETag the Hub gave; the partial download was deleted. */
export class ChecksumMismatchError extends HubError {
  override name = 'ChecksumMismatchError';
  constructor(
    site: HubErrorSite,
    readonly algorithm: 'sha256' | 'git-sha1',
    readonly expected: string,
    readonly actual: string,
    message: string,
  ) {
    super(site, message);
  }
}

/** Reading or writing the cache directory failed (permissions, disk full, a broken refs file). */
export class HubCacheError extends HubError {
  override name = 'HubCacheError';
  constructor(
    site: HubErrorSite,
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(site, message, options);
  }
}
