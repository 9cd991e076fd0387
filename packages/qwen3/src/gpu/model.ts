import {
  acquireDevice,
  matmul,
  rmsnorm,
  ropeTable,
  TokenReader,
  type AcquireOptions,
  type GpuContext,
  type GpuTensor,
  type RopeTable,
} from '@qo/gpu';
import { Checkpoint, loadConfig, type Qwen3MoeTextConfig, type TextConfig } from '@qo/loader';
import { ropeInit } from '@qo/tensor';
import { type WeightDType, checkWeightDType } from '../config.js';
import { Qwen3InputError } from '../errors.js';
import type { ForwardOptions } from '../model.js';
import { type LoadProgress, type Qwen3Weights, loadWeights } from '../weights.js';
import { GpuSparseMoe, destroyExperts } from '../gpu-moe/index.js';
import { GpuKVCache } from './cache.js';
import { type GpuProfile, profileStep, timeStep } from './profile.js';
import { ReplayRecorder } from './replay.js';
import { type GpuSampling, type RecordEnv, recordEmbedding, recordLastLogits, recordLayer, recordSample } from './record.js';
import { allocateRunState, destroyRunState, maxChunk, type GpuRunState } from './state.js';
import { type GpuQwen3Weights, isSparseMlp, uploadQwen3Weights } from './weights.js';

export interface GpuLoadOptions {
  /** Weights on the GPU: bf16 as stored (default), f32, or q8_0 quantized at load. Compute is f32. */
  dtype?: WeightDType;
  onProgress?: (p: LoadProgress) => void;
  /** A device to share; by default the model acquires one (and `dispose()` releases it). */
  context?: GpuContext;
  /**
   * Options for acquiring the device when no `context` is given. Default in Node: the Dawn toggles
   * `disable_robustness` and `allow_unsafe_apis` (GPU_DAWN_OPTIONS), unless `robustness` is true; the
   * second lists the experimental subgroup-matrix feature, the prefill's int8 tensor-core path
   * (`acquire: { mma: false }` keeps the f32 kernels).
   */
  acquire?: AcquireOptions;
  /**
   * Keep WebGPU's robust buffer access (bounds checks on every storage access in every kernel) when
   * the model acquires its device in Node. Default false: qo's kernels index within their bindings
   * (each is tested against the CPU op on odd sizes, with this toggle too), and the checks cost a
   * third of the decode speed on an H100. true uses Dawn's defaults, which also leave out
   * `allow_unsafe_apis` and with it the tensor-core prefill. Browsers ignore Dawn toggles.
   */
  robustness?: boolean;
  /** Default KV cache length of `createCache()`: default min(max_position_embeddings, 4096). */
  maxContext?: number;
  /** Most tokens one prefill pass runs (longer prompts run in chunks); default 512, less where activations would not fit one binding. */
  prefillChunk?: number;
  /** Submit a step to the GPU every this many layers, so the GPU starts while the rest is recorded (default 4; 0: once per step). */
  submitEvery?: number;
  /**
   * After `forwardSample`, record and submit the next decode step (all but its sampler, with the
   * sampled id as input, straight from the GPU) before reading the id back, so the GPU computes
   * while the caller handles the token; used when the next call continues with that id (default true).
   */
  pipeline?: boolean;
  /**
   * Record a decode step's fixed dispatches (embedding, matmuls, head) once and replay them at every
   * later step (default true; false records every op afresh through its wrapper: tests and
   * benchmarks compare the two).
   */
  replay?: boolean;
}

/** How `forwardSample` picks the next token: `@qo/generate`'s Sampler semantics, temperature 0 = greedy. */
export interface GpuSamplingOptions {
  temperature: number;
  /** 0: off */
  topK?: number;
  /** 1: off */
  topP?: number;
  /** 0: off */
  minP?: number;
  /** Penalties over `counts` (occurrences of each token id in the penalty window, [vocab]). */
  penalties?: { counts: Uint32Array; repetition: number; presence: number; frequency: number };
}

/** Default cap on the KV cache (as the CPU session's). */
const DEFAULT_MAX_CONTEXT = 4096;

/**
 * Qwen3 (dense) on WebGPU: weights uploaded once, every op of a prefill (T tokens) or decode step
 * (1 token) recorded into one command encoder (submitted in a few pieces so the GPU starts early),
 * the next token chosen on the GPU and only its id read back. f32 compute over bf16 / f32 / q8_0
 * weights, like the CPU model. One call at a time.
 */
export class Qwen3GpuModel {
  /** Dispatches of the step the last forward / forwardSample call ran (all chunks; pipelined: the part recorded ahead included). */
  lastDispatches = 0;
  /** Milliseconds the last forward / forwardSample spent recording and submitting (JavaScript and Dawn, not the GPU). */
  lastRecordMs = 0;
  private readonly rec: ReplayRecorder;
  private readonly idsScratch: Uint32Array;
  private rope: RopeTable;
  private counts: GpuTensor | undefined;
  private allLogitsBuf: GpuTensor | undefined;
  private recording = false;
  /** The decode step submitted ahead by the last forwardSample: its cache, position, expected input id, dispatches. */
  private ahead: { cache: GpuKVCache; pos: number; id: number; dispatches: number } | undefined;
  private busy = false;
  private disposed = false;

  private constructor(
    readonly ctx: GpuContext,
    readonly config: TextConfig,
    readonly dtype: WeightDType,
    readonly weights: GpuQwen3Weights,
    private readonly st: GpuRunState,
    rope: RopeTable,
    private readonly reader: TokenReader,
    /** default length of `createCache()` */
    readonly maxContext: number,
    private readonly submitEvery: number,
    private readonly pipelined: boolean,
    private readonly ownsContext: boolean,
    /** qwen3_moe: the sparse block's kernels and scratch */
    private readonly moe: GpuSparseMoe | undefined,
    private readonly replay: boolean,
  ) {
    this.rec = new ReplayRecorder(ctx);
    this.rope = rope;
    this.idsScratch = new Uint32Array(st.chunk);
  }

  /** Loads config.json and the safetensors checkpoint of a local directory onto the GPU. */
  static async load(dir: string, opts: GpuLoadOptions = {}): Promise<Qwen3GpuModel> {
    const dtype = checkWeightDType(opts.dtype ?? 'bf16');
    const { config: any } = await loadConfig(dir);
    if (any.model_type !== 'qwen3' && any.model_type !== 'qwen3_moe') {
      throw new Qwen3InputError(`${dir}/config.json is model_type '${String(any.model_type)}'; Qwen3GpuModel runs qwen3`);
    }
    const config = any as TextConfig;
    checkModelType(config, `${dir}/config.json`);
    const ckpt = await Checkpoint.open(dir);
    let weights: Qwen3Weights;
    try {
      weights = await loadWeights(ckpt, config, dtype, opts.onProgress);
    } finally {
      await ckpt.close();
    }
    return Qwen3GpuModel.fromWeights(config, weights, dtype, opts);
  }

  /** Uploads weights already in memory (as `loadWeights` returns them, or synthetic ones of a preset's shapes). */
  static async fromWeights(config: TextConfig, weights: Qwen3Weights, dtype: WeightDType, opts: GpuLoadOptions = {}): Promise<Qwen3GpuModel> {
    checkModelType(config, 'config');
    const maxContext = opts.maxContext ?? Math.min(config.max_position_embeddings, DEFAULT_MAX_CONTEXT);
    checkContext(config, maxContext, 'maxContext');
    const submitEvery = opts.submitEvery ?? 4;
    if (!Number.isInteger(submitEvery) || submitEvery < 0) throw new Qwen3InputError(`submitEvery must be an integer >= 0, got ${submitEvery}`);
    const ctx = opts.context ?? (await acquireDevice(deviceOptions(opts)));
    try {
      const w = await uploadQwen3Weights(ctx, config, weights);
      const want = opts.prefillChunk ?? 512;
      if (!Number.isInteger(want) || want < 1) throw new Qwen3InputError(`prefillChunk must be a positive integer, got ${want}`);
      const st = await allocateRunState(ctx, config, Math.min(want, maxChunk(config, ctx.maxBindingBytes), maxContext));
      const rope = await buildRope(ctx, config, maxContext);
      const reader = await TokenReader.create(ctx);
      const sparse = w.layers.map((l) => l.mlp).find(isSparseMlp);
      const moe = sparse && (await GpuSparseMoe.create(ctx, config as Qwen3MoeTextConfig, { maxTokens: st.chunk, dtype: sparse.gate_up_proj.dtype }));
      await ctx.sync();
      return new Qwen3GpuModel(ctx, config, dtype, w, st, rope, reader, maxContext, submitEvery, opts.pipeline ?? true, opts.context === undefined, moe, opts.replay ?? true);
    } catch (e) {
      if (opts.context === undefined) ctx.destroy();
      throw e;
    }
  }

  /** A KV cache for up to `maxSeqLen` tokens (default `maxContext`); its GPU buffers are made by the first forward that uses it. */
  createCache(maxSeqLen = this.maxContext): GpuKVCache {
    checkContext(this.config, maxSeqLen, 'maxSeqLen');
    const c = this.config;
    return new GpuKVCache(this, c.num_hidden_layers, maxSeqLen, c.num_key_value_heads * c.head_dim);
  }

  /** Tokens one prefill pass runs; longer inputs run in several. */
  get prefillChunk(): number {
    return this.st.chunk;
  }

  /**
   * Runs `ids` at positions cache.length … cache.length + T − 1, appends their keys and values to
   * the cache and returns the logits: [1, vocab] for the last position, or [T, vocab] with
   * `allLogits`. `probe` receives 'embed', 'layers.{i}', 'norm' (and 'logits' with `allLogits`) as
   * [T, …] copies; with neither option nothing but the last logits row is read back.
   */
  async forward(ids: ArrayLike<number>, cache: GpuKVCache, opts: ForwardOptions = {}): Promise<Float32Array> {
    return this.exclusive(async () => {
      this.ahead = undefined;
      const T = await this.prepare(ids, cache);
      if (opts.probe === undefined && opts.allLogits !== true) {
        this.run(ids, cache, undefined);
        cache.length += T;
        return (await this.ctx.read(this.st.logits)) as Float32Array;
      }
      const out = await this.runInspected(ids, cache, opts);
      cache.length += T;
      return out;
    });
  }

  /**
   * Runs `ids` like `forward`, then picks the next token on the GPU with `uniform` ∈ [0, 1) as the
   * only randomness, and returns its id: the one number read back.
   */
  async forwardSample(ids: ArrayLike<number>, cache: GpuKVCache, sampling: GpuSamplingOptions, uniform: number): Promise<number> {
    return this.exclusive(async () => {
      const ahead = this.ahead;
      this.ahead = undefined;
      const T = await this.prepare(ids, cache);
      const s = await this.gpuSampling(sampling);
      const start = performance.now();
      if (ahead !== undefined && ahead.cache === cache && ahead.pos === cache.length && T === 1 && ids[0] === ahead.id) {
        // the step was submitted ahead: only its sampler is left
        this.begin();
        recordSample(this.rec, this.env, s, uniform);
        this.flush(true);
        this.lastDispatches = ahead.dispatches;
      } else {
        this.run(ids, cache, { s, uniform });
      }
      // the readback is asked for before the step ahead is submitted: it waits for this step only
      const pending = this.reader.read();
      const pos = cache.length + T;
      let next: number | undefined;
      try {
        next = this.pipelined && pos < cache.maxSeqLen ? this.runAhead(cache, pos) : undefined;
      } catch (e) {
        await pending.catch(() => undefined);
        throw e;
      }
      this.lastRecordMs = performance.now() - start;
      const [id] = await pending;
      cache.length += T;
      if (next !== undefined) this.ahead = { cache, pos, id, dispatches: next };
      return id;
    });
  }

  /**
   * Runs `ids` (at most `prefillChunk` of them) once more at the cache's current positions, with
   * every dispatch in a timestamped pass of its own, and returns the GPU time by op (`whole`: in one
   * pass, as the fast path records it, timestamped at its ends: the step's GPU time as one op). The
   * cache is not advanced. Needs the adapter's 'timestamp-query'.
   */
  async profile(ids: ArrayLike<number>, cache: GpuKVCache, sampling: GpuSamplingOptions = { temperature: 0 }, opts: { whole?: boolean } = {}): Promise<GpuProfile> {
    return this.exclusive(async () => {
      this.ahead = undefined;
      const T = await this.prepare(ids, cache);
      if (T > this.st.chunk) throw new Qwen3InputError(`profile runs one chunk: at most ${this.st.chunk} tokens, got ${T}`);
      this.writeIds(ids, 0, T);
      const s = await this.gpuSampling(sampling);
      return (opts.whole === true ? timeStep : profileStep)(this.ctx, (rec, mark) => {
        const e = { ...this.env, mark, segment: undefined }; // every op through the profiling recorder
        recordEmbedding(rec, e, T);
        for (let l = 0; l < this.config.num_hidden_layers; l++) recordLayer(rec, e, l, cache, T, cache.length);
        recordLastLogits(rec, e, T);
        recordSample(rec, e, s, 0.5);
      });
    });
  }

  /** Frees the weights, activations and (when the model acquired it) the device. Caches must be destroyed by their owners. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    destroyRunState(this.st);
    this.rope.tensor.buffer.destroy();
    this.counts?.buffer.destroy();
    this.allLogitsBuf?.buffer.destroy();
    const w = this.weights;
    const tensors = [w.norm, ...w.layers.flatMap((l) => [l.input_layernorm, l.post_attention_layernorm, l.q_norm, l.k_norm])];
    const mats = [w.embed_tokens, w.lm_head, ...w.layers.flatMap((l) => [l.qkv_proj, l.o_proj, ...(isSparseMlp(l.mlp) ? [l.mlp.gate] : [l.mlp.gate_up_proj, l.mlp.down_proj])])];
    for (const l of w.layers) if (isSparseMlp(l.mlp)) [l.mlp.gate_up_proj, l.mlp.down_proj].forEach(destroyExperts);
    this.moe?.destroy();
    for (const t of tensors) t.buffer.destroy();
    for (const m of new Set(mats)) for (const ch of m.chunks) [ch.w, ch.d].forEach((b) => b?.destroy());
    this.rec.forget();
    this.ctx.clearBindGroups();
    if (this.ownsContext) this.ctx.destroy();
  }

  private get env(): RecordEnv {
    return { config: this.config, weights: this.weights, st: this.st, rope: this.rope, moe: this.moe, segment: this.replay ? this.segment : undefined };
  }

  /** Decode matmuls are recorded once, then replayed (their params never change; see ReplayRecorder). */
  private readonly segment = (key: string, record: () => void): void => this.rec.segment(key, record);

  private async exclusive<R>(f: () => Promise<R>): Promise<R> {
    if (this.disposed) throw new Qwen3InputError('this Qwen3GpuModel was disposed; load it again');
    if (this.busy) throw new Qwen3InputError('Qwen3GpuModel runs one call at a time; await the previous forward before the next');
    this.busy = true;
    try {
      return await f();
    } finally {
      if (this.recording) {
        this.rec.end();
        this.recording = false;
      }
      this.busy = false;
    }
  }

  /** Checks ids and cache room; allocates the cache and grows the RoPE table on first use. Returns T. */
  private async prepare(ids: ArrayLike<number>, cache: GpuKVCache): Promise<number> {
    const T = ids.length;
    if (T === 0) throw new Qwen3InputError('forward needs at least one token id');
    const V = this.config.vocab_size;
    for (let t = 0; t < T; t++) {
      const id = ids[t];
      if (!Number.isInteger(id) || id < 0 || id >= V) throw new Qwen3InputError(`token id ${id} at index ${t} is outside the vocabulary [0, ${V})`);
    }
    cache.reserve(T);
    await cache.allocate(this.ctx, this);
    if (this.rope.positions < cache.maxSeqLen) {
      const old = this.rope;
      this.rope = await buildRope(this.ctx, this.config, cache.maxSeqLen);
      old.tensor.buffer.destroy();
      this.ctx.clearBindGroups();
    }
    return T;
  }

  private async gpuSampling(o: GpuSamplingOptions): Promise<GpuSampling> {
    const s: GpuSampling = { temperature: o.temperature, topK: o.topK, topP: o.topP, minP: o.minP };
    if (o.penalties !== undefined) {
      const V = this.config.vocab_size;
      if (o.penalties.counts.length !== V) throw new Qwen3InputError(`penalties.counts holds ${o.penalties.counts.length} counts; the vocabulary has ${V}`);
      this.counts ??= await this.ctx.tensor('u32', [V], 'penalty counts');
      this.ctx.write(this.counts, o.penalties.counts);
      s.penalties = { ...o.penalties, counts: this.counts };
    }
    return s;
  }

  private begin(): void {
    this.rec.begin();
    this.recording = true;
  }

  /** Ends the recording and submits it (with the token copy when `token`). */
  private flush(token = false): void {
    const enc = this.rec.end();
    this.recording = false;
    this.lastDispatches += this.rec.dispatches;
    if (token) this.reader.copy(enc, this.st.ids);
    this.ctx.device.queue.submit([enc.finish()]);
  }

  private writeIds(ids: ArrayLike<number>, t0: number, n: number): void {
    const buf = this.idsScratch;
    for (let t = 0; t < n; t++) buf[t] = ids[t0 + t];
    this.ctx.write(this.st.ids, buf.subarray(0, n));
  }

  /** The fast path: each chunk recorded and submitted in pieces; the last ends with the head (and the sampler). */
  private run(ids: ArrayLike<number>, cache: GpuKVCache, sample: { s: GpuSampling; uniform: number } | undefined): void {
    const e = this.env;
    const L = this.config.num_hidden_layers;
    const T = ids.length;
    const C = this.st.chunk;
    const start = performance.now();
    this.lastDispatches = 0;
    for (let t0 = 0; t0 < T; t0 += C) {
      const n = Math.min(C, T - t0);
      this.writeIds(ids, t0, n);
      this.begin();
      recordEmbedding(this.rec, e, n);
      for (let l = 0; l < L; l++) {
        recordLayer(this.rec, e, l, cache, n, cache.length + t0);
        if (this.submitEvery > 0 && (l + 1) % this.submitEvery === 0 && l + 1 < L) {
          this.flush();
          this.begin();
        }
      }
      const last = t0 + n === T;
      if (last) {
        recordLastLogits(this.rec, e, n);
        if (sample !== undefined) recordSample(this.rec, e, sample.s, sample.uniform);
      }
      this.flush(last && sample !== undefined);
    }
    this.lastRecordMs = performance.now() - start;
  }

  /**
   * Records and submits the decode step at `pos` whose input is the id the sampler just wrote to
   * ids[0] on the GPU, all but its sampler. Returns its dispatch count (sampler included).
   */
  private runAhead(cache: GpuKVCache, pos: number): number {
    const e = this.env;
    const L = this.config.num_hidden_layers;
    const before = this.lastDispatches;
    this.lastDispatches = 0;
    this.begin();
    recordEmbedding(this.rec, e, 1);
    for (let l = 0; l < L; l++) {
      recordLayer(this.rec, e, l, cache, 1, pos);
      if (this.submitEvery > 0 && (l + 1) % this.submitEvery === 0 && l + 1 < L) {
        this.flush();
        this.begin();
      }
    }
    recordLastLogits(this.rec, e, 1);
    this.flush();
    const n = this.lastDispatches + 1;
    this.lastDispatches = before;
    return n;
  }

  /** Validation path: probes and/or all logits, read back op group by op group (slow, and only when asked). */
  private async runInspected(ids: ArrayLike<number>, cache: GpuKVCache, opts: ForwardOptions): Promise<Float32Array> {
    const c = this.config;
    const e = this.env;
    const { H, V, T, C } = { H: c.hidden_size, V: c.vocab_size, T: ids.length, C: this.st.chunk };
    const probed = new Map<string, { data: Float32Array; width: number }>();
    const grab = async (name: string, src: GpuTensor, t0: number, n: number, width: number): Promise<void> => {
      if (this.recording) this.flush();
      const data = await this.ctx.read(src, 0, n * width);
      let all = probed.get(name);
      if (all === undefined) probed.set(name, (all = { data: new Float32Array(T * width), width }));
      all.data.set(data, t0 * width);
    };
    const probe = opts.probe !== undefined;
    const logits = opts.allLogits === true ? new Float32Array(T * V) : undefined;
    this.lastDispatches = 0;
    for (let t0 = 0; t0 < T; t0 += C) {
      const n = Math.min(C, T - t0);
      this.writeIds(ids, t0, n);
      this.begin();
      recordEmbedding(this.rec, e, n);
      if (probe) await grab('embed', this.st.h, t0, n, H);
      for (let l = 0; l < c.num_hidden_layers; l++) {
        if (!this.recording) this.begin();
        recordLayer(this.rec, e, l, cache, n, cache.length + t0);
        if (probe) await grab(`layers.${l}`, this.st.h, t0, n, H);
        if (probe && this.moe !== undefined && isSparseMlp(this.weights.layers[l].mlp)) {
          await grab(`layers.${l}.router_logits`, this.moe.routerLogits, t0, n, this.moe.shape.num_experts);
        }
      }
      if (!this.recording) this.begin();
      rmsnorm(this.rec, { out: this.st.xn, x: this.st.h, weight: this.weights.norm, rows: n, dim: H, eps: c.rms_norm_eps });
      if (probe) await grab('norm', this.st.xn, t0, n, H);
      if (logits !== undefined) {
        const buf = await this.allLogits();
        const R = buf.size / V;
        for (let r0 = 0; r0 < n; r0 += R) {
          const r = Math.min(R, n - r0);
          if (!this.recording) this.begin();
          matmul(this.rec, { out: buf, x: this.st.xn, w: this.weights.lm_head, T: r, xOffset: r0 * H });
          this.flush();
          logits.set(await this.ctx.read(buf, 0, r * V), (t0 + r0) * V);
        }
      } else if (t0 + n === T) {
        if (!this.recording) this.begin();
        recordLastLogits(this.rec, e, n);
      }
      if (this.recording) this.flush();
    }
    if (opts.probe !== undefined) {
      for (const [name, { data, width }] of probed) opts.probe(name, data, [T, width]);
      if (logits !== undefined) opts.probe('logits', logits.slice(), [T, V]);
    }
    return logits ?? ((await this.ctx.read(this.st.logits)) as Float32Array);
  }

  /** [R, vocab] logits rows for `allLogits`, R as large as one binding allows (made on first use). */
  private async allLogits(): Promise<GpuTensor> {
    const V = this.config.vocab_size;
    const R = Math.max(1, Math.min(this.st.chunk, Math.floor(this.ctx.maxBindingBytes / (4 * V))));
    this.allLogitsBuf ??= await this.ctx.tensor('f32', [R, V], 'all logits');
    return this.allLogitsBuf;
  }
}

/**
 * Dawn toggles for qo's GPU device in Node: no robust buffer access (see GpuLoadOptions.robustness),
 * and the experimental features (subgroup matrices: the prefill on int8 tensor cores, GpuFeatures.mma).
 */
export const GPU_DAWN_OPTIONS: readonly string[] = Object.freeze(['enable-dawn-features=disable_robustness,allow_unsafe_apis']);

function deviceOptions(opts: GpuLoadOptions): AcquireOptions {
  const a = opts.acquire ?? {};
  if (opts.robustness === true || a.dawnOptions !== undefined) return a;
  return { ...a, dawnOptions: [...GPU_DAWN_OPTIONS] };
}

function checkModelType(c: TextConfig, where: string): void {
  if (c.model_type !== 'qwen3' && c.model_type !== 'qwen3_moe') {
    throw new Qwen3InputError(`${where} is model_type '${String(c.model_type)}'; Qwen3GpuModel runs qwen3 and qwen3_moe`);
  }
}

function checkContext(c: TextConfig, n: number, name: string): void {
  if (!Number.isSafeInteger(n) || n < 1 || n > c.max_position_embeddings) {
    throw new Qwen3InputError(`${name} must be an integer in [1, ${c.max_position_embeddings}] (the config's max_position_embeddings), got ${String(n)}`);
  }
}

function buildRope(ctx: GpuContext, c: TextConfig, positions: number): Promise<RopeTable> {
  const { invFreq, attentionScaling } = ropeInit(c.rope_parameters, c.head_dim, c.max_position_embeddings);
  return ropeTable(ctx, invFreq, attentionScaling, positions);
}
