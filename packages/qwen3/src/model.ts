import { Checkpoint, type Qwen3MoeTextConfig, type TextConfig, isMoeLayer, loadConfig } from '@qo/loader';
import { add, attention, embedding, matmul, rmsnorm, rope, ropeInit, siluMul } from '@qo/tensor';
import { KVCache } from './cache.js';
import { type WeightDType, checkWeightDType } from './config.js';
import { Qwen3InputError } from './errors.js';
import { type MoeState, sparseMoeBlock } from './moe.js';
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

export interface LoadOptions {
  /** Weights in memory: bf16 as stored (default), f32, or q8_0 quantized at load. Compute is f32. */
  dtype?: WeightDType;
  onProgress?: (p: LoadProgress) => void;
}

/** Activations of one forward pass, allocated for `capacity` tokens and reused (grown only by longer prefills). */
class RunState {
  capacity = 0;
  x = new Float32Array(0); // [T, hidden] residual stream
  h = new Float32Array(0); // [T, hidden] normed input of a block
  q = new Float32Array(0); // [T, nHeads * headDim]
  k = new Float32Array(0); // [T, nKvHeads * headDim]
  v = new Float32Array(0); // [T, nKvHeads * headDim]
  attn = new Float32Array(0); // [T, nHeads * headDim]
  out = new Float32Array(0); // [T, hidden] block output
  gate = new Float32Array(0); // [T, intermediate]
  up = new Float32Array(0); // [T, intermediate]
  logits = new Float32Array(0); // [T or 1, vocab]
  lastLogits = new Float32Array(0); // view of logits' first row, returned by decode steps
  positions = new Int32Array(0); // [T]
  scores = new Float32Array(0); // [maxSeqLen] attention scratch
  moe: MoeState | null = null;

  ensure(c: TextConfig, T: number, S: number, allLogits: boolean): void {
    if (S > this.scores.length) this.scores = new Float32Array(S);
    const needLogits = (allLogits ? T : 1) * c.vocab_size;
    if (needLogits > this.logits.length) {
      this.logits = new Float32Array(needLogits);
      this.lastLogits = this.logits.subarray(0, c.vocab_size);
    }
    if (T <= this.capacity) return;
    const H = c.hidden_size;
    const inter = Math.max(c.intermediate_size, c.model_type === 'qwen3' ? 0 : c.moe_intermediate_size);
    this.capacity = T;
    this.x = new Float32Array(T * H);
    this.h = new Float32Array(T * H);
    this.out = new Float32Array(T * H);
    this.q = new Float32Array(T * c.num_attention_heads * c.head_dim);
    this.attn = new Float32Array(T * c.num_attention_heads * c.head_dim);
    this.k = new Float32Array(T * c.num_key_value_heads * c.head_dim);
    this.v = new Float32Array(T * c.num_key_value_heads * c.head_dim);
    this.gate = new Float32Array(T * inter);
    this.up = new Float32Array(T * inter);
    this.positions = new Int32Array(T);
    this.moe = null; // re-made at the new capacity by the first sparse layer
  }
}

/** Qwen3 dense and Qwen3-MoE causal LM on the CPU (f32 compute over bf16 / f32 / q8_0 weights). */
export class Qwen3ForCausalLM {
  private readonly state = new RunState();
  private readonly invFreq: Float32Array;
  private readonly attentionScaling: number;

  private constructor(
    readonly config: TextConfig,
    readonly weights: Qwen3Weights,
    readonly dtype: WeightDType,
  ) {
    const r = ropeInit(config.rope_parameters, config.head_dim, config.max_position_embeddings);
    this.invFreq = r.invFreq;
    this.attentionScaling = r.attentionScaling;
  }

  /** Loads config.json and the safetensors checkpoint of a local directory. */
  static async load(dir: string, opts: LoadOptions = {}): Promise<Qwen3ForCausalLM> {
    const dtype = checkWeightDType(opts.dtype ?? 'bf16');
    const { config } = await loadConfig(dir);
    if (config.model_type !== 'qwen3' && config.model_type !== 'qwen3_moe') {
      throw new Qwen3InputError(`${dir}/config.json is model_type '${String(config.model_type)}'; Qwen3ForCausalLM runs qwen3 and qwen3_moe`);
    }
    const ckpt = await Checkpoint.open(dir);
    try {
      return new Qwen3ForCausalLM(config, await loadWeights(ckpt, config, dtype, opts.onProgress), dtype);
    } finally {
      await ckpt.close();
    }
  }

  /** A KV cache for up to `maxSeqLen` tokens (default: the config's max_position_embeddings). */
  createCache(maxSeqLen = this.config.max_position_embeddings): KVCache {
    const c = this.config;
    return new KVCache(c.num_hidden_layers, maxSeqLen, c.num_key_value_heads * c.head_dim);
  }

  /**
   * Runs `ids` at positions cache.length … cache.length + T − 1 (prefill when T > 1, decode when T = 1),
   * appends their keys and values to the cache and returns the logits: [1, vocab] for the last
   * position, or [T, vocab] with `allLogits`. The returned array is reused by the next call.
   */
  forward(ids: ArrayLike<number>, cache: KVCache, opts: ForwardOptions = {}): Float32Array {
    const c = this.config;
    const T = ids.length;
    if (T === 0) throw new Qwen3InputError('forward needs at least one token id');
    for (let t = 0; t < T; t++) {
      const id = ids[t];
      if (!Number.isInteger(id) || id < 0 || id >= c.vocab_size) {
        throw new Qwen3InputError(`token id ${id} at index ${t} is outside the vocabulary [0, ${c.vocab_size})`);
      }
    }
    cache.reserve(T);
    const past = cache.length;
    const S = past + T;
    const st = this.state;
    st.ensure(c, T, cache.maxSeqLen, opts.allLogits ?? false);
    const probe = opts.probe;
    const H = c.hidden_size;
    for (let t = 0; t < T; t++) st.positions[t] = past + t;

    embedding(st.x, this.weights.embed_tokens, ids); // [T, H]
    if (probe) probe('embed', st.x.slice(0, T * H), [T, H]);
    for (let l = 0; l < c.num_hidden_layers; l++) {
      const w = this.weights.layers[l];
      this.attention(l, w, cache, T, past, S);
      rmsnorm(st.h, st.x, w.post_attention_layernorm, T, H, c.rms_norm_eps);
      if (isMoeLayer(c, l)) {
        const mc = c as Qwen3MoeTextConfig;
        st.moe ??= makeMoeState(mc, st.capacity);
        sparseMoeBlock(st.out, st.h, T, w.mlp as SparseMoeWeights, mc, st.moe, probe && ((d, s) => probe(`layers.${l}.router_logits`, d, s)));
      } else {
        this.mlp(w.mlp as MLPWeights, T);
      }
      add(st.x, st.x, st.out, T * H);
      if (probe) probe(`layers.${l}`, st.x.slice(0, T * H), [T, H]);
    }
    cache.length = S;

    rmsnorm(st.h, st.x, this.weights.norm, T, H, c.rms_norm_eps);
    if (probe) probe('norm', st.h.slice(0, T * H), [T, H]);
    const V = c.vocab_size;
    if (opts.allLogits) {
      matmul(st.logits, st.h, T, this.weights.lm_head);
      if (probe) probe('logits', st.logits.slice(0, T * V), [T, V]);
      return st.logits.subarray(0, T * V);
    }
    matmul(st.logits, T === 1 ? st.h : st.h.subarray((T - 1) * H, T * H), 1, this.weights.lm_head);
    return st.lastLogits;
  }

  /** Self-attention of layer l: x += o_proj(attn(rope(q_norm(q)), rope(k_norm(k)), v)). */
  private attention(l: number, w: LayerWeights, cache: KVCache, T: number, past: number, S: number): void {
    const c = this.config;
    const st = this.state;
    const H = c.hidden_size;
    const D = c.head_dim;
    const nH = c.num_attention_heads;
    const nKv = c.num_key_value_heads;
    rmsnorm(st.h, st.x, w.input_layernorm, T, H, c.rms_norm_eps);
    matmul(st.q, st.h, T, w.q_proj); // [T, nH * D]
    matmul(st.k, st.h, T, w.k_proj); // [T, nKv * D]
    matmul(st.v, st.h, T, w.v_proj); // [T, nKv * D]
    rmsnorm(st.q, st.q, w.q_norm, T * nH, D, c.rms_norm_eps); // per-head norm over head_dim
    rmsnorm(st.k, st.k, w.k_norm, T * nKv, D, c.rms_norm_eps);
    rope(st.q, st.positions, T, nH, D, this.invFreq, this.attentionScaling); // rotate-half, as HF
    rope(st.k, st.positions, T, nKv, D, this.invFreq, this.attentionScaling);
    const row = nKv * D;
    copyInto(cache.k[l], past * row, st.k, T * row);
    copyInto(cache.v[l], past * row, st.v, T * row);
    attention(st.attn, st.q, cache.k[l], cache.v[l], { T, S, nHeads: nH, nKvHeads: nKv, headDim: D, scale: 1 / Math.sqrt(D) }, st.scores);
    matmul(st.out, st.attn, T, w.o_proj); // [T, H]
    add(st.x, st.x, st.out, T * H);
  }

  /** Dense SwiGLU: out = down_proj(silu(gate_proj(h)) * up_proj(h)). */
  private mlp(w: MLPWeights, T: number): void {
    const st = this.state;
    const I = w.gate_proj.rows;
    matmul(st.gate, st.h, T, w.gate_proj);
    matmul(st.up, st.h, T, w.up_proj);
    siluMul(st.gate, st.gate, st.up, T * I);
    matmul(st.out, st.gate, T, w.down_proj);
  }
}

function makeMoeState(c: Qwen3MoeTextConfig, T: number): MoeState {
  const E = c.num_experts;
  const I = c.moe_intermediate_size;
  const H = c.hidden_size;
  return {
    capacity: T,
    router: new Float32Array(T * E),
    topIds: new Int32Array(T * c.num_experts_per_tok),
    topW: new Float32Array(T * c.num_experts_per_tok),
    rows: new Int32Array(T),
    rowW: new Float32Array(T),
    xs: new Float32Array(T * H),
    gate: new Float32Array(T * I),
    up: new Float32Array(T * I),
    ys: new Float32Array(T * H),
  };
}

function copyInto(dst: Float32Array, at: number, src: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) dst[at + i] = src[i];
}
