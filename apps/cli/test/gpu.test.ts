import { execFile } from 'node:child_process';
import { acquireDevice } from '@qo/gpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, qo, REPO } from './helpers.js';

/** lavapipe on CPU machines. With CI set, no adapter is a failure; without it the suite says loudly that it skipped. */
let hasGpu = false;
beforeAll(async () => {
  try {
    (await acquireDevice()).destroy();
    hasGpu = true;
  } catch (e) {
    if (process.env.CI) throw e;
    console.error(`\n!!! qo --device gpu tests SKIPPED: no WebGPU adapter (${String(e)})\n!!! With CI set this is a failure.\n`);
  }
});

/** `qo ARGS` with `input` on stdin (a pipe). */
function qoPiped(input: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args], { cwd: REPO, env: { ...process.env, NO_COLOR: '1', HF_HUB_OFFLINE: '1' } }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(input);
  });
}

describe('qo --device gpu', () => {
  it('qo run: the same continuation as the CPU, greedy and seeded, in bf16 and q8_0', async () => {
    if (!hasGpu) return;
    for (const flags of [['--greedy', '--dtype', 'bf16'], ['--seed', '3', '--temperature', '0.8', '--top-k', '40', '--dtype', 'q8_0']]) {
      const args = ['run', 'Once upon a time', '-n', '24', '--json', ...flags];
      const cpu = await qo(...args);
      const gpu = await qo(...args, '--device', 'gpu');
      expect(gpu.code, gpu.stderr).toBe(0);
      const [c, g] = [JSON.parse(cpu.stdout), JSON.parse(gpu.stdout)];
      expect(g.text).toBe(c.text);
      expect(g.text.length).toBeGreaterThan(0);
    }
  });

  it('qo chat: the banner says gpu and the reply comes', async () => {
    if (!hasGpu) return;
    const r = await qoPiped('Tell me a fortune\n', 'chat', '--device', 'gpu', '--seed', '1', '-n', '20');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^qo chat · qo-fortune · qwen3 · bf16 · gpu · context 1024 tokens\n/);
    expect(r.stdout).toMatch(/> Tell me a fortune\n\S/);
  });
});
