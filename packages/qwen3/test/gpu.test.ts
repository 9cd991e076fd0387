import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { acquireDevice, type GpuContext } from '@qo/gpu';
import { Sampler, resolveSampling } from '@qo/generate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ContextOverflowError,
  GpuCacheError,
  GPU_DAWN_OPTIONS,
  Qwen3ForCausalLM,
  Qwen3GpuModel,
  Qwen3InputError,
  type WeightDType,
} from '../src/index.js';

const FIX = join(import.meta.dirname, '../../../reference/fixtures');

/** lavapipe on CPU machines; with CI set a missing adapter fails, else the suite says loudly that it skipped. */
async function gpuOrSkip(opts: Parameters<typeof acquireDevice>[0] = {}): Promise<GpuContext | undefined> {
  try {
    return await acquireDevice(opts);
  } catch (e) {
    if (process.env.CI) throw e;
    console.error(`\n!!! @qo/qwen3 GPU tests SKIPPED: no WebGPU adapter (${String(e)})\n!!! With CI set this is a failure.\n`);
    return undefined;
  }
}

function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

function argmax(x: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
}

const promptOf = async (name: string, n: number): Promise<number[]> =>
  (JSON.parse(await readFile(join(FIX, name, 'reference.json'), 'utf8')).prompt_ids as number[]).slice(0, n);

let ctx: GpuContext | undefined;
let split: GpuContext | undefined;
beforeAll(async () => {
  // the Dawn toggles the model uses when it acquires its own device (no robust buffer access)
  ctx = await gpuOrSkip({ dawnOptions: [...GPU_DAWN_OPTIONS] });
  // weights split into chunks of 4 KiB: every matrix of the fixtures runs on the multi-binding path
  split = ctx && (await gpuOrSkip({ splitBytes: 4096, dawnOptions: [...GPU_DAWN_OPTIONS] }));
});
afterAll(() => {
  ctx?.destroy();
  split?.destroy();
});

// GPU vs the CPU model on the same weights: f32 compute on both sides, only summation order differs
const BOUND = 1e-5;

describe.each([
  ['qwen3-gqa', 'bf16'],
  ['qwen3-mqa-yarn', 'q8_0'],
  ['qo-fortune', 'bf16'],
  ['qwen3-moe', 'bf16'],
  ['qwen3-moe', 'q8_0'],
] as [string, WeightDType][])('%s (%s) on the GPU against the CPU model', (name, dtype) => {
  it('prefill (all logits, probes), chunked prefill, decode and greedy sampling agree', async () => {
    if (ctx === undefined) return;
    const dir = join(FIX, name, 'model');
    const cpu = await Qwen3ForCausalLM.load(dir, { dtype, backend: 'js' }); // the exact oracle (double accumulation)
    const gpu = await Qwen3GpuModel.load(dir, { dtype, context: ctx, prefillChunk: 8 });
    const ids = await promptOf(name, 37);
    const T = ids.length;
    const V = cpu.config.vocab_size;
    const H = cpu.config.hidden_size;
    const cpuProbes = new Map<string, Float32Array>();
    const want = cpu.forward(ids, cpu.createCache(64), { allLogits: true, probe: (n, d) => cpuProbes.set(n, d) }).slice();
    const gpuProbes = new Map<string, { data: Float32Array; shape: readonly number[] }>();
    const got = await gpu.forward(ids, gpu.createCache(64), { allLogits: true, probe: (n, data, shape) => gpuProbes.set(n, { data, shape }) });
    expect(relL2(got, want)).toBeLessThan(BOUND);
    // qwen3_moe: also layers.{i}.router_logits [T, num_experts] of each sparse layer
    const E = (cpu.config as { num_experts?: number }).num_experts ?? 0;
    expect([...gpuProbes.keys()].sort()).toEqual([...cpuProbes.keys()].sort());
    expect(gpuProbes.has('logits') && gpuProbes.has(`layers.${cpu.config.num_hidden_layers - 1}`)).toBe(true);
    for (const [n, d] of cpuProbes) {
      const g = gpuProbes.get(n);
      expect(g?.shape).toEqual(n === 'logits' ? [T, V] : n.endsWith('.router_logits') ? [T, E] : [T, H]);
      expect(relL2(g!.data, d), n).toBeLessThan(BOUND);
    }

    // fast path, chunks of 8 then token by token: the KV cache on the GPU
    const cache = gpu.createCache(64);
    const P = T - 5;
    expect(P).toBeGreaterThan(8);
    const last = await gpu.forward(ids.slice(0, P), cache);
    expect(relL2(last, want.subarray((P - 1) * V, P * V))).toBeLessThan(BOUND);
    for (let t = P; t < T; t++) {
      const row = await gpu.forward([ids[t]], cache);
      expect(relL2(row, want.subarray(t * V, (t + 1) * V))).toBeLessThan(BOUND);
    }
    expect(cache.length).toBe(T);

    // greedy on the GPU: the argmax of the CPU's logits, one id read back
    const c2 = gpu.createCache(64);
    expect(await gpu.forwardSample(ids, c2, { temperature: 0 }, 0.5)).toBe(argmax(want.subarray((T - 1) * V)));
    gpu.dispose();
  });
});

describe('the GPU model', () => {
  it('runs weights split across bindings (embedding, head and projections in 4 KiB chunks)', async () => {
    if (split === undefined) return;
    const dir = join(FIX, 'qwen3-gqa', 'model');
    const cpu = await Qwen3ForCausalLM.load(dir, { dtype: 'q8_0', backend: 'js' });
    const gpu = await Qwen3GpuModel.load(dir, { dtype: 'q8_0', context: split });
    expect(gpu.weights.embed_tokens.chunks.length).toBeGreaterThan(1);
    const mlp = gpu.weights.layers[0].mlp;
    expect('gate_up_proj' in mlp && mlp.gate_up_proj.chunks.length).toBeGreaterThan(1);
    const ids = await promptOf('qwen3-gqa', 20);
    const want = cpu.forward(ids, cpu.createCache(32)).slice();
    const cache = gpu.createCache(32);
    expect(relL2(await gpu.forward(ids.slice(0, 19), cache), cpu.forward(ids.slice(0, 19), cpu.createCache(32)))).toBeLessThan(BOUND);
    expect(relL2(await gpu.forward(ids.slice(19), cache), want)).toBeLessThan(BOUND);
    gpu.dispose();
  });

  it('decodes without creating buffers or bind groups after the first step', async () => {
    if (ctx === undefined) return;
    const gpu = await Qwen3GpuModel.load(join(FIX, 'qwen3-gqa', 'model'), { context: ctx });
    const cache = gpu.createCache(64);
    let id = await gpu.forwardSample([1, 2, 3], cache, { temperature: 0 }, 0);
    id = await gpu.forwardSample([id], cache, { temperature: 0 }, 0);
    const before = { ...ctx.stats };
    for (let s = 0; s < 5; s++) id = await gpu.forwardSample([id], cache, { temperature: 0.7, topK: 20, topP: 0.9 }, (s + 0.5) / 5);
    expect(ctx.stats.buffers).toBe(before.buffers);
    expect(ctx.stats.bindGroups).toBe(before.bindGroups);
    expect(ctx.stats.pipelines).toBeGreaterThanOrEqual(before.pipelines); // the sampling variant may compile once
    // one step: embedding, 5 dispatches a layer (fused qkv+norm, qk-norm+RoPE+KV write+split attention, split combine+o+residual, gate_up+norm, down+SwiGLU+residual), head, sampler
    expect(gpu.config.head_dim % 8).toBe(0); // the fused decode attention's condition
    expect(gpu.lastDispatches).toBe(1 + 5 * gpu.config.num_hidden_layers + 1 + 1);
    gpu.dispose();
  });

  it.each(['qwen3-gqa', 'qwen3-moe'])('%s: a decode step replayed many times gives what one recorded afresh gives', async (name) => {
    if (ctx === undefined) return;
    const dir = join(FIX, name, 'model');
    const replayed = await Qwen3GpuModel.load(dir, { context: ctx });
    const fresh = await Qwen3GpuModel.load(dir, { context: ctx, replay: false });
    const [cr, cf] = [replayed.createCache(64), fresh.createCache(64)];
    const sampling = { temperature: 0.8, topK: 40 };
    let [r, f] = [await replayed.forwardSample([3, 1, 4, 1, 5], cr, sampling, 0.2), await fresh.forwardSample([3, 1, 4, 1, 5], cf, sampling, 0.2)];
    const V = replayed.config.vocab_size;
    const seen = new Set<number>();
    for (let s = 0; s < 16; s++) {
      expect(r, `step ${s}`).toBe(f);
      seen.add(r);
      const u = (s * 0.61 + 0.05) % 1;
      [r, f] = [await replayed.forwardSample([r], cr, sampling, u), await fresh.forwardSample([f], cf, sampling, u)];
    }
    expect(seen.size).toBeGreaterThan(1); // the steps saw different inputs
    expect(r).toBeLessThan(V);
    // the caches hold the same keys and values: identical logits for one more token, through both paths
    expect(relL2(await replayed.forward([r], cr), await fresh.forward([f], cf))).toBe(0);
    replayed.dispose();
    fresh.dispose();
  });

  it('submits the next decode step ahead, and drops it when the caller continues otherwise', async () => {
    if (ctx === undefined) return;
    const dir = join(FIX, 'qwen3-gqa', 'model');
    const ahead = await Qwen3GpuModel.load(dir, { context: ctx });
    const plain = await Qwen3GpuModel.load(dir, { context: ctx, pipeline: false });
    const [ca, cp] = [ahead.createCache(64), plain.createCache(64)];
    const sampling = { temperature: 0.9, topK: 30 };
    let [a, p] = [await ahead.forwardSample([5, 6, 7], ca, sampling, 0.3), await plain.forwardSample([5, 6, 7], cp, sampling, 0.3)];
    for (let s = 0; s < 8; s++) {
      expect(a).toBe(p);
      const u = (s * 0.37 + 0.1) % 1;
      // every third step the caller feeds another token than the one sampled: the step run ahead is dropped
      const next = s % 3 === 2 ? (a + 1) % 512 : a;
      [a, p] = [await ahead.forwardSample([next], ca, sampling, u), await plain.forwardSample([next], cp, sampling, u)];
    }
    expect(ca.length).toBe(cp.length);
    // the cache after pipelined steps holds what the plain model's does: same logits for one more token
    expect(relL2(await ahead.forward([a], ca), await plain.forward([a], cp))).toBe(0);
    ca.reset();
    cp.reset();
    expect(await ahead.forwardSample([9, 8], ca, sampling, 0.5)).toBe(await plain.forwardSample([9, 8], cp, sampling, 0.5));
    ahead.dispose();
    plain.dispose();
  });

  it('samples as @qo/generate’s Sampler does, penalties included', async () => {
    if (ctx === undefined) return;
    const dir = join(FIX, 'qwen3-gqa', 'model');
    const cpu = await Qwen3ForCausalLM.load(dir, { backend: 'js' });
    const gpu = await Qwen3GpuModel.load(dir, { context: ctx });
    const ids = await promptOf('qwen3-gqa', 12);
    const logits = cpu.forward(ids, cpu.createCache(16)).slice();
    const params = resolveSampling({ temperature: 0.8, topK: 40, topP: 0.9, repetitionPenalty: 1.3, presencePenalty: 0.2 });
    const sampler = new Sampler(cpu.config.vocab_size, params);
    sampler.reset(ids);
    const pen = { counts: sampler.counts, repetition: 1.3, presence: 0.2, frequency: 0 };
    for (const u of [0.03, 0.31, 0.62, 0.97]) {
      const got = await gpu.forwardSample(ids, gpu.createCache(16), { temperature: 0.8, topK: 40, topP: 0.9, penalties: pen }, u);
      expect(got, `u = ${u}`).toBe(sampler.sample(logits, u));
    }
    gpu.dispose();
  });

  it('refuses what it cannot run, with typed errors', async () => {
    if (ctx === undefined) return;
    const gpu = await Qwen3GpuModel.load(join(FIX, 'qwen3-gqa', 'model'), { context: ctx });
    const other = await Qwen3GpuModel.load(join(FIX, 'qwen3-gqa', 'model'), { context: ctx });
    const cache = gpu.createCache(4);
    await expect(gpu.forward([1, 512], cache)).rejects.toThrow(Qwen3InputError);
    await expect(gpu.forward([], cache)).rejects.toThrow(/at least one token/);
    await expect(gpu.forward([1, 2, 3, 4, 5], cache)).rejects.toThrow(ContextOverflowError);
    await expect(other.forward([1], cache)).rejects.toThrow(GpuCacheError);
    expect(() => gpu.createCache(4096)).toThrow(/max_position_embeddings/);
    const busy = gpu.forward([1], cache);
    await expect(gpu.forward([2], cache)).rejects.toThrow(/one call at a time/);
    await busy;
    gpu.dispose();
    other.dispose();
    await expect(gpu.forward([1], gpu.createCache(4))).rejects.toThrow(/disposed/);
  });
});
