// The CPU backends under the model: 1 and 2 threads give the same logits bit for bit (dense and MoE,
// prefill and decode), the wasm kernels agree with the plain 'js' ops, and synthetic weights.
import { join } from 'node:path';
import type { Qwen3MoeTextConfig, Qwen3TextConfig } from '@qo/loader';
import { dequantize } from '@qo/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { type MLPWeights, Qwen3ForCausalLM, Qwen3InputError, SYNTH_PRESETS, synthConfig, synthModel, synthWeights } from '../src/index.js';

const maxAbs = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

const FIX = join(import.meta.dirname, '../../../reference/fixtures');

function relL2(a: Float32Array, b: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

// big enough that every matmul and attention call splits across two threads (> 32768 multiply-adds each)
const DENSE: Qwen3TextConfig = { ...SYNTH_PRESETS['qwen3-0.6b'], vocab_size: 1000, hidden_size: 256, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, head_dim: 64, intermediate_size: 608 };
const MOE: Qwen3MoeTextConfig = { ...SYNTH_PRESETS['qwen3-30b-a3b'], vocab_size: 1000, hidden_size: 256, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 1, head_dim: 64, num_experts: 8, num_experts_per_tok: 2, moe_intermediate_size: 160 };

const models: Qwen3ForCausalLM[] = [];
afterAll(() => models.forEach((m) => m.dispose()));
async function keep(p: Promise<Qwen3ForCausalLM>): Promise<Qwen3ForCausalLM> {
  const m = await p;
  models.push(m);
  return m;
}

/** Logits of a 37-token prefill (every position) and then 3 decode steps. */
function run(m: Qwen3ForCausalLM): Float32Array {
  const cache = m.createCache(64);
  const ids = Array.from({ length: 37 }, (_, i) => (i * 97 + 5) % m.config.vocab_size);
  const out = [...m.forward(ids, cache, { allLogits: true })];
  for (const id of [3, 141, 59]) out.push(...m.forward([id], cache));
  return Float32Array.from(out);
}

describe.each([
  ['dense', DENSE],
  ['moe', MOE],
] as const)('%s', (_name, config) => {
  it.each(['bf16', 'q8_0', 'f32'] as const)('%s: 1 and 2 threads give the same logits bit for bit', async (dtype) => {
    const one = run(await keep(synthModel(config, { dtype, seed: 7, threads: 1 })));
    const two = run(await keep(synthModel(config, { dtype, seed: 7, threads: 2 })));
    expect(two).toEqual(one);
    expect(one.every(Number.isFinite)).toBe(true);
  });

  it('wasm and js agree (f32 compute; bf16 weights)', async () => {
    const wasm = run(await keep(synthModel(config, { seed: 3 })));
    const js = run(await keep(synthModel(config, { seed: 3, backend: 'js' })));
    expect(relL2(wasm, js)).toBeLessThan(1e-5);
  });
});

it.each(['qwen3-gqa', 'qwen3-mqa-yarn', 'qwen3-moe'])('%s: wasm logits match the plain js ops', async (name) => {
  const dir = join(FIX, name, 'model');
  for (const dtype of ['bf16', 'q8_0'] as const) {
    const wasm = run(await keep(Qwen3ForCausalLM.load(dir, { dtype })));
    const js = run(await keep(Qwen3ForCausalLM.load(dir, { dtype, backend: 'js' })));
    expect(relL2(wasm, js), dtype).toBeLessThan(dtype === 'bf16' ? 1e-5 : 1e-3);
  }
});

describe('model and cache', () => {
  it('refuses a cache made by another model, and runs nothing after dispose', async () => {
    const a = await keep(synthModel(DENSE, { threads: 1 }));
    const b = await keep(synthModel(DENSE, { threads: 1 }));
    expect(() => a.forward([1], b.createCache(8))).toThrow(Qwen3InputError);
    const c = await synthModel(DENSE, { threads: 2 });
    c.dispose();
    expect(() => c.forward([1], c.createCache(8))).toThrow(/disposed/);
  });

  it('refuses unknown backends and presets', async () => {
    await expect(synthModel(DENSE, { backend: 'gpu' as never })).rejects.toThrow(/backend 'gpu'/);
    expect(() => synthConfig('qwen3-2b' as never)).toThrow(/qwen3-0.6b, qwen3-1.7b/);
  });
});

describe('synthetic weights', () => {
  it('presets carry the Hub configs', () => {
    const c = SYNTH_PRESETS;
    expect([c['qwen3-0.6b'].hidden_size, c['qwen3-0.6b'].num_hidden_layers, c['qwen3-0.6b'].intermediate_size, c['qwen3-0.6b'].tie_word_embeddings]).toEqual([1024, 28, 3072, true]);
    expect([c['qwen3-1.7b'].hidden_size, c['qwen3-1.7b'].intermediate_size]).toEqual([2048, 6144]);
    expect([c['qwen3-4b'].hidden_size, c['qwen3-4b'].num_hidden_layers, c['qwen3-4b'].num_attention_heads, c['qwen3-4b'].intermediate_size]).toEqual([2560, 36, 32, 9728]);
    expect([c['qwen3-8b'].hidden_size, c['qwen3-8b'].intermediate_size, c['qwen3-8b'].tie_word_embeddings]).toEqual([4096, 12288, false]);
    const moe = c['qwen3-30b-a3b'];
    expect([moe.num_hidden_layers, moe.num_attention_heads, moe.num_key_value_heads, moe.num_experts, moe.num_experts_per_tok, moe.moe_intermediate_size, moe.norm_topk_prob]).toEqual([48, 32, 4, 128, 8, 768, true]);
    for (const p of Object.values(c)) {
      expect([p.vocab_size, p.head_dim, p.rms_norm_eps, p.rope_parameters.rope_theta, p.max_position_embeddings]).toEqual([151936, 128, 1e-6, 1e6, 40960]);
    }
  });

  it('are deterministic per seed, small and uniform; q8_0 blocks are built directly, padding zero', async () => {
    const cfg = { ...DENSE, hidden_size: 80 }; // 80 columns: the last Q8_0 block of a row is half padding
    const a = await synthWeights(cfg, { dtype: 'q8_0', seed: 1 });
    const b = await synthWeights(cfg, { dtype: 'q8_0', seed: 1 });
    const c = await synthWeights(cfg, { dtype: 'q8_0', seed: 2 });
    const w = a.layers[1].q_proj;
    if (w.dtype !== 'q8_0') throw new Error('expected q8_0');
    expect(w.qs).toEqual((b.layers[1].q_proj as typeof w).qs);
    expect(w.qs).not.toEqual((c.layers[1].q_proj as typeof w).qs);
    for (let r = 0; r < w.rows; r++) expect(w.qs.subarray(r * 96 + 80, r * 96 + 96).every((v) => v === 0)).toBe(true);
    const vals = dequantize(w);
    expect(maxAbs(vals)).toBeLessThanOrEqual(0.0501);
    expect(Math.abs(vals.reduce((s, v) => s + v, 0) / vals.length)).toBeLessThan(2e-3);
    expect(a.layers[0].input_layernorm.every((v) => v === 1)).toBe(true);
    const bf = await synthWeights(cfg, { seed: 1 });
    expect(bf.lm_head).toBe(bf.embed_tokens); // tied like the preset
    expect(maxAbs(dequantize((bf.layers[0].mlp as MLPWeights).gate_proj))).toBeLessThanOrEqual(0.05);
  });
});
