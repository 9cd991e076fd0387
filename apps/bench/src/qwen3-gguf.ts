import type { Qwen3TextConfig } from '@qo/loader';
import type { LayerWeights, MLPWeights, Qwen3Weights } from '@qo/qwen3';
import { bf16ToF32, f32ToF16, q8_0ToGgmlBlocks, type Weight } from '@qo/tensor';
import { GGML_TYPE, bool, f32, int32s, type KV, str, strings, type TensorEntry, u32, writeGguf } from './gguf.js';
import type { GgufVocab } from './vocab.js';

/** Matrix storage in the GGUF: Q8_0 blocks (from q8_0 weights) or F16 (from bf16 or f32 weights). Norms are F32. */
export type GgufFormat = 'Q8_0' | 'F16';

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function matrix(name: string, w: Weight, format: GgufFormat): TensorEntry {
  if (format === 'Q8_0') {
    if (w.dtype !== 'q8_0') throw new TypeError(`GGUF Q8_0: tensor ${name} is ${w.dtype}; build the weights with dtype q8_0`);
    return { name, shape: [w.rows, w.cols], type: GGML_TYPE.Q8_0, data: () => q8_0ToGgmlBlocks(w) };
  }
  if (w.dtype === 'q8_0') throw new TypeError(`GGUF F16: tensor ${name} is q8_0; build the weights with dtype bf16 or f32`);
  const values = w.dtype === 'bf16' ? () => bf16ToF32(w.data) : () => w.data;
  return { name, shape: [w.rows, w.cols], type: GGML_TYPE.F16, data: () => bytesOf(f32ToF16(values())) };
}

function vector(name: string, v: Float32Array): TensorEntry {
  return { name, shape: [v.length], type: GGML_TYPE.F32, data: () => bytesOf(v) };
}

/**
 * The GGUF metadata and tensors llama.cpp's qwen3 architecture loads (llama-arch / llama-model):
 * qwen3.* hyperparameters, a gpt2 tokenizer section, and tensors named token_embd, blk.N.attn_norm,
 * attn_q/k/v, attn_q_norm/attn_k_norm, attn_output, ffn_norm, ffn_gate/up/down, output_norm, and
 * output unless the embedding is tied (llama.cpp then reuses token_embd). Dense Qwen3 only.
 */
export function qwen3GgufContents(
  c: Qwen3TextConfig,
  w: Qwen3Weights,
  vocab: GgufVocab,
  format: GgufFormat,
  name: string,
): { metadata: [string, KV][]; tensors: TensorEntry[] } {
  if (c.model_type !== 'qwen3') throw new TypeError(`GGUF: only dense qwen3 is written, not ${String(c.model_type)}`);
  if (vocab.tokens.length !== c.vocab_size) throw new RangeError(`GGUF: the vocabulary has ${vocab.tokens.length} tokens, the model ${c.vocab_size}`);
  if (c.rope_parameters.rope_type !== 'default') throw new TypeError('GGUF: only default RoPE is written');
  const metadata: [string, KV][] = [
    ['general.architecture', str('qwen3')],
    ['general.name', str(name)],
    ['general.file_type', u32(format === 'Q8_0' ? 7 : 1)], // LLAMA_FTYPE_MOSTLY_Q8_0 / MOSTLY_F16
    ['qwen3.context_length', u32(c.max_position_embeddings)],
    ['qwen3.embedding_length', u32(c.hidden_size)],
    ['qwen3.block_count', u32(c.num_hidden_layers)],
    ['qwen3.feed_forward_length', u32(c.intermediate_size)],
    ['qwen3.attention.head_count', u32(c.num_attention_heads)],
    ['qwen3.attention.head_count_kv', u32(c.num_key_value_heads)],
    ['qwen3.attention.key_length', u32(c.head_dim)],
    ['qwen3.attention.value_length', u32(c.head_dim)],
    ['qwen3.rope.freq_base', f32(c.rope_parameters.rope_theta)],
    ['qwen3.attention.layer_norm_rms_epsilon', f32(c.rms_norm_eps)],
    ['tokenizer.ggml.model', str('gpt2')],
    ['tokenizer.ggml.pre', str(vocab.pre)],
    ['tokenizer.ggml.tokens', strings(vocab.tokens)],
    ['tokenizer.ggml.token_type', int32s(vocab.types)],
    ['tokenizer.ggml.merges', strings(vocab.merges)],
    ['tokenizer.ggml.eos_token_id', u32(vocab.eos)],
    ['tokenizer.ggml.padding_token_id', u32(vocab.eos)],
    ['tokenizer.ggml.add_bos_token', bool(false)],
  ];
  const tensors: TensorEntry[] = [matrix('token_embd.weight', w.embed_tokens, format)];
  w.layers.forEach((l: LayerWeights, i) => {
    const m = l.mlp as MLPWeights;
    tensors.push(
      vector(`blk.${i}.attn_norm.weight`, l.input_layernorm),
      matrix(`blk.${i}.attn_q.weight`, l.q_proj, format),
      matrix(`blk.${i}.attn_k.weight`, l.k_proj, format),
      matrix(`blk.${i}.attn_v.weight`, l.v_proj, format),
      vector(`blk.${i}.attn_q_norm.weight`, l.q_norm),
      vector(`blk.${i}.attn_k_norm.weight`, l.k_norm),
      matrix(`blk.${i}.attn_output.weight`, l.o_proj, format),
      vector(`blk.${i}.ffn_norm.weight`, l.post_attention_layernorm),
      matrix(`blk.${i}.ffn_gate.weight`, m.gate_proj, format),
      matrix(`blk.${i}.ffn_up.weight`, m.up_proj, format),
      matrix(`blk.${i}.ffn_down.weight`, m.down_proj, format),
    );
  });
  tensors.push(vector('output_norm.weight', w.norm));
  if (!c.tie_word_embeddings) tensors.push(matrix('output.weight', w.lm_head, format));
  return { metadata, tensors };
}

/** Writes the model as a GGUF file; returns its size in bytes. */
export function writeQwen3Gguf(path: string, c: Qwen3TextConfig, w: Qwen3Weights, vocab: GgufVocab, format: GgufFormat, name: string): number {
  const { metadata, tensors } = qwen3GgufContents(c, w, vocab, format, name);
  return writeGguf(path, metadata, tensors);
}
