import { acquireDevice } from '@qo/gpu';
import { synthConfig } from '@qo/qwen3';
import { beforeAll, describe, expect, it } from 'vitest';
import { benchGpu, formatGpuProfile } from '../src/bench/gpu.js';

let hasGpu = false;
beforeAll(async () => {
  try {
    (await acquireDevice()).destroy();
    hasGpu = true;
  } catch (e) {
    if (process.env.CI) throw e;
    console.error(`\n!!! qo bench --device gpu tests SKIPPED: no WebGPU adapter (${String(e)})\n!!! With CI set this is a failure.\n`);
  }
});

describe('benchGpu', () => {
  it('times prefill and decode of random weights, counts dispatches, profiles one step by op', async () => {
    if (!hasGpu) return;
    // Qwen3-0.6B's layer shapes, 2 layers and a small vocabulary: what lavapipe runs in seconds
    const synth = { ...synthConfig('qwen3-0.6b'), num_hidden_layers: 2, vocab_size: 1000, hidden_size: 256, intermediate_size: 512, num_attention_heads: 4, num_key_value_heads: 2 };
    const r = await benchGpu({ synth, dtype: 'q8_0', prompt: 9, gen: 4, runs: 1, profile: true, dawnOptions: ['disable-dawn-features=timestamp_quantization'] });
    expect(r.device).toBe('gpu');
    expect(r.adapter.vendor.length).toBeGreaterThan(0);
    expect([r.prompt_tokens, r.gen_tokens, r.runs.length]).toEqual([9, 4, 1]);
    for (const k of ['prefill_tps', 'decode_tps', 'ttft_ms', 'load_ms', 'peak_rss_bytes', 'gpu_weight_bytes'] as const) expect(r[k]).toBeGreaterThan(0);
    // embedding, 5 a layer (norm+qkv, norms+RoPE+KV write+split attention, combine+o_proj, norm+gate_up, SiLU·mul+down), head, sampler
    expect(r.dispatches_per_token).toBe(1 + 5 * 2 + 1 + 1);
    // embedding, 9 a layer (two RMSNorms and SiLU·mul in passes of their own), head, sampler
    expect(r.prefill_dispatches).toBe(1 + 9 * 2 + 1 + 1);
    const p = r.profile!;
    expect(p.decode.dispatches).toBe(r.dispatches_per_token);
    expect(p.decode.ops.map((o) => o.name).sort()).toEqual(
      ['embed_tokens', 'input_layernorm+qkv_proj', 'q_norm+k_norm+rope+kv_write+attention', 'attention_combine+o_proj+residual', 'post_attention_layernorm+gate_up_proj', 'silu·mul+down_proj+residual', 'norm+lm_head', 'sample'].sort(),
    );
    expect(p.decode.ops.find((o) => o.name === 'q_norm+k_norm+rope+kv_write+attention')?.dispatches).toBe(2); // one a layer
    expect(p.prefill.gpuMs).toBeGreaterThan(0);
    // the prefill timed in one pass, as it runs (no per-dispatch passes), and its JavaScript recording time
    expect(p.prefill_gpu_ms).toBeGreaterThan(0);
    expect(r.prefill_record_ms).toBeGreaterThan(0);
    const text = formatGpuProfile(p);
    expect(text).toMatch(/decode step: 13 dispatches/);
    expect(text).toMatch(/prefill in one pass, as run: \d+\.\d{3} ms/);
    expect(text).toMatch(/ms +\d+\.\d% +2 × +q_norm\+k_norm\+rope\+kv_write\+attention/);
  });
});
