import { readFileSync } from 'node:fs';
import os from 'node:os';
import { resolveModel, type TextConfig } from '@qo/loader';
import { Qwen3ForCausalLM, synthConfig, synthModel, type SynthPreset, type Qwen3Weights } from '@qo/qwen3';

/** `qo bench --device cpu`: what to load, and how long the prompt and the reply are. */
export interface BenchCpuOptions {
  /** A checkpoint directory or Hub id, or … */
  model?: string;
  /** … a preset (or a config) whose exact shapes get random weights in memory (no download). */
  synth?: SynthPreset | TextConfig;
  /** Weights in memory (default bf16). */
  dtype?: 'bf16' | 'q8_0' | 'f32';
  /** Prompt tokens (default 128). */
  prompt?: number;
  /** Generated tokens (default 64); the first comes from the prefill. */
  gen?: number;
  /** Timed runs; the median is reported (default 3). */
  runs?: number;
  /** Threads (default: every core). */
  threads?: number;
  /** 'wasm' (default) or 'js' (the plain TypeScript ops, one thread). */
  backend?: 'wasm' | 'js';
  /** Also time each op of the decode steps (adds a timer call per op). */
  profile?: boolean;
}

/** Where one decode step's time goes, summed over the steps of a run (ms per token). */
export type CpuProfile = Record<string, number>;

export interface BenchCpuResult {
  device: 'cpu';
  backend: 'wasm' | 'js';
  threads: number;
  machine: { cpu: string; cores: number; platform: string; node: string; loadavg: number[] };
  node: string;
  model: string;
  preset: string | null;
  dtype: string;
  prompt_tokens: number;
  gen_tokens: number;
  /** prompt tokens / time to first token (the prefill and the first greedy token) */
  prefill_tps: number;
  /** (gen − 1) / time of the decode steps after the first token */
  decode_tps: number;
  ttft_ms: number;
  /** reading (or generating) the weights */
  load_ms: number;
  /** the process's peak resident set (includes loading) */
  peak_rss_bytes: number;
  weight_bytes: number;
  kv_cache_bytes: number;
  runs: { prefill_tps: number; decode_tps: number; ttft_ms: number }[];
  profile?: CpuProfile;
}

/**
 * This process's peak resident set: VmHWM of /proc/self/status on Linux (the high-water mark of this
 * process image), else getrusage's maxrss, which on Linux also counts the parent's resident set at the
 * fork that started this process.
 */
export function peakRssBytes(): number {
  try {
    const kb = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (kb !== undefined) return Number(kb) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

function argmax(a: Float32Array): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
  return best;
}

/** Bytes of every weight array (a tied head counted once). */
export function weightBytes(w: Qwen3Weights): number {
  const seen = new Set<ArrayBufferView>();
  const add = (a: ArrayBufferView) => seen.add(a);
  const matrix = (m: Qwen3Weights['lm_head']) => (m.dtype === 'q8_0' ? (add(m.qs), add(m.d)) : add(m.data));
  matrix(w.embed_tokens);
  matrix(w.lm_head);
  add(w.norm);
  for (const l of w.layers) {
    for (const v of [l.input_layernorm, l.post_attention_layernorm, l.q_norm, l.k_norm]) add(v);
    for (const m of [l.q_proj, l.k_proj, l.v_proj, l.o_proj]) matrix(m);
    const mlps = 'experts' in l.mlp ? (matrix(l.mlp.gate), l.mlp.experts) : [l.mlp];
    for (const e of mlps) for (const m of [e.gate_proj, e.up_proj, e.down_proj]) matrix(m);
  }
  let n = 0;
  for (const a of seen) n += a.byteLength;
  return n;
}

/**
 * Wraps the model's backend so each op's time is added to `into` under a name (the op, and for
 * projections the weight they read). Used only with --profile: the timer calls cost ~1 µs per op.
 */
function profileBackend(m: Qwen3ForCausalLM, into: CpuProfile): void {
  const b = m.backend as unknown as Record<string, (...a: unknown[]) => unknown>;
  const c = m.config;
  const name = (op: string, w?: { rows: number; cols: number }): string => {
    if (w === undefined) return op;
    if (op === 'matmul' && w.rows === c.vocab_size) return 'lm_head';
    if (op === 'matmulAdd') return w.cols === c.num_attention_heads * c.head_dim ? 'o_proj (+ residual)' : 'down_proj (+ residual)';
    if (op === 'matmul3') return 'q/k/v_proj';
    if (op === 'swiglu') return 'gate/up_proj + silu·mul';
    return op === 'matmul' ? 'router / other matmul' : op;
  };
  for (const op of ['matmul', 'matmulAdd', 'matmul3', 'swiglu', 'rmsnorm', 'attention', 'add']) {
    const f = b[op].bind(b);
    b[op] = (...a: unknown[]) => {
      const t0 = performance.now();
      const r = f(...a);
      const w = op === 'rmsnorm' || op === 'attention' || op === 'add' ? undefined : a[3]; // the (first) weight
      const k = name(op, w as { rows: number; cols: number } | undefined);
      into[k] = (into[k] ?? 0) + performance.now() - t0;
      return r;
    };
  }
}

/** Loads (or synthesizes) the model on the CPU, then times prefill (time to first token) and greedy decoding. */
export async function benchCpu(opts: BenchCpuOptions): Promise<BenchCpuResult> {
  const P = opts.prompt ?? 128;
  const G = opts.gen ?? 64;
  const dtype = opts.dtype ?? 'bf16';
  const runs = opts.runs ?? 3;
  const backend = opts.backend ?? 'wasm';
  const load = { dtype, backend, ...(opts.threads !== undefined && { threads: opts.threads }) };
  const t0 = performance.now();
  let model: Qwen3ForCausalLM;
  let name: string;
  let preset: string | null = null;
  if (opts.synth !== undefined) {
    model = await synthModel(synthConfig(opts.synth), load);
    preset = typeof opts.synth === 'string' ? opts.synth : 'config';
    name = `${preset} (random weights)`;
  } else if (opts.model !== undefined) {
    model = await Qwen3ForCausalLM.load(await resolveModel(opts.model), load);
    name = opts.model;
  } else {
    throw new TypeError('benchCpu: pass model or synth');
  }
  const loadMs = performance.now() - t0;
  try {
    const V = model.config.vocab_size;
    const prompt = Array.from({ length: P }, (_, i) => (i * 7919 + 13) % V);
    const cache = model.createCache(P + G);
    const one = (p: number[], gen: number): { prefill_tps: number; decode_tps: number; ttft_ms: number } => {
      cache.reset();
      const a = performance.now();
      let id = argmax(model.forward(p, cache));
      const ttft = performance.now() - a;
      const b = performance.now();
      for (let i = 1; i < gen; i++) id = argmax(model.forward([id], cache));
      const decodeMs = performance.now() - b;
      return { prefill_tps: (p.length * 1000) / ttft, decode_tps: ((gen - 1) * 1000) / decodeMs, ttft_ms: ttft };
    };
    one(prompt, Math.min(G, 8)); // warm-up at full length: JIT and wasm tier-up (on every thread), pages fault in
    const res = [];
    for (let r = 0; r < runs; r++) res.push(one(prompt, G));
    let profile: CpuProfile | undefined;
    if (opts.profile === true) {
      const spent: CpuProfile = {};
      profileBackend(model, spent);
      cache.reset();
      let id = argmax(model.forward(prompt, cache));
      for (const k of Object.keys(spent)) delete spent[k]; // decode steps only
      const a = performance.now();
      for (let i = 1; i < G; i++) id = argmax(model.forward([id], cache));
      const total = performance.now() - a;
      const ops = Object.values(spent).reduce((s, v) => s + v, 0);
      profile = Object.fromEntries(
        [...Object.entries(spent).sort((x, y) => y[1] - x[1]), ['other (embedding, q/k norm, rope, KV write, argmax, JS)', total - ops]].map(
          ([k, v]) => [k, (v as number) / Math.max(1, G - 1)],
        ),
      );
    }
    const cpus = os.cpus();
    return {
      device: 'cpu',
      backend,
      threads: model.backend.threads,
      machine: { cpu: cpus[0]?.model ?? 'unknown', cores: cpus.length, platform: `${os.platform()} ${os.release()}`, node: process.version, loadavg: os.loadavg() },
      node: process.version,
      model: name,
      preset,
      dtype,
      prompt_tokens: P,
      gen_tokens: G,
      prefill_tps: (P * 1000) / median(res.map((r) => r.ttft_ms)), // of the median run's TTFT
      decode_tps: median(res.map((r) => r.decode_tps)),
      ttft_ms: median(res.map((r) => r.ttft_ms)),
      load_ms: loadMs,
      peak_rss_bytes: peakRssBytes(),
      weight_bytes: weightBytes(model.weights),
      kv_cache_bytes: cache.byteLength,
      runs: res,
      ...(profile && { profile }),
    };
  } finally {
    model.dispose();
  }
}
