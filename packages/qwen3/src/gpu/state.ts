import { attentionPartialsSize, createMmaScratch, destroyMmaScratch, type GpuContext, type GpuTensor, type MmaScratch } from '@qo/gpu';
import type { TextConfig } from '@qo/loader';

/**
 * Most splits of split-K decode attention, and the fewest keys a split takes. attention_split.wgsl
 * scores 64 keys per pass of its loop (one a lane), so splits of 32–64 keys take one pass each;
 * splits of 65 keys (S = 514 with 64 as the minimum) took two and doubled the time (H100 profile).
 */
export const DECODE_SPLITS = { maxSplits: 32, minSplitLen: 32 } as const;

/**
 * Activations of one forward pass on the GPU, allocated once at load for `chunk` tokens (prefill
 * runs in chunks of at most that many) and reused by every call. Shapes in comments, T ≤ chunk.
 */
export interface GpuRunState {
  chunk: number;
  ids: GpuTensor; // [chunk] u32 token ids; the sampler writes the next id to ids[0]
  h: GpuTensor; // [T, hidden] residual stream
  xn: GpuTensor; // [T, hidden] normed input of a block (prefill; decode fuses the norm into the matmul)
  qkv: GpuTensor; // [T, (nHeads + 2 · nKvHeads) · headDim] fused projection
  q: GpuTensor; // [T, nHeads · headDim] after q_norm and RoPE
  attn: GpuTensor; // [T, nHeads · headDim]
  gate_up: GpuTensor; // [T, 2 · intermediate]
  act: GpuTensor; // [T, intermediate] silu(gate) · up (prefill; decode fuses it into down_proj)
  logits: GpuTensor; // [vocab] logits of the last position
  partials: GpuTensor; // split-K attention partials for one query
  mma?: MmaScratch; // prefill matmul inputs quantized for the int8 tensor cores (devices that have them)
}

export async function allocateRunState(ctx: GpuContext, c: TextConfig, chunk: number): Promise<GpuRunState> {
  const H = c.hidden_size;
  const D = c.head_dim;
  const qd = c.num_attention_heads * D;
  const f32 = (shape: number[], label: string): Promise<GpuTensor> => ctx.tensor('f32', shape, label);
  return {
    chunk,
    ids: await ctx.tensor('u32', [chunk], 'input_ids'),
    h: await f32([chunk, H], 'hidden_states'),
    xn: await f32([chunk, H], 'normed'),
    qkv: await f32([chunk, qd + 2 * c.num_key_value_heads * D], 'qkv'),
    q: await f32([chunk, qd], 'q'),
    attn: await f32([chunk, qd], 'attn_output'),
    gate_up: await f32([chunk, 2 * c.intermediate_size], 'gate_up'),
    act: await f32([chunk, c.intermediate_size], 'mlp act'),
    logits: await f32([c.vocab_size], 'logits'),
    partials: await f32([attentionPartialsSize(1, c.num_attention_heads, D, DECODE_SPLITS.maxSplits)], 'attention partials'),
    // inputs of qkv and gate_up (hidden) and o_proj (heads · head_dim); down_proj stays in f32 (record.ts)
    mma: await createMmaScratch(ctx, chunk, Math.max(H, qd)),
  };
}

/** Largest chunk whose activations each fit one binding. */
export function maxChunk(c: TextConfig, maxBindingBytes: number): number {
  // qwen3_moe: the sparse block's per-slot scratch holds k rows of hidden_size per token
  const moe = c.model_type === 'qwen3_moe' ? c.num_experts_per_tok * Math.max(c.hidden_size, c.moe_intermediate_size) : 0;
  const widest = Math.max(c.hidden_size, (c.num_attention_heads + 2 * c.num_key_value_heads) * c.head_dim, 2 * c.intermediate_size, moe);
  return Math.max(1, Math.floor(maxBindingBytes / (4 * widest)));
}

export function destroyRunState(st: GpuRunState): void {
  for (const t of [st.ids, st.h, st.xn, st.qkv, st.q, st.attn, st.gate_up, st.act, st.logits, st.partials]) t.buffer.destroy();
  destroyMmaScratch(st.mma);
}
