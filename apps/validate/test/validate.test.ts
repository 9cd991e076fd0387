import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FixtureError, UnsupportedFixtureError, UsageError } from '../src/errors.js';
import { THRESHOLDS, type WeightDType } from '../src/thresholds.js';
import { validateFixture } from '../src/validate.js';
import { FIXTURES, copyFixture, editBf16Tensor, editJson, modelFixtures, removeTemps } from './fixtures.js';

afterAll(removeTemps);

async function referenceJson(dir: string): Promise<{ kind: string; prompt_text?: string; tensors: string[]; greedy: { new_ids: number[] } }> {
  return JSON.parse(await readFile(join(dir, 'reference.json'), 'utf8'));
}

describe('every committed model fixture passes against @qo/qwen3', () => {
  const cases = modelFixtures().flatMap((name) => (['bf16', 'f32', 'q8_0'] as WeightDType[]).map((dtype) => [name, dtype] as const));
  it.each(cases)('%s with --dtype %s', async (name, dtype) => {
    const dir = join(FIXTURES, name);
    const r = await validateFixture(dir, { dtype });
    expect(r.verdict).toMatch(/^PASS (\d+)\/\1 checks$/);
    expect(r.ok).toBe(true);
    expect(r.unchecked).toEqual([]);
    expect(r.thresholds).toBe(THRESHOLDS[dtype]);
    // every reference tensor was compared: decode_logits row by row, the rest by name
    const ref = await referenceJson(dir);
    const expected = ref.tensors.flatMap((t) => (t === 'decode_logits' ? ref.greedy.new_ids.map((_, s) => `decode_logits.${s}`) : [t]));
    expected.push('greedy_ids');
    if (ref.kind === 'e2e-chat') expected.push(...(ref.prompt_text !== undefined ? ['prompt_text'] : []), 'prompt_ids', 'greedy_text');
    expect(r.checks.map((c) => c.name).sort()).toEqual(expected.sort());
    expect(r.greedy.actual).toEqual(ref.greedy.new_ids);
    if (dtype === 'q8_0') {
      // quantization is really on: activations are not f32-exact
      expect(Math.max(...r.checks.map((c) => c.metrics?.relL2 ?? 0))).toBeGreaterThan(1e-3);
    }
  });
});

describe('mutations of a fixture copy are caught at the layer they touch', () => {
  it.each(modelFixtures())('%s: one weight of model.layers.1.mlp.down_proj.weight negated → first drift at layers.1', async (name) => {
    const dir = await copyFixture(name);
    const changed = await editBf16Tensor(join(dir, 'model'), 'model.layers.1.mlp.down_proj.weight', (w) => {
      let big = 0;
      for (let i = 1; i < w.length; i++) if (Math.abs(w[i]) > Math.abs(w[big])) big = i;
      w[big] = -w[big];
      return w;
    });
    expect(changed).toBe(1);
    const r = await validateFixture(dir);
    expect(r.ok).toBe(false);
    expect(r.verdict).toMatch(/^FAIL: first drift at layers\.1 \(relL2 \S+ > 1e-4\)/);
    for (const c of r.checks) if (c.name === 'embed' || c.name.startsWith('layers.0')) expect(c.ok, c.name).toBe(true);
  });

  it.each(modelFixtures())('%s: rope_theta changed in config.json → first drift at layers.0', async (name) => {
    const dir = await copyFixture(name);
    await editJson(join(dir, 'model/config.json'), (c) => {
      const rp = (c.rope_parameters ?? c) as { rope_theta: number };
      rp.rope_theta *= 2;
    });
    const r = await validateFixture(dir);
    // in an MoE layer the router sees the attention output first
    expect(r.verdict).toMatch(/^FAIL: first drift at layers\.0(\.router_logits)? \(relL2 \S+ > 1e-4\)/);
    expect(r.checks.find((c) => c.name === 'embed')!.ok).toBe(true);
  });
});

describe('what qo-validate refuses to check', () => {
  it('a model_type with no GPU implementation registered (--device gpu)', async () => {
    const dir = await copyFixture('qwen3-gqa');
    await editJson(join(dir, 'reference.json'), (j) => (j.model_type = 'llama'));
    await expect(validateFixture(dir, { device: 'gpu' })).rejects.toThrow(
      new UnsupportedFixtureError(`${dir}: model_type 'llama' has no implementation registered in qo-validate for --device gpu (supported: qwen3, qwen3_moe)`),
    );
  });

  it('an unknown dtype', async () => {
    await expect(validateFixture(join(FIXTURES, 'qwen3-gqa'), { dtype: 'q4_k' as WeightDType })).rejects.toThrow(UsageError);
  });

  it('a model_type with no registered implementation', async () => {
    const dir = await copyFixture('qwen3-gqa');
    await editJson(join(dir, 'reference.json'), (j) => (j.model_type = 'llama'));
    await expect(validateFixture(dir)).rejects.toThrow(new UnsupportedFixtureError(`${dir}: model_type 'llama' has no implementation registered in qo-validate (supported: qwen3, qwen3_moe)`));
  });

  it('an omni kind', async () => {
    const dir = await copyFixture('qwen3-gqa');
    await editJson(join(dir, 'reference.json'), (j) => (j.kind = 'omni-thinker'));
    await expect(validateFixture(dir)).rejects.toThrow(/kind 'omni-thinker' is not checked by qo-validate yet/);
  });

  it('a reference.json whose model_type disagrees with config.json', async () => {
    const dir = await copyFixture('qwen3-gqa');
    await editJson(join(dir, 'reference.json'), (j) => (j.model_type = 'qwen3_moe'));
    const err = await validateFixture(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FixtureError);
    expect((err as Error).message).toBe(`${dir}/model/config.json: model_type is 'qwen3' but reference.json says 'qwen3_moe'`);
  });

  it('a checkpoint that does not load, with the loader error in the message', async () => {
    const dir = await copyFixture('qwen3-moe');
    await editJson(join(dir, 'model/config.json'), (c) => delete c.hidden_size);
    const err = await validateFixture(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FixtureError);
    expect((err as Error).message).toMatch(/model: the checkpoint does not load: \w+Error: .*hidden_size/);
  });
});
