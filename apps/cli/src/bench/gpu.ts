import os from 'node:os';
import { acquireDevice, type AcquireOptions } from '@qo/gpu';
import type { TextConfig } from '@qo/loader';
import { GPU_DAWN_OPTIONS, Qwen3GpuModel, synthConfig, synthWeights, type GpuProfile, type SynthPreset } from '@qo/qwen3';

/** `qo bench --device gpu`: what to load and how long the prompt and the reply are. */
export interface BenchGpuOptions {
  /** A checkpoint directory, or … */
  model?: string;
  /** … a preset (or a config) whose exact shapes get random weights in memory (no download). */
  synth?: SynthPreset | TextConfig;
  /** Weights on the GPU (default bf16). */
  dtype?: 'bf16' | 'q8_0' | 'f32';
  /** Prompt tokens (default 512). */
  prompt?: number;
  /** Generated tokens (default 128); the first comes from the prefill. */
  gen?: number;
  /** Timed runs; the median is reported (default 3). */
  runs?: number;
  /** Also time each op of one decode step and one prefill with timestamp queries. */
  profile?: boolean;
  /** Submit every this many layers (Qwen3GpuModel's submitEvery; default its own). */
  submitEvery?: number;
  /** Submit each decode step ahead of the sampled id's readback (Qwen3GpuModel's pipeline; default true). */
  pipeline?: boolean;
  /** Dawn toggles and options for the device (Node); default GPU_DAWN_OPTIONS, what Qwen3GpuModel uses on a device of its own. */
  dawnOptions?: string[];
  /** The prefill matmuls on the int8 tensor cores where the device has them (default true; false: the f32 kernels). */
  mma?: boolean;
}

export interface BenchGpuResult {
  device: 'gpu';
  adapter: { vendor: string; architecture: string; device: string; description: string };
  /** the prefill matmuls ran on the int8 tensor cores (GpuFeatures.mma) */
  tensor_cores: boolean;
  machine: { cpus: string; cores: number; platform: string; node: string };
  model: string;
  dtype: string;
  prompt_tokens: number;
  gen_tokens: number;
  /** prompt tokens / time to first token (the prefill and the first sampled token) */
  prefill_tps: number;
  /** (gen − 1) / time of the decode steps after the first token */
  decode_tps: number;
  ttft_ms: number;
  /** reading (or generating) the weights and uploading them */
  load_ms: number;
  peak_rss_bytes: number;
  gpu_weight_bytes: number;
  gpu_bytes: number;
  /** compute dispatches recorded for one decoded token */
  dispatches_per_token: number;
  prefill_dispatches: number;
  /** JavaScript + Dawn time to record and submit one decode step (ms) */
  decode_record_ms: number;
  runs: { prefill_tps: number; decode_tps: number; ttft_ms: number }[];
  /** JavaScript recording + submitting the prefill (median), ms: it overlaps the GPU after the first layers */
  prefill_record_ms: number;
  /**
   * `profile`: one decode step and one prefill with each dispatch timestamped, and the prefill's GPU time
   * recorded in one pass as the fast path does (median of 5), without the per-dispatch overhead.
   */
  profile?: { decode: GpuProfile; prefill: GpuProfile; prefill_gpu_ms: number };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/** Loads the model on the GPU, then times prefill (time to first token) and greedy decoding on it. */
export async function benchGpu(opts: BenchGpuOptions): Promise<BenchGpuResult> {
  const P = opts.prompt ?? 512;
  const G = opts.gen ?? 128;
  const dtype = opts.dtype ?? 'bf16';
  const runs = opts.runs ?? 3;
  const acquire: AcquireOptions = { dawnOptions: opts.dawnOptions ?? [...GPU_DAWN_OPTIONS], mma: opts.mma !== false };
  const ctx = await acquireDevice(acquire);
  const t0 = performance.now();
  const common = {
    context: ctx,
    maxContext: P + G,
    ...(opts.submitEvery !== undefined && { submitEvery: opts.submitEvery }),
    ...(opts.pipeline !== undefined && { pipeline: opts.pipeline }),
  };
  let model: Qwen3GpuModel;
  let name: string;
  if (opts.synth !== undefined) {
    const config = synthConfig(opts.synth);
    model = await Qwen3GpuModel.fromWeights(config, await synthWeights(config, { dtype }), dtype, common);
    name = `${typeof opts.synth === 'string' ? opts.synth : 'config'} (random weights)`;
  } else if (opts.model !== undefined) {
    model = await Qwen3GpuModel.load(opts.model, { ...common, dtype });
    name = opts.model;
  } else {
    throw new TypeError('benchGpu: pass model or synth');
  }
  const loadMs = performance.now() - t0;
  try {
    const V = model.config.vocab_size;
    const prompt = Array.from({ length: P }, (_, i) => (i * 7919 + 13) % V);
    const greedy = { temperature: 0 };
    const one = async (): Promise<{ prefill_tps: number; decode_tps: number; ttft_ms: number; recordMs: number; prefillRecordMs: number }> => {
      const cache = model.createCache(P + G);
      const a = performance.now();
      let id = await model.forwardSample(prompt, cache, greedy, 0.5);
      const ttft = performance.now() - a;
      const prefillRecordMs = model.lastRecordMs;
      const b = performance.now();
      let recordMs = 0;
      for (let i = 1; i < G; i++) {
        id = await model.forwardSample([id], cache, greedy, 0.5);
        recordMs += model.lastRecordMs;
      }
      const decodeMs = performance.now() - b;
      cache.destroy();
      return { prefill_tps: (P * 1000) / ttft, decode_tps: ((G - 1) * 1000) / decodeMs, ttft_ms: ttft, recordMs: recordMs / Math.max(1, G - 1), prefillRecordMs };
    };
    await one(); // warm-up: pipelines compile, buffers fault in
    const res = [];
    for (let r = 0; r < runs; r++) res.push(await one());
    // dispatch counts: one prefill and one decode step
    const cache = model.createCache(P + G);
    const first = await model.forwardSample(prompt, cache, greedy, 0.5);
    const prefillDispatches = model.lastDispatches;
    await model.forwardSample([first], cache, greedy, 0.5);
    const perToken = model.lastDispatches;
    let profile: BenchGpuResult['profile'];
    if (opts.profile === true) {
      const decode = await model.profile([first], cache);
      cache.reset();
      const prefill = await model.profile(prompt.slice(0, Math.min(P, model.prefillChunk)), cache);
      const whole = [];
      for (let r = 0; r < 5; r++) whole.push((await model.profile(prompt.slice(0, Math.min(P, model.prefillChunk)), cache, undefined, { whole: true })).gpuMs);
      profile = { decode, prefill, prefill_gpu_ms: median(whole) };
    }
    cache.destroy();
    const info = ctx.adapterInfo;
    const cpus = os.cpus();
    return {
      device: 'gpu',
      adapter: { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description },
      tensor_cores: ctx.features.mma,
      machine: { cpus: cpus[0]?.model ?? 'unknown', cores: cpus.length, platform: `${os.platform()} ${os.release()}`, node: process.version },
      model: name,
      dtype,
      prompt_tokens: P,
      gen_tokens: G,
      prefill_tps: median(res.map((r) => r.prefill_tps)),
      decode_tps: median(res.map((r) => r.decode_tps)),
      ttft_ms: median(res.map((r) => r.ttft_ms)),
      load_ms: loadMs,
      peak_rss_bytes: process.resourceUsage().maxRSS * 1024,
      gpu_weight_bytes: model.weights.bytes,
      gpu_bytes: ctx.stats.bytes,
      dispatches_per_token: perToken,
      prefill_dispatches: prefillDispatches,
      decode_record_ms: median(res.map((r) => r.recordMs)),
      prefill_record_ms: median(res.map((r) => r.prefillRecordMs)),
      runs: res.map(({ prefill_tps, decode_tps, ttft_ms }) => ({ prefill_tps, decode_tps, ttft_ms })),
      ...(profile && { profile }),
    };
  } finally {
    model.dispose();
    ctx.destroy();
  }
}

/** `--profile` lines: GPU time by op of one decode step and of one prefill (timestamp queries). */
export function formatGpuProfile(p: { decode: GpuProfile; prefill: GpuProfile; prefill_gpu_ms?: number }): string {
  const lines: string[] = [];
  for (const [what, prof] of [['decode step', p.decode], ['prefill', p.prefill]] as const) {
    lines.push(`  ${what}: ${prof.dispatches} dispatches, ${prof.gpuMs.toFixed(3)} ms of GPU time in them:`);
    for (const op of prof.ops) {
      const share = prof.gpuMs > 0 ? (100 * op.ms) / prof.gpuMs : 0;
      lines.push(`    ${op.ms.toFixed(3).padStart(9)} ms ${share.toFixed(1).padStart(5)}%  ${String(op.dispatches).padStart(4)} ×  ${op.name}`);
    }
  }
  if (p.prefill_gpu_ms !== undefined) lines.push(`  prefill in one pass, as run: ${p.prefill_gpu_ms.toFixed(3)} ms of GPU time (median of 5)`);
  return lines.join('\n') + '\n';
}
