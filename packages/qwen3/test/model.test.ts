import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SafetensorsFile, writeSafetensors } from '@qo/loader';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ContextOverflowError,
  MissingWeightError,
  Qwen3ForCausalLM,
  Qwen3InputError,
  UnexpectedWeightError,
  WeightShapeError,
} from '../src/index.js';

const FIX = join(import.meta.dirname, '../../../reference/fixtures');
const tmp: string[] = [];
afterAll(async () => {
  for (const d of tmp) await rm(d, { recursive: true, force: true });
});

function relL2(a: Float32Array, b: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

describe.each(['qwen3-gqa', 'qwen3-mqa-yarn', 'qwen3-moe'])('%s', (name) => {
  it('prefill at once, in chunks and token by token agree (the KV cache path)', async () => {
    const m = await Qwen3ForCausalLM.load(join(FIX, name, 'model'));
    const ids: number[] = JSON.parse(await readFile(join(FIX, name, 'reference.json'), 'utf8')).prompt_ids.slice(0, 40);
    const T = ids.length;
    const V = m.config.vocab_size;
    const full = m.forward(ids, m.createCache(64), { allLogits: true }).slice();

    const c1 = m.createCache(64);
    const half = T >> 1;
    m.forward(ids.slice(0, half), c1);
    const chunked = m.forward(ids.slice(half), c1, { allLogits: true }).slice();
    expect(relL2(chunked, full.subarray(half * V))).toBeLessThan(1e-5);

    const c2 = m.createCache(64);
    for (let t = 0; t < T; t++) {
      const step = m.forward([ids[t]], c2);
      expect(relL2(step, full.subarray(t * V, (t + 1) * V))).toBeLessThan(1e-5);
    }
    expect(c2.length).toBe(T);
  });
});

describe('errors', () => {
  const dir = join(FIX, 'qwen3-gqa', 'model');

  it('refuses token ids outside the vocabulary and empty input', async () => {
    const m = await Qwen3ForCausalLM.load(dir);
    expect(() => m.forward([1, 512], m.createCache(8))).toThrow(Qwen3InputError);
    expect(() => m.forward([], m.createCache(8))).toThrow(/at least one token/);
  });

  it('refuses to overflow the KV cache', async () => {
    const m = await Qwen3ForCausalLM.load(dir);
    const cache = m.createCache(4);
    m.forward([1, 2, 3], cache);
    expect(() => m.forward([4, 5], cache)).toThrow(ContextOverflowError);
    cache.reset();
    expect(() => m.forward([4, 5], cache)).not.toThrow();
  });

  it('refuses an unknown dtype', async () => {
    await expect(Qwen3ForCausalLM.load(dir, { dtype: 'int4' as never })).rejects.toThrow(Qwen3InputError);
  });

  /** A single-file copy of qwen3-moe with `edit` applied to its tensors. */
  async function edited(edit: (t: Map<string, { dtype: 'BF16'; shape: number[]; data: Uint8Array }>) => void): Promise<string> {
    const d = await mkdtemp(join(tmpdir(), 'qo-qwen3-'));
    tmp.push(d);
    const src = join(FIX, 'qwen3-moe', 'model');
    await cp(join(src, 'config.json'), join(d, 'config.json'));
    const f = await SafetensorsFile.open(join(src, 'model.safetensors'));
    const tensors = new Map<string, { dtype: 'BF16'; shape: number[]; data: Uint8Array }>();
    for (const [n, i] of f.tensors) tensors.set(n, { dtype: 'BF16', shape: [...i.shape], data: await f.read(n) });
    await f.close();
    edit(tensors);
    await writeSafetensors(join(d, 'model.safetensors'), tensors);
    return d;
  }

  it('names a missing tensor', async () => {
    const d = await edited((t) => t.delete('model.layers.2.mlp.experts.5.up_proj.weight'));
    await expect(Qwen3ForCausalLM.load(d)).rejects.toThrow(MissingWeightError);
    await expect(Qwen3ForCausalLM.load(d)).rejects.toThrow(/experts\.5\.up_proj/);
  });

  it('refuses tensors it would ignore (a variant it does not run)', async () => {
    const d = await edited((t) => t.set('model.layers.0.self_attn.q_proj.bias', { dtype: 'BF16', shape: [64], data: new Uint8Array(128) }));
    await expect(Qwen3ForCausalLM.load(d)).rejects.toThrow(UnexpectedWeightError);
  });

  it('refuses a shape that contradicts config.json', async () => {
    const d = await edited((t) => {
      const x = t.get('model.norm.weight')!;
      t.set('model.norm.weight', { ...x, shape: [32], data: x.data.subarray(0, 64) });
    });
    await expect(Qwen3ForCausalLM.load(d)).rejects.toThrow(WeightShapeError);
  });

  it('reports load progress up to every byte', async () => {
    const seen: number[] = [];
    let total = 0;
    await Qwen3ForCausalLM.load(dir, { onProgress: (p) => (seen.push(p.loadedBytes), (total = p.totalBytes)) });
    expect(seen.length).toBeGreaterThan(10);
    expect(seen.at(-1)).toBe(total);
  });
});
