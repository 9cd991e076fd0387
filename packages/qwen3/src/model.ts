import { Checkpoint, type Qwen3MoeTextConfig, type TextConfig, isMoeLayer, loadConfig } from '@qo/loader';
import { type AttentionOptions, type CpuBackend, type CpuBackendKind, createCpuBackend, embedding, rope, ropeInit } from '@qo/tensor';
import { KVCache } from './cache.js';
import { type WeightDType, checkWeightDType } from './config.js';
import { Qwen3InputError } from './errors.js';
import { type MoeState, makeMoeState, sparseMoeBlock } from './moe.js';
import { type LayerWeights, type LoadProgress, type MLPWeights, type Qwen3Weights, type SparseMoeWeights, loadWeights } from './weights.js';

/**
 * Named probe points, as in reference slices: 'embed', 'layers.{i}', 'layers.{i}.router_logits',
 * 'norm', 'logits'. `data` is a copy, row-major [T, ...]; nothing is copied when no probe is passed.
 */
export type Probe = (name: string, data: Float32Array, shape: readonly number[]) => void;

export interface ForwardOptions {
  probe?: Probe;
  /** Return logits for every position [T, vocab] instead of the last one [1, vocab]. */
  allLogits?: boolean;
}

/** Which CPU kernels run the model and on how many threads (see @qo/tensor `createCpuBackend`). */
export interface BackendOptions {
  /** 'wasm' (default): WebAssembly SIMD kernels on worker threads; 'js': the plain TypeScript ops, one thread. */
  backend?: CpuBackendKind;
  /** Threads for 'wasm', the caller's included (default: the number of CPU cores). Outputs do not depend on it. */
  threads?: number;
}

export interface LoadOptions extends BackendOptions {
  /** Weights in memory: bf16 as stored (default), f32, or q8_0 quantized at load. Compute is f32. */
  dtype?: WeightDType;
  onProgress?: (p: LoadProgress) => void;
}

/** The backend a load asks for: only 'wasm' takes threads. */
export function backendFor(opts: BackendOptions): Promise<CpuBackend> {
  const kind = opts.backend ?? 'wasm';
  if (kind !== 'wasm' && kind !== 'js') throw new Qwen3InputError(`backend '${String(kind)}' is not supported; use wasm or js`);
  return createCpuBackend({ kind, threads: opts.threads });
}

/**
 * Activations of one forward pass in backend memory, allocated for `capacity` tokens and reused (grown
 * only by longer prefills). Nothing here is allocated by a decode step.
 */
class RunState {
  capacity = 0;
  x: Float32Array = new Float32Array(0); // [T, hidden] residual stream
  h: Float32Array = new Float32Array(0); // [T, hidden] normed input of a block
  q: Float32Array = new Float32Array(0); // [T, nHeads * headDim]
  k: Float32Array = new Float32Array(0); // [T, nKvHeads * headDim]
  v: Float32Array = new Float32Array(0); // [T, nKvHeads * headDim]
  attn: Float32Array = new Float32Array(0); // [T, nHeads * headDim]
  out: Float32Array = new Float32Array(0); // [T, hidden] MoE block output
  act: Float32Array = new Float32Array(0); // [T, intermediate] silu(gate) · up
  logits: Float32Array = new Float32Array(0); // [T or 1, vocab]
  lastLogits: Float32Array = new Float32Array(0); // view of logits' first row, returned by decode steps
  positions = new Int32Array(0); // [T]
  attnOpts: AttentionOptions = { T: 0, S: 0, nHeads: 0, nKvHeads: 0, headDim: 0, scale: 0 };
  moe: MoeState | null = null;

  constructor(private readonly b: CpuBackend) {}

  ensure(c: TextConfig, T: number, allLogits: boolean): void {
    const needLogits = (allLogits ? T : 1) * c.vocab_size;
    if (needLogits > this.logits.length) {
      this.logits = this.grow(this.logits, needLogits);
      this.lastLogits = this.logits.subarray(0, c.vocab_size);
    }
    if (T <= this.capacity) return;
    const H = c.hidden_size;
    const inter = c.intermediate_size; // dense layers (MoE layers keep their own buffers)
    this.capacity = T;
    this.x = this.grow(this.x, T * H);
    this.h = this.grow(this.h, T * H);
    this.out = this.grow(this.out, T * H);
    this.q = this.grow(this.q, T * c.num_attention_heads * c.head_dim);
    this.attn = this.grow(this.attn, T * c.num_attention_heads * c.head_dim);
    this.k = this.grow(this.k, T * c.num_key_value_heads * c.head_dim);
    this.v = this.grow(this.v, T * c.num_key_value_heads * c.head_dim);
    this.act = this.grow(this.act, T * inter);
    this.positions = new Int32Array(T);
    if (this.moe !== null) for (const a of [this.moe.router, this.moe.xs, this.moe.act, this.moe.ys]) this.b.release(a);
    this.moe = null; // re-made at the new capacity by the first sparse layer
  }

  private grow(old: Float32Array, n: number): Float32Array {
    this.b.release(old);
    return this.b.f32(n);
  }
}

/** Frees the KV buffers a dropped cache held in kernel memory. */
const caches = new FinalizationRegistry<{ backend: CpuBackend; arrays: Float32Array[] }>(({ backend, arrays }) => {
  for (const a of arrays) backend.release(a);
});

/** Qwen3 dense and Qwen3-MoE causal LM on the CPU (f32 compute over bf16 / f32 / q8_0 weights). */
export class Qwen3ForCausalLM {
  private readonly state: RunState;
  private readonly invFreq: Float32Array;
  private readonly attentionScaling: number;

  private constructor(
    readonly config: TextConfig,
    readonly weights: Qwen3Weights,
    readonly dtype: WeightDType,
    /** The kernels (and threads) this model runs on; its memory holds the weights. */
    readonly backend: CpuBackend,
  ) {
    const r = ropeInit(config.rope_parameters, config.head_dim, config.max_position_embeddings);
    this.invFreq = r.invFreq;
    this.attentionScaling = r.attentionScaling;
    this.state = new RunState(backend);
  }

  /** Loads config.json and the safetensors checkpoint of a local directory. */
  static async load(dir: string, opts: LoadOptions = {}): Promise<Qwen3ForCausalLM> {
    const dtype = checkWeightDType(opts.dtype ?? 'bf16');
    const { config } = await loadConfig(dir);
    if (config.model_type !== 'qwen3' && config.model_type !== 'qwen3_moe') {
      throw new Qwen3InputError(`${dir}/config.json is model_type '${String(config.model_type)}'; Qwen3ForCausalLM runs qwen3 and qwen3_moe`);
    }
    const backend = await backendFor(opts);
    const ckpt = await Checkpoint.open(dir);
    try {
      return new Qwen3ForCausalLM(config, await loadWeights(ckpt, config, dtype, opts.onProgress, backend), dtype, backend);
    } catch (e) {
      backend.dispose();
      throw e;
    } finally {
      await ckpt.close();
    }
  }

  /**
   * A model over weights built in memory (see `synthModel`); they must lie in `backend` memory
   * (allocate them with `backend.weight` / `backend.f32`).
   */
  static fromWeights(config: TextConfig, weights: Qwen3Weights, dtype: WeightDType, backend: CpuBackend): Qwen3ForCausalLM {
    if (!backend.holds(weights.norm)) {
      throw new Qwen3InputError('fromWeights: the weights are not in the backend memory; allocate them with backend.weight() / backend.f32()');
    }
    return new Qwen3ForCausalLM(config, weights, checkWeightDType(dtype), backend);
  }

  /** A KV cache for up to `maxSeqLen` tokens (default: the config's max_position_embeddings), in backend memory. */
  createCache(maxSeqLen = this.config.max_position_embeddings): KVCache {
    const c = this.config;
    const row = c.num_key_value_heads * c.head_dim;
    const cache = new KVCache(c.num_hidden_layers, maxSeqLen, row, (n) => this.backend.f32(n)); // where the kernels read it
    if (this.backend.kind !== 'js') caches.register(cache, { backend: this.backend, arrays: [...cache.k, ...cache.v] });
    return cache;
  }

  /** Stops the backend's worker threads; the model cannot run afterwards. Dropped models are cleaned up too. */
  dispose(): void {
    this.backend.dispose();
  }

  /**
   * Runs `ids` at positions cache.length … cache.length + T − 1 (prefill when T > 1, decode when T = 1),
   * appends their keys and values to the cache and returns the logits: [1, vocab] for the last
   * position, or [T, vocab] with `allLogits`. The returned array is reused by the next call.
   */
  forward(ids: ArrayLike<number>, cache: KVCache, opts: ForwardOptions = {}): Float32Array {
    const c = this.config;
    const b = this.backend;
    const T = ids.length;
    if (T === 0) throw new Qwen3InputError('forward needs at least one token id');
    for (let t = 0; t < T; t++) {
      const id = ids[t];
      if (!Number.isInteger(id) || id < 0 || id >= c.vocab_size) {
        throw new Qwen3InputError(`token id ${id} at index ${t} is outside the vocabulary [0, ${c.vocab_size})`);
      }
    }
    if (cache.numLayers !== c.num_hidden_layers || !b.holds(cache.k[0])) {
      throw new Qwen3InputError('this KV cache was not made for this model; create it with model.createCache()');
    }
    cache.reserve(T);
    const past = cache.length;
    const S = past + T;
    const st = this.state;
    st.ensure(c, T, opts.allLogits ?? false);
    const probe = opts.probe;
    const H = c.hidden_size;
    for (let t = 0; t < T; t++) st.positions[t] = past + t;

    embedding(st.x, this.weights.embed_tokens, ids); // [T, H]
    if (probe) probe('embed', st.x.slice(0, T * H), [T, H]);
    for (let l = 0; l < c.num_hidden_layers; l++) {
      const w = this.weights.layers[l];
      this.attention(l, w, cache, T, past, S);
      b.rmsnorm(st.h, st.x, w.post_attention_layernorm, T, H, c.rms_norm_eps);
      if (isMoeLayer(c, l)) {
        const mc = c as Qwen3MoeTextConfig;
        st.moe ??= makeMoeState(b, mc, st.capacity);
        sparseMoeBlock(b, st.out, st.h, T, w.mlp as SparseMoeWeights, mc, st.moe, probe && ((d, s) => probe(`layers.${l}.router_logits`, d, s)));
        b.add(st.x, st.x, st.out, T * H);
      } else {
        const m = w.mlp as MLPWeights;
        b.swiglu(st.act, st.h, T, m.gate_proj, m.up_proj); // silu(gate_proj(h)) * up_proj(h)
        b.matmulAdd(st.x, st.act, T, m.down_proj); // x += down_proj(·)
      }
      if (probe) probe(`layers.${l}`, st.x.slice(0, T * H), [T, H]);
    }
    cache.length = S;

    b.rmsnorm(st.h, st.x, this.weights.norm, T, H, c.rms_norm_eps);
    if (probe) probe('norm', st.h.slice(0, T * H), [T, H]);
    const V = c.vocab_size;
    if (opts.allLogits) {
      b.matmul(st.logits, st.h, T, this.weights.lm_head);
      if (probe) probe('logits', st.logits.slice(0, T * V), [T, V]);
      return st.logits.subarray(0, T * V);
    }
    b.matmul(st.logits, T === 1 ? st.h : st.h.subarray((T - 1) * H, T * H), 1, this.weights.lm_head);
    return st.lastLogits;
  }

  /** Self-attention of layer l: x += o_proj(attn(rope(q_norm(q)), rope(k_norm(k)), v)). */
  private attention(l: number, w: LayerWeights, cache: KVCache, T: number, past: number, S: number): void {
    const c = this.config;
    const b = this.backend;
    const st = this.state;
    const H = c.hidden_size;
    const D = c.head_dim;
    const nH = c.num_attention_heads;
    const nKv = c.num_key_value_heads;
    b.rmsnorm(st.h, st.x, w.input_layernorm, T, H, c.rms_norm_eps);
    b.matmul3(st.h, T, st.q, w.q_proj, st.k, w.k_proj, st.v, w.v_proj); // [T, nH * D], [T, nKv * D] ×2, one pass over h
    b.rmsnorm(st.q, st.q, w.q_norm, T * nH, D, c.rms_norm_eps); // per-head norm over head_dim
    b.rmsnorm(st.k, st.k, w.k_norm, T * nKv, D, c.rms_norm_eps);
    rope(st.q, st.positions, T, nH, D, this.invFreq, this.attentionScaling); // rotate-half, as HF
    rope(st.k, st.positions, T, nKv, D, this.invFreq, this.attentionScaling);
    const row = nKv * D;
    copyInto(cache.k[l], past * row, st.k, T * row);
    copyInto(cache.v[l], past * row, st.v, T * row);
    const o = st.attnOpts;
    o.T = T;
    o.S = S;
    o.nHeads = nH;
    o.nKvHeads = nKv;
    o.headDim = D;
    o.scale = 1 / Math.sqrt(D);
    b.attention(st.attn, st.q, cache.k[l], cache.v[l], o); // [T, nH * D]
    b.matmulAdd(st.x, st.attn, T, w.o_proj); // x += o_proj(attn)
  }
}

function copyInto(dst: Float32Array, at: number, src: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) dst[at + i] = src[i];
}
