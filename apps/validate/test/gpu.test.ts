import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { acquireDevice } from '@qo/gpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { supportedModelTypes } from '../src/registry.js';
import { THRESHOLDS, type WeightDType } from '../src/thresholds.js';
import { validateFixture } from '../src/validate.js';
import { FIXTURES, modelFixtures, removeTemps } from './fixtures.js';

afterAll(removeTemps);

/** lavapipe on CPU machines. With CI set, no adapter is a failure; without it the suite says loudly that it skipped. */
let hasGpu = false;
beforeAll(async () => {
  try {
    (await acquireDevice()).destroy();
    hasGpu = true;
  } catch (e) {
    if (process.env.CI) throw e;
    console.error(`\n!!! qo-validate --device gpu tests SKIPPED: no WebGPU adapter (${String(e)})\n!!! With CI set this is a failure.\n`);
  }
});

async function fixtureModelType(name: string): Promise<string> {
  return (JSON.parse(await readFile(join(FIXTURES, name, 'reference.json'), 'utf8')) as { model_type: string }).model_type;
}

describe('every committed model fixture passes with --device gpu (same checks and bounds as the CPU)', async () => {
  const onGpu: string[] = [];
  for (const name of modelFixtures()) if (supportedModelTypes('gpu').includes(await fixtureModelType(name))) onGpu.push(name);
  it('covers every fixture', () => {
    expect(onGpu).toEqual(modelFixtures());
  });
  const cases = onGpu.flatMap((name) => (['bf16', 'q8_0'] as WeightDType[]).map((dtype) => [name, dtype] as const));
  it.each(cases)('%s with --dtype %s', async (name, dtype) => {
    if (!hasGpu) return;
    const r = await validateFixture(join(FIXTURES, name), { device: 'gpu', dtype });
    expect(r.device).toBe('gpu');
    expect(r.thresholds).toBe(THRESHOLDS[dtype]);
    expect(r.unchecked).toEqual([]);
    expect(r.verdict).toMatch(/^PASS (\d+)\/\1 checks$/);
    expect(r.ok).toBe(true);
    if (dtype === 'bf16') expect(r.greedy.firstMismatch).toBeNull();
  });
});
