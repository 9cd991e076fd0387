import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';

export const REPO = join(import.meta.dirname, '../../..');
export const CLI = join(import.meta.dirname, '../dist/cli.js');
export const FIXTURES = join(REPO, 'reference/fixtures');
/** The embedded default model, as committed. */
export const FORTUNE = join(FIXTURES, 'qo-fortune');
/** A random 2-layer model with the real Qwen3 vocabulary: it almost never says EOS, so its replies run long. */
export const RAMBLER = join(FIXTURES, 'qwen3-e2e-chat/model');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Tests never reach the network: Hub ids resolve offline against an (empty unless given) cache. */
const OFFLINE = { HF_HUB_OFFLINE: '1', HF_HUB_CACHE: join(REPO, 'no-such-hf-cache') };

/** Runs the built `qo` as a person would (node dist/cli.js ARGS), from the repository root. */
export function qo(...args: string[]): Promise<Run> {
  return qoWith({}, ...args);
}

/** `qo` with more environment variables. */
export function qoWith(env: Record<string, string>, ...args: string[]): Promise<Run> {
  expect(existsSync(CLI), `${CLI} is missing: run \`pnpm --filter @qo/cli build\` (pnpm test builds first)`).toBe(true);
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: REPO, env: { ...process.env, NO_COLOR: '1', ...OFFLINE, ...env }, maxBuffer: 1 << 26 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}
