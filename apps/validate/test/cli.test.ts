import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { runChecks } from '../src/checks.js';
import { FixtureError } from '../src/errors.js';
import type { Report } from '../src/report.js';
import { parseCliArgs, runCli } from '../src/run-cli.js';
import { THRESHOLDS } from '../src/thresholds.js';
import { FakeModel, syntheticFixture } from './fake.js';
import { CLI, FIXTURES, REPO, copyFixture, editBf16Tensor, editJson, removeTemps } from './fixtures.js';

afterAll(removeTemps);

function capture() {
  const out = { stdout: '', stderr: '' };
  return {
    out,
    io: { stdout: { write: (s: string) => (out.stdout += s) }, stderr: { write: (s: string) => (out.stderr += s) } },
  };
}

const fakeReport = (scale = 1) => async (): Promise<Report> => {
  const fx = syntheticFixture();
  return runChecks(fx, new FakeModel(fx, { scale: { 'layers.1': scale } }), { thresholds: THRESHOLDS.bf16, dtype: 'bf16' });
};

describe('parseCliArgs', () => {
  it('defaults to cpu and bf16', () => {
    expect(parseCliArgs(['--fixture', 'x'])).toEqual({ fixture: 'x', device: 'cpu', dtype: 'bf16', json: false });
    expect(parseCliArgs(['--fixture=x', '--dtype', 'q8_0', '--json', '--device', 'gpu'])).toEqual({ fixture: 'x', device: 'gpu', dtype: 'q8_0', json: true });
    expect(parseCliArgs(['--help'])).toBe('help');
  });

  it.each([
    [[], /--fixture DIR is required/],
    [['--fixture', 'x', '--dtype', 'f16'], /--dtype must be one of f32, bf16, q8_0, got 'f16'/],
    [['--fixture', 'x', '--device', 'tpu'], /--device must be one of cpu, gpu, got 'tpu'/],
    [['--fixture', 'x', '--fast'], /Unknown option '--fast'/],
    [['--fixture', 'x', 'extra'], /Unexpected argument 'extra'/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseCliArgs(argv)).toThrow(message);
  });
});

describe('runCli exit codes and output', () => {
  it('0 and the table on a pass', async () => {
    const { out, io } = capture();
    expect(await runCli(['--fixture', 'syn'], io, fakeReport())).toBe(0);
    expect(out.stdout.trimEnd().split('\n').at(-1)).toBe('PASS 11/11 checks');
    expect(out.stderr).toBe('');
  });

  it('1 and the first drift on a failure', async () => {
    const { out, io } = capture();
    expect(await runCli(['--fixture', 'syn'], io, fakeReport(1.01))).toBe(1);
    expect(out.stdout.trimEnd().split('\n').at(-1)).toMatch(/^FAIL: first drift at layers\.1 \(relL2 1e-2 > 1e-4\)/);
  });

  it('--json prints exactly one JSON object with the same verdict', async () => {
    const { out, io } = capture();
    expect(await runCli(['--fixture', 'syn', '--json'], io, fakeReport(1.01))).toBe(1);
    const j = JSON.parse(out.stdout);
    expect(j.ok).toBe(false);
    expect(j.verdict).toMatch(/^FAIL: first drift at layers\.1/);
  });

  it('2 and one line on stderr for usage and fixture errors', async () => {
    const usage = capture();
    expect(await runCli(['--fixture', 'x', '--dtype', 'int4'], usage.io, fakeReport())).toBe(2);
    expect(usage.out.stderr).toBe("qo-validate: --dtype must be one of f32, bf16, q8_0, got 'int4' (qo-validate --help for usage)\n");
    expect(usage.out.stdout).toBe('');

    const fixture = capture();
    const broken = async (): Promise<Report> => {
      throw new FixtureError('/f/reference.json', 'not valid JSON');
    };
    expect(await runCli(['--fixture', '/f', '--json'], fixture.io, broken)).toBe(2);
    expect(fixture.out.stderr).toBe('qo-validate: /f/reference.json: not valid JSON\n');
    expect(JSON.parse(fixture.out.stdout)).toEqual({ ok: false, error: { name: 'FixtureError', message: '/f/reference.json: not valid JSON' } });
  });

  it('rethrows what is not a ValidateError (a bug deserves its stack)', async () => {
    const { io } = capture();
    await expect(runCli(['--fixture', 'x'], io, async () => { throw new TypeError('boom'); })).rejects.toThrow('boom');
  });
});

describe('the built CLI as a child process', () => {
  const run = async (...args: string[]) => {
    expect(existsSync(CLI), `${CLI} is missing: run \`pnpm --filter qo-validate build\` (pnpm test builds first)`).toBe(true);
    try {
      const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], { cwd: REPO });
      return { code: 0, stdout, stderr };
    } catch (e) {
      const err = e as { code: number; stdout: string; stderr: string };
      return { code: err.code, stdout: err.stdout, stderr: err.stderr };
    }
  };

  it('passes a committed fixture: exit 0, a table, PASS', async () => {
    const r = await run('--fixture', 'reference/fixtures/qwen3-moe', '--dtype', 'q8_0');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^layers\.2\.router_logits +\S+ +\S+ +\S+ +0\.99\d+ +1\.000 +relL2≤1e-1 cos≥0\.998 +ok$/m);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('PASS 20/20 checks');
  });

  it('fails a mutated copy: exit 1 and the layer in the verdict', async () => {
    const dir = await copyFixture('qwen3-gqa');
    await editBf16Tensor(join(dir, 'model'), 'model.layers.1.mlp.down_proj.weight', (w) => w.map((x) => x * 1.5));
    const r = await run('--fixture', dir, '--json');
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.verdict).toMatch(/^FAIL: first drift at layers\.1 /);
    expect(j.checks.find((c: { name: string }) => c.name === 'layers.0').ok).toBe(true);
  });

  it('exit 2 with one line and no stack for a missing fixture and for a model_type --device gpu does not run', async () => {
    const missing = await run('--fixture', 'reference/fixtures/nope');
    expect(missing.code).toBe(2);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toBe('qo-validate: reference/fixtures/nope: no such directory; pass --fixture the directory that holds reference.json.\n');

    const llama = await copyFixture('qwen3-gqa');
    await editJson(join(llama, 'reference.json'), (j) => (j.model_type = 'llama'));
    const gpu = await run('--fixture', llama, '--device', 'gpu');
    expect(gpu.code).toBe(2);
    expect(gpu.stderr).toBe(`qo-validate: ${llama}: model_type 'llama' has no implementation registered in qo-validate for --device gpu (supported: qwen3, qwen3_moe)\n`);
  });
});
