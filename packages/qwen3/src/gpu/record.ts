import {
  attention,
  attentionOutProj,
  decodeAttention,
  decodeAttentionFits,
  embedding,
  matmul,
  rmsnorm,
  ropeQk,
  sample,
  siluMul,
  type GpuTensor,
  type Recorder,
  type RopeTable,
} from '@qo/gpu';
import type { TextConfig } from '@qo/loader';
import { type GpuSparseMoe, recordSparseMoe } from '../gpu-moe/index.js';
import type { GpuKVCache } from './cache.js';
import { DECODE_SPLITS, type GpuRunState } from './state.js';
import { type GpuLayerWeights, type GpuQwen3Weights, isSparseMlp } from './weights.js';

/** What every recorded op of one model needs. */
export interface RecordEnv {
  config: TextConfig;
  weights: GpuQwen3Weights;
  st: GpuRunState;
  rope: RopeTable;
  /** qwen3_moe: the sparse block's kernels and scratch, shared by the sparse layers. */
  moe?: GpuSparseMoe;
  /** Profiling: called with the Hugging Face name of each op before it is recorded. */
  mark?: (name: string) => void;
  /**
   * Decode: records `record` once under `key`, then replays it (ReplayRecorder.segment). Only for
   * ops whose params and bindings are the same at every position.
   */
  segment?: (key: string, record: () => void) => void;
}

/** How the next token is chosen on the GPU (`@qo/generate`'s Sampler semantics; temperature 0 = greedy). */
export interface GpuSampling {
  temperature: number;
  topK?: number;
  topP?: number;
  minP?: number;
  /** counts: occurrences of each token id in the penalty window, [vocab] u32 on the GPU. */
  penalties?: { counts: GpuTensor; repetition: number; presence: number; frequency: number };
}

/** h[0..T) = embed_tokens(ids[0..T)). */
export function recordEmbedding(rec: Recorder, e: RecordEnv, T: number): void {
  e.mark?.('embed_tokens');
  const record = (): void => embedding(rec, { out: e.st.h, ids: e.st.ids, table: e.weights.embed_tokens, T });
  if (T === 1 && e.segment !== undefined) e.segment('embed_tokens', record);
  else record();
}

/**
 * Decoder layer `l` over the T tokens at positions pos0 … pos0 + T − 1 (keys and values land in
 * the cache at those rows): x += o_proj(attn(rope(q_norm(q)), rope(k_norm(k)), v)) with q/k/v from
 * one fused matmul, then x += down_proj(silu(gate) · up) with gate/up from one fused matmul. Decode
 * (T = 1) fuses the RMSNorms into the matmuls and splits attention over the keys (flash-decoding),
 * with q/k norms, RoPE and the KV write inside the attention and the split combine inside o_proj:
 * 5 dispatches a layer (7 where head_dim is not a multiple of 8).
 */
export function recordLayer(rec: Recorder, e: RecordEnv, l: number, cache: GpuKVCache, T: number, pos0: number): void {
  const c = e.config;
  const st = e.st;
  const w: GpuLayerWeights = e.weights.layers[l];
  const H = c.hidden_size;
  const eps = c.rms_norm_eps;
  const dims = { nHeads: c.num_attention_heads, nKvHeads: c.num_key_value_heads, headDim: c.head_dim };
  const kv = { kCache: cache.k[l], vCache: cache.v[l] };
  const mark = e.mark ?? noMark;
  const segment = T === 1 && e.segment !== undefined ? e.segment : (_key: string, record: () => void) => record();
  // prefill on the int8 tensor cores: each input norm happens in its projection's quantization pass
  const mma = T > 1 && st.mma !== undefined;
  if (T === 1 || (mma && w.qkv_proj.mmaRowMax !== undefined)) {
    mark('input_layernorm+qkv_proj');
    segment(`${l}.qkv_proj`, () => matmul(rec, { out: st.qkv, x: st.h, w: w.qkv_proj, T, norm: { weight: w.input_layernorm, eps }, mma: st.mma }));
  } else {
    mark('input_layernorm');
    rmsnorm(rec, { out: st.xn, x: st.h, weight: w.input_layernorm, rows: T, dim: H, eps });
    mark('qkv_proj');
    matmul(rec, { out: st.qkv, x: st.xn, w: w.qkv_proj, T, mma: st.mma }); // [T, (nH + 2 nKv) · D]
  }
  const scale = 1 / Math.sqrt(c.head_dim);
  if (T === 1 && decodeAttentionFits(c.head_dim)) {
    // decode: q/k norms, RoPE and the KV-cache write inside the split-K attention, the split combine inside o_proj
    mark('q_norm+k_norm+rope+kv_write+attention');
    decodeAttention(rec, { qkv: st.qkv, partials: st.partials, qNorm: w.q_norm, kNorm: w.k_norm, rope: e.rope, ...kv, S: pos0 + 1, ...dims, scale, eps, ...DECODE_SPLITS });
    mark('attention_combine+o_proj+residual');
    segment(`${l}.o_proj`, () =>
      attentionOutProj(rec, { out: st.h, partials: st.partials, w: w.o_proj, nHeads: dims.nHeads, headDim: dims.headDim, maxSplits: DECODE_SPLITS.maxSplits, accumulate: true, attn: st.attn }),
    );
  } else {
    mark('q_norm+k_norm+rope+kv_write');
    ropeQk(rec, { qkv: st.qkv, qOut: st.q, qNorm: w.q_norm, kNorm: w.k_norm, rope: e.rope, ...kv, T, ...dims, pos0, eps });
    mark('attention');
    attention(rec, { out: st.attn, q: st.q, ...kv, T, S: pos0 + T, ...dims, scale, split: T === 1 ? { partials: st.partials, ...DECODE_SPLITS } : undefined });
    mark('o_proj+residual');
    segment(`${l}.o_proj`, () => matmul(rec, { out: st.h, x: st.attn, w: w.o_proj, T, accumulate: true, mma: st.mma })); // residual add fused
  }
  const mlp = w.mlp;
  if (isSparseMlp(mlp)) {
    // x += experts(post_attention_layernorm(x)): routing on the GPU, norm fused, residual add fused
    mark('post_attention_layernorm+sparse_moe+residual');
    recordSparseMoe(rec, e.moe as GpuSparseMoe, mlp, st.h, st.h, T, { norm: { weight: w.post_attention_layernorm, eps }, accumulate: true });
    return;
  }
  const I = c.intermediate_size;
  const down = (): void => {
    mark('down_proj+residual');
    // in f32 also where the other projections run on the tensor cores: SiLU·mul's output is heavy-tailed, and
    // at one 16-bit scale a row its rounding alone took qo-fortune's layer 0 to relL2 8e-5 of a 1e-4 budget
    // (reference/mma_error_model.py; DECISIONS.md)
    matmul(rec, { out: st.h, x: st.act, w: mlp.down_proj, T, accumulate: true });
  };
  if (mma && mlp.gate_up_proj.mmaRowMax !== undefined && mlp.gate_up_proj.chunks.length === 1) {
    // prefill on the tensor cores: norm in the quantization pass, SiLU·mul in the matmul's epilogue
    mark('post_attention_layernorm+gate_up_proj+silu·mul');
    matmul(rec, { out: st.act, x: st.h, w: mlp.gate_up_proj, T, norm: { weight: w.post_attention_layernorm, eps }, mma: st.mma, siluMulOutput: true });
    down();
    return;
  }
  if (T === 1 || (mma && mlp.gate_up_proj.mmaRowMax !== undefined)) {
    mark('post_attention_layernorm+gate_up_proj');
    segment(`${l}.gate_up_proj`, () => matmul(rec, { out: st.gate_up, x: st.h, w: mlp.gate_up_proj, T, norm: { weight: w.post_attention_layernorm, eps }, mma: st.mma }));
  } else {
    mark('post_attention_layernorm');
    rmsnorm(rec, { out: st.xn, x: st.h, weight: w.post_attention_layernorm, rows: T, dim: H, eps });
    mark('gate_up_proj');
    matmul(rec, { out: st.gate_up, x: st.xn, w: mlp.gate_up_proj, T, mma: st.mma }); // [T, 2 · I]
  }
  if (T === 1) {
    mark('silu·mul+down_proj+residual');
    segment(`${l}.down_proj`, () => matmul(rec, { out: st.h, x: st.gate_up, w: mlp.down_proj, T, siluMulInput: true, accumulate: true }));
    return;
  }
  // prefill: SiLU·mul in a pass of its own, so the tiled matmul reads its input as vec4s (fused, the
  // activation loads are scalar and the down projection took 0.39 ms a layer instead of ~0.17 on an H100)
  mark('silu·mul');
  siluMul(rec, { out: st.act, gate: st.gate_up, up: st.gate_up, T, I, gateStride: 2 * I, upStride: 2 * I, upOffset: I });
  down();
}

/** logits = lm_head(norm(h[T − 1])): the last position only. */
export function recordLastLogits(rec: Recorder, e: RecordEnv, T: number): void {
  const H = e.config.hidden_size;
  e.mark?.('norm+lm_head');
  const record = (): void =>
    matmul(rec, {
      out: e.st.logits,
      x: e.st.h,
      w: e.weights.lm_head,
      T: 1,
      xOffset: (T - 1) * H,
      norm: { weight: e.weights.norm, eps: e.config.rms_norm_eps },
    });
  if (T === 1 && e.segment !== undefined) e.segment('lm_head', record);
  else record();
}

/** ids[0] = the token chosen from the logits (the next step's input, and what is read back). */
export function recordSample(rec: Recorder, e: RecordEnv, s: GpuSampling, uniform: number): void {
  e.mark?.('sample');
  sample(rec, {
    out: e.st.ids,
    x: e.st.logits,
    n: e.config.vocab_size,
    temperature: s.temperature,
    topK: s.topK ?? 0,
    topP: s.topP ?? 1,
    minP: s.minP ?? 0,
    ...(s.penalties && {
      penalties: { counts: s.penalties.counts, repetition: s.penalties.repetition, presence: s.penalties.presence, frequency: s.penalties.frequency },
    }),
    u: uniform,
  });
}

function noMark(): void {}
