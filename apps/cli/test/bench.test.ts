// qo bench --device cpu, run as a person would (the built CLI), on the embedded model and a fixture.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { weightBytes } from '../src/bench/cpu.js';
import { format } from '../src/commands/bench.js';
import { Qwen3ForCausalLM } from '@qo/qwen3';
import { FIXTURES, FORTUNE, qo } from './helpers.js';

describe('qo bench', () => {
  it('--json: one object with the speeds, times, memory, machine and settings', async () => {
    const r = await qo('bench', '--model', join(FORTUNE, 'model'), '--dtype', 'q8_0', '--prompt', '24', '--gen', '6', '--threads', '2', '--repeat', '2', '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ device: 'cpu', backend: 'wasm', threads: 2, dtype: 'q8_0', prompt_tokens: 24, gen_tokens: 6, preset: null });
    for (const k of ['prefill_tps', 'decode_tps', 'ttft_ms', 'load_ms', 'peak_rss_bytes', 'weight_bytes', 'kv_cache_bytes']) {
      expect(j[k], k).toBeGreaterThan(0);
    }
    expect(j.runs).toHaveLength(2);
    expect(j.ttft_ms).toBeCloseTo((24 * 1000) / j.prefill_tps, 6);
    expect(j.kv_cache_bytes).toBe(2 * 4 * (24 + 6) * 2 * 64 * 4); // k and v, 4 layers, 30 tokens, 2 kv heads × 64, f32
    expect(j.machine.cores).toBeGreaterThan(0);
    expect(j.node).toBe(process.version);
  });

  it('the table, with where decode time goes (--profile)', async () => {
    const r = await qo('bench', '--model', join(FIXTURES, 'qwen3-gqa/model'), '--prompt', '8', '--gen', '4', '--repeat', '1', '--profile');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^qo bench {2}.*qwen3-gqa\/model {2}cpu \(wasm, \d+ threads\) {2}bf16/);
    expect(r.stdout).toMatch(/\n {2}prefill +[\d.]+ tok\/s {3}8 tokens, time to first token \d+ ms\n/);
    expect(r.stdout).toMatch(/\n {2}decode +[\d.]+ tok\/s {3}3 tokens after the first\n/);
    for (const op of ['q/k/v_proj', 'attention', 'o_proj (+ residual)', 'gate/up_proj + silu·mul', 'down_proj (+ residual)', 'lm_head']) {
      expect(r.stdout).toContain(` ms  ${op}\n`);
    }
  });

  it('refuses what it cannot run, with a hint', async () => {
    let r = await qo('bench');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/needs exactly one of --model and --synth/);
    r = await qo('bench', '--synth', 'qwen3-7b');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--synth must be one of qwen3-0\.6b, qwen3-1\.7b, qwen3-4b, qwen3-8b, qwen3-30b-a3b/);
    r = await qo('bench', '--synth', 'qwen3-0.6b', '--device', 'gpu', '--threads', '2');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--threads is for --device cpu, not gpu/);
    r = await qo('bench', '--synth', 'qwen3-0.6b', '--gen', '1');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--gen must be an integer ≥ 2/);
  });

  it('counts weight bytes once (a tied head is the embedding)', async () => {
    const m = await Qwen3ForCausalLM.load(join(FIXTURES, 'qwen3-mqa-yarn/model'), { backend: 'js' });
    const c = m.config;
    const matrices = c.vocab_size * c.hidden_size + c.num_hidden_layers * (2 * c.num_attention_heads + 2 * c.num_key_value_heads) * c.head_dim * c.hidden_size + c.num_hidden_layers * 3 * c.intermediate_size * c.hidden_size;
    const vectors = c.hidden_size + c.num_hidden_layers * (2 * c.hidden_size + 2 * c.head_dim);
    expect(weightBytes(m.weights)).toBe(2 * matrices + 4 * vectors); // bf16 matrices, f32 norms
    expect(format({ device: 'gpu', model: 'm', dtype: 'bf16', prompt_tokens: 2, gen_tokens: 2, prefill_tps: 1, decode_tps: 1, ttft_ms: 1, load_ms: 1, peak_rss_bytes: 1e6, runs: [] })).toMatch(/^qo bench {2}m {2}gpu {2}bf16\n/);
  });
});
