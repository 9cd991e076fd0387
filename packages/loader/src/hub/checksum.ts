import { createHash, type Hash } from 'node:crypto';

/**
 * What the Hub's ETag lets us check. LFS files: X-Linked-Etag is the sha256 of the bytes. Files in
 * git: the ETag is the git blob sha1, sha1("blob <size>\0" + bytes), as `git hash-object` computes.
 */
export type ChecksumKind = 'sha256' | 'git-sha1';

/** The check an etag allows, or null when it is neither form (a mirror's own etags). */
export function checksumKind(etag: string, linked: boolean): ChecksumKind | null {
  if (/^[0-9a-fA-F]{64}$/.test(etag)) return 'sha256';
  if (!linked && /^[0-9a-fA-F]{40}$/.test(etag)) return 'git-sha1';
  return null;
}

/** An incremental hash of a file of known size, restartable when a download starts over. */
export class Checksum {
  #hash: Hash;
  constructor(
    readonly kind: ChecksumKind,
    readonly size: number,
  ) {
    this.#hash = this.#fresh();
  }

  update(bytes: Uint8Array): void {
    this.#hash.update(bytes);
  }

  reset(): void {
    this.#hash = this.#fresh();
  }

  /** Lowercase hex. */
  digest(): string {
    return this.#hash.digest('hex');
  }

  #fresh(): Hash {
    if (this.kind === 'sha256') return createHash('sha256');
    return createHash('sha1').update(`blob ${this.size}\0`);
  }
}
