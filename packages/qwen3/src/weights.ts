import { type Checkpoint, type Qwen3MoeTextConfig, type TensorInfo, type TextConfig, isMoeLayer } from '@qo/loader';
import { bf16ToF32, type CpuBackend, createCpuBackend, f16ToF32, quantizeQ8_0, type Weight } from '@qo/tensor';
import type { WeightDType } from './config.js';
import { MissingWeightError, UnexpectedWeightError, WeightShapeError } from './errors.js';

/** [out, in] weight of one dense SwiGLU MLP. */
export interface MLPWeights {
  gate_proj: Weight;
  up_proj: Weight;
  down_proj: Weight;
}

/** Sparse block: the router and each expert's SwiGLU weights, indexed by expert id. */
export interface SparseMoeWeights {
  gate: Weight; // router [num_experts, hidden], kept as stored (routing is sensitive to rounding)
  experts: MLPWeights[];
}

export interface LayerWeights {
  input_layernorm: Float32Array; // [hidden]
  post_attention_layernorm: Float32Array; // [hidden]
  q_proj: Weight; // [nHeads * headDim, hidden]
  k_proj: Weight; // [nKvHeads * headDim, hidden]
  v_proj: Weight; // [nKvHeads * headDim, hidden]
  o_proj: Weight; // [hidden, nHeads * headDim]
  q_norm: Float32Array; // [headDim]
  k_norm: Float32Array; // [headDim]
  mlp: MLPWeights | SparseMoeWeights;
}

export interface Qwen3Weights {
  embed_tokens: Weight; // [vocab, hidden]
  layers: LayerWeights[];
  norm: Float32Array; // [hidden]
  lm_head: Weight; // [vocab, hidden]; the embedding itself when tie_word_embeddings
}

export interface LoadProgress {
  /** Bytes of checkpoint tensors read so far, and in all. */
  loadedBytes: number;
  totalBytes: number;
  tensor: string;
}

/**
 * The one checkpoint-to-runtime step for Qwen3 / Qwen3-MoE ("sanitize"): reads each tensor once,
 * checks its shape against the config, converts to the runtime precision (bf16 kept, f32 expanded,
 * q8_0 quantized here and never again), ties the head, stacks experts. Tensors the architecture does not
 * use are refused: a checkpoint with, say, attention biases is a variant this code would compute wrongly.
 * Every weight is placed in `backend` memory (for the wasm backend: the shared memory its threads read;
 * default: ordinary arrays); bf16 tensors are read from the file straight into it, others through one
 * reused scratch buffer.
 */
export async function loadWeights(
  ckpt: Checkpoint,
  c: TextConfig,
  dtype: WeightDType,
  onProgress?: (p: LoadProgress) => void,
  backend?: CpuBackend,
): Promise<Qwen3Weights> {
  const b = backend ?? (await createCpuBackend({ kind: 'js' }));
  const used = new Set<string>();
  const names = ckpt.names();
  const totalBytes = names.reduce((s, n) => s + ckpt.info(n).byteLength, 0);
  let loadedBytes = 0;

  const info = (name: string, shape: readonly number[]): TensorInfo => {
    if (!ckpt.has(name)) {
      throw new MissingWeightError(`checkpoint has no tensor '${name}' (shape [${shape.join(', ')}]) that ${c.model_type} with this config.json needs`);
    }
    const i = ckpt.info(name);
    if (i.shape.length !== shape.length || i.shape.some((d, k) => d !== shape[k])) {
      throw new WeightShapeError(`tensor '${name}' in ${i.file} is [${i.shape.join(', ')}], but config.json implies [${shape.join(', ')}]`);
    }
    if (i.dtype !== 'BF16' && i.dtype !== 'F32' && i.dtype !== 'F16') {
      throw new WeightShapeError(`tensor '${name}' in ${i.file} is ${i.dtype}; floating-point weights (BF16, F16, F32) are expected`);
    }
    used.add(name);
    return i;
  };
  let scratch = new Uint8Array(0);
  /** The tensor's bytes: read into `into` when given, else into the scratch buffer (valid until the next read). */
  const read = async (name: string, i: TensorInfo, into?: Uint8Array): Promise<Uint8Array> => {
    if (into === undefined && scratch.length < i.byteLength) scratch = new Uint8Array(i.byteLength);
    const bytes = await ckpt.read(name, into ?? scratch.subarray(0, i.byteLength));
    loadedBytes += i.byteLength;
    onProgress?.({ loadedBytes, totalBytes, tensor: name });
    return bytes;
  };
  const vector = async (name: string, n: number): Promise<Float32Array> => {
    const i = info(name, [n]);
    const out = b.f32(n);
    toF32(i, await read(name, i), out);
    return out;
  };
  const matrix = async (name: string, rows: number, cols: number, as: WeightDType): Promise<Weight> => {
    const i = info(name, [rows, cols]);
    const kept = as === 'bf16' && i.dtype === 'BF16';
    const w = b.weight(kept ? 'bf16' : as === 'q8_0' ? 'q8_0' : 'f32', rows, cols);
    if (w.dtype === 'bf16') {
      await read(name, i, new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength));
    } else {
      const bytes = await read(name, i);
      if (w.dtype === 'q8_0') {
        quantizeQ8_0(rows, cols, i.dtype === 'BF16' ? { bf16: new Uint16Array(bytes.buffer, bytes.byteOffset, rows * cols) } : toF32(i, bytes), w);
      } else {
        toF32(i, bytes, w.data);
      }
    }
    return w;
  };
  const weights = await assembleWeights(c, dtype, { matrix, vector });
  if (c.tie_word_embeddings && ckpt.has('lm_head.weight')) used.add('lm_head.weight'); // tied: transformers ignores a stored copy too
  const unused = names.filter((n) => !used.has(n));
  if (unused.length > 0) {
    throw new UnexpectedWeightError(
      `checkpoint has ${unused.length} tensor(s) that ${c.model_type} with this config.json does not use ` +
        `(${unused.slice(0, 4).join(', ')}${unused.length > 4 ? ', …' : ''}); it is a variant qo does not run yet`,
    );
  }
  return weights;
}

/**
 * A tensor's values as f32: into `out` when given (F32 copied, BF16/F16 widened exactly), else a view of
 * the bytes (F32) or a new array. f32 keeps every value exactly, so an f32 request or an F32/F16
 * checkpoint loads as f32.
 */
function toF32(i: TensorInfo, bytes: Uint8Array, out?: Float32Array): Float32Array {
  const n = i.byteLength / (i.dtype === 'F32' ? 4 : 2);
  if (i.dtype === 'F32') {
    const v = new Float32Array(bytes.buffer, bytes.byteOffset, n);
    if (out === undefined) return v;
    out.set(v);
    return out;
  }
  const half = new Uint16Array(bytes.buffer, bytes.byteOffset, n);
  return i.dtype === 'BF16' ? bf16ToF32(half, out) : f16ToF32(half, out);
}

/** Where `assembleWeights` gets each tensor, by its Hugging Face name (`as`: the runtime dtype asked for). */
export interface WeightSource {
  matrix(name: string, rows: number, cols: number, as: WeightDType): Promise<Weight>;
  vector(name: string, n: number): Promise<Float32Array>;
}

/**
 * Qwen3 / Qwen3-MoE weights of config `c`, tensor by tensor in checkpoint order: the embedding, each
 * layer (its MLP or sparse block with experts stacked, then attention and norms), the final norm, and
 * the head (the embedding itself when tie_word_embeddings). The MoE router stays bf16 (f32 for f32):
 * top-k choices must not flip through quantization.
 */
export async function assembleWeights(c: TextConfig, dtype: WeightDType, src: WeightSource): Promise<Qwen3Weights> {
  const H = c.hidden_size;
  const D = c.head_dim;
  const { matrix, vector } = src;
  const mlp = async (p: string, inter: number): Promise<MLPWeights> => ({
    gate_proj: await matrix(`${p}.gate_proj.weight`, inter, H, dtype),
    up_proj: await matrix(`${p}.up_proj.weight`, inter, H, dtype),
    down_proj: await matrix(`${p}.down_proj.weight`, H, inter, dtype),
  });

  const embed_tokens = await matrix('model.embed_tokens.weight', c.vocab_size, H, dtype);
  const layers: LayerWeights[] = [];
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `model.layers.${l}`;
    let block: MLPWeights | SparseMoeWeights;
    if (isMoeLayer(c, l)) {
      const { num_experts: E, moe_intermediate_size } = c as Qwen3MoeTextConfig;
      const experts: MLPWeights[] = [];
      for (let e = 0; e < E; e++) experts.push(await mlp(`${p}.mlp.experts.${e}`, moe_intermediate_size));
      // router kept as stored (bf16) even for q8_0: top-k choices must not flip through quantization
      block = { gate: await matrix(`${p}.mlp.gate.weight`, E, H, dtype === 'f32' ? 'f32' : 'bf16'), experts };
    } else {
      block = await mlp(`${p}.mlp`, c.intermediate_size);
    }
    layers.push({
      input_layernorm: await vector(`${p}.input_layernorm.weight`, H),
      post_attention_layernorm: await vector(`${p}.post_attention_layernorm.weight`, H),
      q_proj: await matrix(`${p}.self_attn.q_proj.weight`, c.num_attention_heads * D, H, dtype),
      k_proj: await matrix(`${p}.self_attn.k_proj.weight`, c.num_key_value_heads * D, H, dtype),
      v_proj: await matrix(`${p}.self_attn.v_proj.weight`, c.num_key_value_heads * D, H, dtype),
      o_proj: await matrix(`${p}.self_attn.o_proj.weight`, H, c.num_attention_heads * D, dtype),
      q_norm: await vector(`${p}.self_attn.q_norm.weight`, D),
      k_norm: await vector(`${p}.self_attn.k_norm.weight`, D),
      mlp: block,
    });
  }
  const norm = await vector('model.norm.weight', H);
  const lm_head = c.tie_word_embeddings ? embed_tokens : await matrix('lm_head.weight', c.vocab_size, H, dtype);
  return { embed_tokens, layers, norm, lm_head };
}
