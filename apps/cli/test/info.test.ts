import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Checkpoint, loadConfig } from '@qo/loader';
import { Qwen3ForCausalLM } from '@qo/qwen3';
import { describe, expect, it } from 'vitest';
import { summarize } from '../src/info/summary.js';
import { FIXTURES, FORTUNE, qo } from './helpers.js';

/** Bytes of every typed array reachable from the loaded weights, each counted once (a tied head is the embedding). */
function heldBytes(root: unknown): number {
  const seen = new Set<ArrayBufferView>();
  const walk = (x: unknown): void => {
    if (ArrayBuffer.isView(x)) seen.add(x);
    else if (Array.isArray(x)) x.forEach(walk);
    else if (x !== null && typeof x === 'object') Object.values(x).forEach(walk);
  };
  walk(root);
  return [...seen].reduce((s, a) => s + a.byteLength, 0);
}

describe('qo info', () => {
  it('the embedded model: the parameter count PyTorch recorded, config, dtypes, memory, defaults', async () => {
    const training = JSON.parse(await readFile(join(FORTUNE, 'model/TRAINING.json'), 'utf8'));
    const r = await qo('info');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^model {7}qo-fortune \(.*(dist\/default-model|reference\/fixtures\/qo-fortune\/model)\)$/);
    expect(r.stdout).toContain(`parameters  3.80M (${training.parameters.toLocaleString('en-US')})\n`);
    expect(r.stdout).toContain('layers      4 · hidden 256 · heads 4 (kv 2) · head_dim 64 · ffn 640\n');
    expect(r.stdout).toContain('vocab       4096 · context 1024 · rope default θ=10000 · tied embeddings\n');
    expect(r.stdout).toContain('checkpoint  1 file, 7.6 MB: BF16 46 tensors (7.6 MB)\n');
    expect(r.stdout).toContain('kv cache    4.2 MB per 1k tokens (f32)\n'); // 2 × 4 layers × 2 kv heads × 64 × 4 B × 1024
    expect(r.stdout).toContain('generation  do_sample true · temperature 0.8 · top_k 40 · top_p 0.95 · repetition_penalty 1.1 · eos 2, 0\n');
    expect(r.stdout).toContain('tokenizer   tokenizer.json, chat template\n');

    const j = JSON.parse((await qo('info', '--json')).stdout);
    expect(j.summary.parameters).toBe(training.parameters);
    expect(j.summary.kvCacheBytesPer1kTokens).toBe(2 * 4 * 2 * 64 * 4 * 1024);
    expect(j.config).toMatchObject({ model_type: 'qwen3', hidden_size: 256, num_hidden_layers: 4, vocab_size: 4096 });
  });

  it('a MoE checkpoint: experts and parameters active per token', async () => {
    const r = await qo('info', '--model', join(FIXTURES, 'qwen3-moe/model'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('8 experts, top 2, expert ffn 32');
    // 3 sparse layers (layer 1 is dense) each skip 6 of 8 experts of 3 × 64 × 32 weights
    expect(r.stdout).toMatch(/parameters {2}289\.0k \(288,960\), 178\.4k active per token/);
    expect(288_960 - 3 * 6 * 3 * 64 * 32).toBe(178_368);
    expect(r.stdout).toMatch(/^tokenizer {3}unusable, qo run\/chat cannot use this model: .*tokenizer\.json: cannot read/m);
  });

  it.each(['qo-fortune', 'qwen3-moe', 'qwen3-gqa', 'qwen3-mqa-yarn'])('%s: the memory estimate is what @qo/qwen3 holds after loading', async (name) => {
    const dir = join(FIXTURES, name, 'model');
    const { config } = await loadConfig(dir);
    const ckpt = await Checkpoint.open(dir);
    const s = summarize(config, ckpt.names().map((n) => ckpt.info(n)));
    await ckpt.close();
    for (const dtype of ['bf16', 'q8_0', 'f32'] as const) {
      const m = await Qwen3ForCausalLM.load(dir, { dtype });
      expect(s.weightBytes[dtype], `${name} ${dtype}`).toBe(heldBytes(m.weights));
    }
  });
});
