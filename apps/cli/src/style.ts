import type { GenerationTimings, StopReason } from '@qo/generate';

/** ANSI styling, only for terminals (and never when NO_COLOR is set). */
export function styler(stream: NodeJS.WriteStream): { dim(s: string): string; bold(s: string): string } {
  const on = stream.isTTY === true && !process.env.NO_COLOR;
  return {
    dim: (s) => (on && s.length > 0 ? `\x1b[2m${s}\x1b[22m` : s),
    bold: (s) => (on && s.length > 0 ? `\x1b[1m${s}\x1b[22m` : s),
  };
}

const REASONS: Record<StopReason, string> = { eos: 'end of reply', stop: 'stop string', length: 'token limit', abort: 'stopped' };

/** `[20 tokens · 512.3 tok/s · first token 14 ms · end of reply]`, the line printed on stderr after each reply. */
export function statsLine(t: GenerationTimings, reason: StopReason): string {
  const parts = [
    `${t.generatedTokens} token${t.generatedTokens === 1 ? '' : 's'}`,
    `${t.decodeTokensPerSecond.toFixed(1)} tok/s`,
    `first token ${Math.round(t.timeToFirstTokenMs)} ms`,
    `prompt ${t.promptTokens} tokens at ${t.prefillTokensPerSecond.toFixed(0)} tok/s`,
    REASONS[reason],
  ];
  return `[${parts.join(' · ')}]`;
}

/** 7.6 MB, 512 kB, 1.2 GB (decimal units, as download sizes are shown). */
export function bytes(n: number): string {
  if (n < 1e3) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n / 1e3;
  let u = 0;
  while (v >= 1e3 && u < units.length - 1) [v, u] = [v / 1e3, u + 1];
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[u]}`;
}

/** Lets pending I/O (a Ctrl-C keypress, a signal) through between tokens: the model's forward pass is synchronous. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
