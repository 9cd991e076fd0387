import { execFileSync, spawnSync } from 'node:child_process';

/**
 * A terminal a test can type into and read, as a person would: tmux on a private socket, one
 * session per instance. `send` is tmux send-keys (key names such as Enter, C-c, C-d, Up), `screen`
 * is capture-pane.
 */
export class Tmux {
  static #n = 0;
  readonly socket = `qo-cli-test-${process.pid}`;
  readonly session = `s${Tmux.#n++}`;

  /** Fails (never skips) where tmux is missing: CI must `apt-get install -y tmux`. */
  static check(): void {
    const r = spawnSync('tmux', ['-V'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error('tmux is not installed; the REPL tests drive qo chat through it. Install it: apt-get install -y tmux');
  }

  constructor(command: string, cwd: string, size = { width: 120, height: 50 }) {
    this.#tmux('new-session', '-d', '-s', this.session, '-x', String(size.width), '-y', String(size.height), '-c', cwd, command);
  }

  send(...keys: string[]): void {
    this.#tmux('send-keys', '-t', this.session, ...keys);
  }

  /** Types text literally (no key-name lookup). */
  type(text: string): void {
    this.#tmux('send-keys', '-t', this.session, '-l', text);
  }

  /** The screen and its scrollback, wrapped lines joined, trailing spaces and blank lines dropped (no final newline). */
  screen(): string {
    const text = this.#tmux('capture-pane', '-p', '-J', '-S', '-1000', '-t', this.session);
    return text
      .split('\n')
      .map((l) => l.trimEnd())
      .join('\n')
      .replace(/\n+$/, '');
  }

  /** Polls the screen until `re` matches; returns the match. */
  async waitFor(re: RegExp, timeoutMs = 20_000): Promise<RegExpExecArray> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const m = re.exec(this.screen());
      if (m) return m;
      if (Date.now() > end) throw new Error(`the screen never showed ${re} within ${timeoutMs} ms; it shows:\n${this.screen()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  kill(): void {
    spawnSync('tmux', ['-L', this.socket, 'kill-session', '-t', this.session]);
  }

  #tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
  }
}
