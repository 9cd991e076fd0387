import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeSafetensors, type TensorToWrite } from '@qo/loader';
import { afterAll, describe, expect, it } from 'vitest';
import { FixtureError } from '../src/errors.js';
import { readFixture, type ReferenceTensor } from '../src/fixture.js';
import { FIXTURES, copyFixture, editJson, modelFixtures, removeTemps } from './fixtures.js';

afterAll(removeTemps);

describe('readFixture on the committed fixtures', () => {
  it.each(modelFixtures())('%s: reads every listed tensor with its dtype and shape', async (name) => {
    const fx = await readFixture(join(FIXTURES, name));
    const json = JSON.parse(await readFile(join(FIXTURES, name, 'reference.json'), 'utf8'));
    expect([...fx.tensors.keys()].sort()).toEqual([...json.tensors].sort());
    const ids = fx.tensors.get('input_ids')!;
    expect(ids.dtype).toBe('I64');
    expect(ids.data).toEqual(json.prompt_ids);
    for (const t of fx.tensors.values()) {
      if (t.name === 'input_ids') continue;
      expect(t.data, t.name).toBeInstanceOf(Float32Array);
      expect(t.shape[0], t.name).toBe(t.name === 'decode_logits' ? json.greedy.new_ids.length : json.prompt_ids.length);
    }
    expect(fx.modelDir).toBe(join(FIXTURES, name, 'model'));
  });
});

/** Rewrites DIR/reference.safetensors from `tensors` (after `edit`), with the given metadata. */
async function rewriteReference(dir: string, edit: (t: Map<string, ReferenceTensor | TensorToWrite>) => void, metadata = { format: 'qo-reference-1' }) {
  const fx = await readFixture(dir);
  const t = new Map<string, ReferenceTensor | TensorToWrite>(fx.tensors);
  edit(t);
  const out = [...t].map(([n, x]): [string, TensorToWrite] => [
    n,
    'data' in x && Array.isArray(x.data) ? { dtype: 'I64', shape: x.shape, data: BigInt64Array.from(x.data, BigInt) } : (x as TensorToWrite),
  ]);
  await writeSafetensors(join(dir, 'reference.safetensors'), out, metadata);
}

async function expectFixtureError(dir: string, message: RegExp, file?: string) {
  const err = await readFixture(dir).then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(FixtureError);
  expect((err as Error).message).toMatch(message);
  if (file !== undefined) expect((err as FixtureError).file).toBe(file);
}

describe('readFixture refuses malformed fixtures with a FixtureError naming the file and the problem', () => {
  it('a directory that does not exist', async () => {
    await expectFixtureError('/nonexistent/qo-fixture', /^\/nonexistent\/qo-fixture: no such directory; pass --fixture the directory/);
  });

  it('no model/ checkpoint', async () => {
    const dir = await copyFixture('qwen3-gqa');
    await rm(join(dir, 'model'), { recursive: true });
    await expectFixtureError(dir, /model: no such directory; a fixture keeps its checkpoint in model\//, join(dir, 'model'));
  });

  it('reference.json that is not JSON', async () => {
    const dir = await copyFixture('qwen3-gqa');
    await writeFile(join(dir, 'reference.json'), '{"kind": "causal-lm",');
    await expectFixtureError(dir, /reference\.json: not valid JSON/, join(dir, 'reference.json'));
  });

  it.each([
    ['prompt_ids', (j: Record<string, unknown>) => delete j.prompt_ids, /key "prompt_ids" must be a non-empty array of token ids/],
    ['kind', (j: Record<string, unknown>) => (j.kind = 'chat'), /key "kind" must be one of causal-lm, omni-thinker, omni-speech, e2e-chat, got "chat"/],
    ['greedy.new_ids', (j: Record<string, unknown>) => ((j.greedy as { new_ids: unknown[] }).new_ids[1] = -3), /key "greedy.new_ids" holds -3 at index 1/],
    ['tensors', (j: Record<string, unknown>) => (j.tensors = 'embed'), /key "tensors" must be an array of tensor names/],
    ['messages', (j: Record<string, unknown>) => (j.kind = 'e2e-chat'), /key "messages" must be a non-empty array/],
  ])('reference.json with a bad "%s"', async (_key, edit, message) => {
    const dir = await copyFixture('qwen3-gqa');
    await editJson(join(dir, 'reference.json'), edit);
    await expectFixtureError(dir, message, join(dir, 'reference.json'));
  });

  it('a tensor listed in reference.json but absent from reference.safetensors', async () => {
    const dir = await copyFixture('qwen3-gqa');
    await rewriteReference(dir, (t) => t.delete('norm'));
    await expectFixtureError(dir, /lacks tensor\(s\) norm that reference\.json "tensors" lists/, join(dir, 'reference.safetensors'));
  });

  it('a tensor in reference.safetensors that reference.json does not list', async () => {
    const dir = await copyFixture('qwen3-gqa');
    await rewriteReference(dir, (t) => t.set('extra', { dtype: 'F32', shape: [1], data: new Float32Array(1) }));
    await expectFixtureError(dir, /holds tensor\(s\) extra that reference\.json "tensors" does not list/);
  });

  it('header metadata without format qo-reference-1', async () => {
    const dir = await copyFixture('qwen3-gqa');
    await rewriteReference(dir, () => undefined, { format: 'pt' });
    await expectFixtureError(dir, /header metadata "format" is "pt", expected "qo-reference-1"/);
  });

  it('a float tensor stored as F16', async () => {
    const dir = await copyFixture('qwen3-gqa');
    await rewriteReference(dir, (t) => t.set('embed', { dtype: 'F16', shape: [24, 64], data: new Uint16Array(24 * 64) }));
    await expectFixtureError(dir, /tensor "embed" is F16; qo-reference-1 stores floats as F32 and integers as I64/);
  });

  it('an I64 id beyond 2^53', async () => {
    const dir = await copyFixture('qwen3-gqa');
    const ids = BigInt64Array.from({ length: 24 }, () => 1n);
    ids[5] = 2n ** 60n;
    await rewriteReference(dir, (t) => t.set('input_ids', { dtype: 'I64', shape: [24], data: ids }));
    await expectFixtureError(dir, /tensor "input_ids" holds 1152921504606846976 at index 5, beyond what a JS number holds exactly/);
  });

  it('an activation with the wrong number of rows', async () => {
    const dir = await copyFixture('qwen3-gqa');
    await rewriteReference(dir, (t) => t.set('layers.1', { dtype: 'F32', shape: [23, 64], data: new Float32Array(23 * 64) }));
    await expectFixtureError(dir, /tensor "layers\.1" has 23 rows, expected 24 \(one per prompt token\)/);
  });

  it('decode_logits whose argmax disagrees with greedy.new_ids', async () => {
    const dir = await copyFixture('qwen3-gqa');
    await editJson(join(dir, 'reference.json'), (j) => ((j.greedy as { new_ids: number[] }).new_ids[3] = 7));
    await expectFixtureError(dir, /tensor "decode_logits" row 3 has its argmax at \d+ but greedy\.new_ids\[3\] is 7: the fixture disagrees with itself/);
  });

  it('a truncated reference.safetensors (the loader error, wrapped)', async () => {
    const dir = await copyFixture('qwen3-gqa');
    const path = join(dir, 'reference.safetensors');
    const bytes = await readFile(path);
    await writeFile(path, bytes.subarray(0, bytes.length - 100));
    const err = await readFixture(dir).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(FixtureError);
    expect((err as FixtureError).file).toBe(path);
    expect((err as Error).cause).toBeInstanceOf(Error);
  });
});
