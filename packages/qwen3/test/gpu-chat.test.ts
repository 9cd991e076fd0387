import { join } from 'node:path';
import { acquireDevice, type GpuContext } from '@qo/gpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GPU_DAWN_OPTIONS, loadChat, Qwen3GpuModel, Qwen3GpuSession, Qwen3InputError } from '../src/index.js';

const MODEL = join(import.meta.dirname, '../../../reference/fixtures/qo-fortune/model');

let ctx: GpuContext | undefined;
beforeAll(async () => {
  try {
    ctx = await acquireDevice({ dawnOptions: [...GPU_DAWN_OPTIONS] });
  } catch (e) {
    if (process.env.CI) throw e;
    console.error(`\n!!! @qo/qwen3 GPU chat tests SKIPPED: no WebGPU adapter (${String(e)})\n!!! With CI set this is a failure.\n`);
  }
});
afterAll(() => ctx?.destroy());

describe("loadChat(…, { device: 'gpu' })", () => {
  it('streams the same reply as the CPU, greedy and seeded (the token chosen on the GPU)', async () => {
    if (ctx === undefined) return;
    const cpu = await loadChat(MODEL, { backend: 'js' });
    const gpu = await loadChat(MODEL, { device: 'gpu', gpu: { context: ctx } });
    expect(gpu.device).toBe('gpu');
    expect(gpu.model).toBeInstanceOf(Qwen3GpuModel);
    expect(gpu.session).toBeInstanceOf(Qwen3GpuSession);
    expect(gpu.session.maxContext).toBe(1024);
    const messages = [{ role: 'user', content: 'Tell me a fortune.' }];
    for (const opts of [{ doSample: false, maxNewTokens: 40 }, { seed: 7, temperature: 0.9, topK: 40, topP: 0.95, repetitionPenalty: 1.2, maxNewTokens: 40 }]) {
      const want = await cpu.stream(messages, opts).result();
      const got = await gpu.stream(messages, opts).result();
      expect(got.ids, JSON.stringify(opts)).toEqual(want.ids);
      expect(got.text).toBe(want.text);
    }
    gpu.model.dispose();
  });

  it('sizes the GPU KV cache from maxContext and refuses unknown devices', async () => {
    if (ctx === undefined) return;
    const small = await loadChat(MODEL, { device: 'gpu', maxContext: 16, dtype: 'q8_0', gpu: { context: ctx } });
    expect(small.session.cache.maxSeqLen).toBe(16);
    const r = await small.complete('Once upon a time', { doSample: false }).result();
    expect(r.promptIds.length + r.ids.length).toBeLessThanOrEqual(16);
    expect(r.ids.length).toBeGreaterThan(0);
    small.model.dispose();
    await expect(loadChat(MODEL, { device: 'tpu' as 'gpu' })).rejects.toThrow(Qwen3InputError);
  });
});
