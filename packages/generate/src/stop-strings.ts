import { InvalidOptionError } from './errors.js';

/**
 * Finds stop strings in streamed text, across any split into deltas. Text that could still be the
 * start of a stop string is held back; a matched stop string and everything after it is never
 * released.
 */
export class StopStringMatcher {
  readonly #stops: readonly string[];
  readonly #longest: number;
  #pending = '';

  constructor(stops: readonly string[]) {
    for (const s of stops) {
      if (typeof s !== 'string' || s.length === 0) throw new InvalidOptionError('stop', `stop strings must be non-empty strings, got ${JSON.stringify(s)}.`);
    }
    this.#stops = [...stops];
    this.#longest = stops.reduce((m, s) => Math.max(m, s.length), 0);
  }

  /**
   * Adds text. Returns the text now safe to release and, when a stop string completed, which one
   * (the text then ends right before it, and the matcher is done).
   */
  push(text: string): { text: string; stop: string | undefined } {
    const pending = this.#pending + text;
    let at = -1;
    let stop: string | undefined;
    for (const s of this.#stops) {
      const i = pending.indexOf(s);
      if (i >= 0 && (at < 0 || i < at)) {
        at = i;
        stop = s;
      }
    }
    if (stop !== undefined) {
      this.#pending = '';
      return { text: pending.slice(0, at), stop };
    }
    const hold = this.#heldSuffix(pending);
    this.#pending = pending.slice(pending.length - hold);
    return { text: pending.slice(0, pending.length - hold), stop: undefined };
  }

  /** Releases held text at the end of generation (it never became a stop string). */
  flush(): string {
    const out = this.#pending;
    this.#pending = '';
    return out;
  }

  /** Length of the longest suffix of `text` that is a proper prefix of some stop string. */
  #heldSuffix(text: string): number {
    for (let k = Math.min(text.length, this.#longest - 1); k > 0; k--) {
      const tail = text.slice(text.length - k);
      if (this.#stops.some((s) => s.startsWith(tail))) return k;
    }
    return 0;
  }
}
