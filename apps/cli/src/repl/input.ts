import { createInterface } from 'node:readline';

export type Input = { kind: 'line'; text: string } | { kind: 'eof' } | { kind: 'interrupt' };

/**
 * Reads one line from a terminal with line editing and history (up/down). A fresh readline per
 * line, closed before the reply streams, so keys typed during a reply are not echoed into it.
 * Ctrl-D on an empty line is 'eof'; Ctrl-C is 'interrupt'. `history` (newest first) is updated.
 */
export function readTerminalLine(prompt: string, history: string[], stdin: NodeJS.ReadStream = process.stdin, stdout: NodeJS.WriteStream = process.stdout): Promise<Input> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: stdin, output: stdout, terminal: true, history: [...history], historySize: 1000, removeHistoryDuplicates: true });
    let settled = false;
    const finish = (v: Input): void => {
      if (settled) return;
      settled = true;
      rl.close();
      resolve(v);
    };
    rl.on('history', (h: string[]) => history.splice(0, history.length, ...h));
    rl.on('line', (text) => finish({ kind: 'line', text }));
    rl.on('SIGINT', () => {
      stdout.write('^C\n');
      finish({ kind: 'interrupt' });
    });
    rl.on('close', () => {
      if (!settled) stdout.write('\n');
      finish({ kind: 'eof' });
    });
    rl.setPrompt(prompt);
    rl.prompt();
  });
}

/** Lines of a non-terminal stdin (a pipe, a file), in order; ends at EOF. */
export function pipedLines(stdin: NodeJS.ReadStream = process.stdin): AsyncIterable<string> {
  return createInterface({ input: stdin, terminal: false, crlfDelay: Infinity });
}

/**
 * Calls `onInterrupt` on Ctrl-C while a reply streams: read as a raw keypress from a terminal
 * (other keys are swallowed), or as SIGINT otherwise. Returns the function that stops watching.
 */
export function watchInterrupt(onInterrupt: () => void, stdin: NodeJS.ReadStream = process.stdin): () => void {
  const onSignal = (): void => onInterrupt();
  process.on('SIGINT', onSignal);
  if (stdin.isTTY !== true) return () => process.off('SIGINT', onSignal);
  const onData = (b: Buffer): void => {
    if (b.includes(3)) onInterrupt();
  };
  stdin.setRawMode(true);
  stdin.on('data', onData);
  stdin.resume();
  return () => {
    stdin.off('data', onData);
    stdin.setRawMode(false);
    stdin.pause();
    process.off('SIGINT', onSignal);
  };
}
