import { bytes } from './style.js';

const WIDTH = 24;

/**
 * A one-line progress bar on a terminal stream (redrawn at most every 50 ms, erased when done).
 * On anything that is not a TTY it prints nothing.
 */
export class ProgressBar {
  #last = 0;
  #drawn = false;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private label: string,
  ) {}

  /** Redraws with `done` of `total` bytes (and a new label, when given). */
  update(done: number, total: number, label?: string): void {
    if (label !== undefined && label !== this.label) [this.label, this.#last] = [label, 0];
    if (this.stream.isTTY !== true) return;
    const now = Date.now();
    if (done < total && now - this.#last < 50) return;
    this.#last = now;
    const f = total > 0 ? Math.min(1, done / total) : 0;
    const full = Math.round(f * WIDTH);
    const bar = '█'.repeat(full) + '░'.repeat(WIDTH - full);
    const pct = `${Math.floor(f * 100)}`.padStart(3);
    this.stream.write(`\r\x1b[2K${this.label} ${bar} ${pct}% ${bytes(done)} / ${bytes(total)}`);
    this.#drawn = true;
  }

  /** Erases the bar. */
  done(): void {
    if (this.#drawn) this.stream.write('\r\x1b[2K');
    this.#drawn = false;
  }
}
