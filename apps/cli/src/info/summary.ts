import { isMoeLayer, textConfigOf, type ModelConfig, type Qwen3MoeTextConfig, type TensorInfo } from '@qo/loader';

export type TensorEntry = Pick<TensorInfo, 'name' | 'dtype' | 'shape' | 'byteLength'>;

export interface DTypeShare {
  tensors: number;
  parameters: number;
  bytes: number;
}

export interface ModelSummary {
  modelType: string;
  /** parameters stored in the checkpoint (a tied lm_head counted once, as transformers does) */
  parameters: number;
  /** MoE: parameters one token goes through (top-k experts of each sparse layer) */
  activeParameters: number;
  tensors: number;
  checkpointBytes: number;
  /** checkpoint dtype → its tensors */
  dtypes: Record<string, DTypeShare>;
  /** bytes of weights in memory for each --dtype, as @qo/qwen3 lays them out (an estimate for models it does not run) */
  weightBytes: { bf16: number; q8_0: number; f32: number };
  /** f32 keys and values of 1024 tokens */
  kvCacheBytesPer1kTokens: number;
}

const Q8_0_BLOCK = 32;
const Q8_0_BLOCK_BYTES = 34; // 32 int8 + an f16 scale

/**
 * What `qo info` reports about a checkpoint, from config.json and the tensor headers alone. Memory
 * follows @qo/qwen3's load: matrices as bf16 (F16/F32 checkpoints expand to f32), q8_0 blocks of 32
 * (the MoE router stays as stored) or f32; vectors (norms) in f32; a tied lm_head shares the embedding.
 */
export function summarize(config: ModelConfig, tensors: readonly TensorEntry[]): ModelSummary {
  const text = textConfigOf(config);
  const tiedHead = config.model_type !== 'qwen3_omni_moe' && text.tie_word_embeddings;
  const dtypes: Record<string, DTypeShare> = {};
  const weightBytes = { bf16: 0, q8_0: 0, f32: 0 };
  let parameters = 0;
  let checkpointBytes = 0;
  for (const t of tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    checkpointBytes += t.byteLength;
    const d = (dtypes[t.dtype] ??= { tensors: 0, parameters: 0, bytes: 0 });
    d.tensors++;
    d.bytes += t.byteLength;
    if (tiedHead && t.name === 'lm_head.weight') continue;
    d.parameters += n;
    parameters += n;
    const asStored = t.dtype === 'BF16' ? 2 * n : 4 * n;
    if (t.shape.length < 2) {
      weightBytes.bf16 += 4 * n;
      weightBytes.q8_0 += 4 * n;
    } else {
      const cols = t.shape[t.shape.length - 1];
      const rows = n / cols;
      weightBytes.bf16 += asStored;
      weightBytes.q8_0 += /\.mlp\.gate\.weight$/.test(t.name) ? asStored : rows * Math.ceil(cols / Q8_0_BLOCK) * Q8_0_BLOCK_BYTES;
    }
    weightBytes.f32 += 4 * n;
  }
  let activeParameters = parameters;
  if (text.model_type !== 'qwen3') {
    const c = text as Qwen3MoeTextConfig;
    const perExpert = 3 * c.hidden_size * c.moe_intermediate_size;
    for (let l = 0; l < c.num_hidden_layers; l++) {
      if (isMoeLayer(c, l)) activeParameters -= (c.num_experts - c.num_experts_per_tok) * perExpert;
    }
  }
  return {
    modelType: config.model_type,
    parameters,
    activeParameters,
    tensors: tensors.length,
    checkpointBytes,
    dtypes,
    weightBytes,
    kvCacheBytesPer1kTokens: 2 * text.num_hidden_layers * text.num_key_value_heads * text.head_dim * 4 * 1024,
  };
}
