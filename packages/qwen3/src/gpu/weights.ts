import { type GpuContext, type GpuTensor, type GpuWeight, prepareMmaWeights, uploadWeight } from '@qo/gpu';
import type { TextConfig } from '@qo/loader';
import type { Weight } from '@qo/tensor';
import { WeightShapeError } from '../errors.js';
import { type GpuSparseMoeWeights, uploadSparseMoe } from '../gpu-moe/index.js';
import type { LayerWeights, MLPWeights, Qwen3Weights, SparseMoeWeights } from '../weights.js';

/** A dense MLP on the GPU: gate/up fused by concatenating their rows at upload. */
export interface GpuMlpWeights {
  gate_up_proj: GpuWeight; // [2 · intermediate, hidden]: gate_proj | up_proj rows
  down_proj: GpuWeight; // [hidden, intermediate]
}

/** Whether a layer's MLP is the sparse MoE block. */
export function isSparseMlp(m: GpuMlpWeights | GpuSparseMoeWeights): m is GpuSparseMoeWeights {
  return 'gate' in m;
}

/** One decoder layer on the GPU: q/k/v and gate/up fused by concatenating their rows at upload. */
export interface GpuLayerWeights {
  input_layernorm: GpuTensor; // [hidden]
  post_attention_layernorm: GpuTensor; // [hidden]
  qkv_proj: GpuWeight; // [(nHeads + 2 · nKvHeads) · headDim, hidden]: q_proj | k_proj | v_proj rows
  o_proj: GpuWeight; // [hidden, nHeads · headDim]
  q_norm: GpuTensor; // [headDim]
  k_norm: GpuTensor; // [headDim]
  /** Dense MLP, or (qwen3_moe sparse layers) the router and stacked experts (gpu-moe/layout.ts). */
  mlp: GpuMlpWeights | GpuSparseMoeWeights;
}

export interface GpuQwen3Weights {
  embed_tokens: GpuWeight; // [vocab, hidden], split by rows across bindings when large
  layers: GpuLayerWeights[];
  norm: GpuTensor; // [hidden]
  lm_head: GpuWeight; // [vocab, hidden]; the embedding itself when tie_word_embeddings
  /** Bytes of weights on the GPU. */
  bytes: number;
}

/** Rows of weights with the same dtype and cols, stacked ([Σ rows, cols]); q8_0 rows keep their blocks. */
export function concatRows(parts: readonly Weight[], name: string): Weight {
  const first = parts[0];
  for (const p of parts) {
    if (p.dtype !== first.dtype || p.cols !== first.cols) {
      throw new WeightShapeError(`${name}: cannot fuse ${p.dtype} [${p.rows}, ${p.cols}] with ${first.dtype} [${first.rows}, ${first.cols}]`);
    }
  }
  const rows = parts.reduce((s, p) => s + p.rows, 0);
  const stack = <A extends Float32Array | Uint16Array | Int8Array>(arrays: A[], make: (n: number) => A): A => {
    const out = make(arrays.reduce((s, a) => s + a.length, 0));
    let at = 0;
    for (const a of arrays) {
      out.set(a, at);
      at += a.length;
    }
    return out;
  };
  switch (first.dtype) {
    case 'f32':
      return { dtype: 'f32', rows, cols: first.cols, data: stack(parts.map((p) => (p as typeof first).data), (n) => new Float32Array(n)) };
    case 'bf16':
      return { dtype: 'bf16', rows, cols: first.cols, data: stack(parts.map((p) => (p as typeof first).data), (n) => new Uint16Array(n)) };
    case 'q8_0':
      return {
        dtype: 'q8_0',
        rows,
        cols: first.cols,
        qs: stack(parts.map((p) => (p as typeof first).qs), (n) => new Int8Array(n)),
        d: stack(parts.map((p) => (p as typeof first).d), (n) => new Uint16Array(n)),
      };
  }
}

/**
 * Uploads dense Qwen3 weights once (the GPU side of the sanitize step): norms as f32 tensors,
 * q/k/v and gate/up fused into one matrix each, everything else as loaded (bf16, f32 or q8_0).
 * `onLayer` is called after each layer (progress).
 */
export async function uploadQwen3Weights(ctx: GpuContext, c: TextConfig, w: Qwen3Weights, onLayer?: (done: number, of: number) => void): Promise<GpuQwen3Weights> {
  const vec = (data: Float32Array, name: string): Promise<GpuTensor> => ctx.upload(data, [data.length], name);
  const embed_tokens = await uploadWeight(ctx, w.embed_tokens, 'model.embed_tokens.weight');
  const layers: GpuLayerWeights[] = [];
  for (const [l, lw] of w.layers.entries()) {
    layers.push(await uploadLayer(ctx, lw, `model.layers.${l}`));
    onLayer?.(l + 1, c.num_hidden_layers);
  }
  const lm_head = w.lm_head === w.embed_tokens ? embed_tokens : await uploadWeight(ctx, w.lm_head, 'lm_head.weight');
  const norm = await vec(w.norm, 'model.norm.weight');
  // row scales for the prefill projections that run on the int8 tensor cores, where the device has them
  // (down_proj stays in f32: record.ts)
  await prepareMmaWeights(ctx, layers.flatMap((l) => [l.qkv_proj, l.o_proj, ...(isSparseMlp(l.mlp) ? [] : [l.mlp.gate_up_proj])]));
  let bytes = embed_tokens.bytes + (lm_head === embed_tokens ? 0 : lm_head.bytes);
  for (const l of layers) bytes += l.qkv_proj.bytes + l.o_proj.bytes + (isSparseMlp(l.mlp) ? l.mlp.bytes : l.mlp.gate_up_proj.bytes + l.mlp.down_proj.bytes);
  return { embed_tokens, layers, norm, lm_head, bytes };
}

async function uploadLayer(ctx: GpuContext, w: LayerWeights, p: string): Promise<GpuLayerWeights> {
  const vec = (data: Float32Array, name: string): Promise<GpuTensor> => ctx.upload(data, [data.length], `${p}.${name}`);
  return {
    input_layernorm: await vec(w.input_layernorm, 'input_layernorm.weight'),
    post_attention_layernorm: await vec(w.post_attention_layernorm, 'post_attention_layernorm.weight'),
    qkv_proj: await uploadWeight(ctx, concatRows([w.q_proj, w.k_proj, w.v_proj], `${p}.self_attn.qkv`), `${p}.self_attn.qkv_proj.weight`),
    o_proj: await uploadWeight(ctx, w.o_proj, `${p}.self_attn.o_proj.weight`),
    q_norm: await vec(w.q_norm, 'self_attn.q_norm.weight'),
    k_norm: await vec(w.k_norm, 'self_attn.k_norm.weight'),
    mlp: 'experts' in w.mlp ? await uploadSparseMoe(ctx, w.mlp as SparseMoeWeights, `${p}.mlp`) : await uploadMlp(ctx, w.mlp, p),
  };
}

async function uploadMlp(ctx: GpuContext, mlp: MLPWeights, p: string): Promise<GpuMlpWeights> {
  return {
    gate_up_proj: await uploadWeight(ctx, concatRows([mlp.gate_proj, mlp.up_proj], `${p}.mlp.gate_up`), `${p}.mlp.gate_up_proj.weight`),
    down_proj: await uploadWeight(ctx, mlp.down_proj, `${p}.mlp.down_proj.weight`),
  };
}
