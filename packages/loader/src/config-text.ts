import { ConfigReader, REQUIRED, dflt, type Fallback } from './config-read.js';
import { readRope, type RopeParameters } from './rope.js';

/** Decoder-only text model (Qwen3 dense). Keys are the Hugging Face config names. */
export interface Qwen3TextConfig {
  model_type: 'qwen3';
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  head_dim: number;
  hidden_act: 'silu';
  max_position_embeddings: number;
  rms_norm_eps: number;
  tie_word_embeddings: boolean;
  attention_bias: false;
  rope_parameters: RopeParameters;
  bos_token_id?: number | number[];
  eos_token_id?: number | number[];
  pad_token_id?: number | number[];
}

/** Sparse text model (Qwen3-MoE, and the Qwen3-Omni thinker's text model). */
export interface Qwen3MoeTextConfig extends Omit<Qwen3TextConfig, 'model_type'> {
  model_type: 'qwen3_moe' | 'qwen3_omni_moe_text';
  num_experts: number;
  num_experts_per_tok: number;
  moe_intermediate_size: number;
  norm_topk_prob: boolean;
  decoder_sparse_step: number;
  mlp_only_layers: number[];
}

export type TextConfig = Qwen3TextConfig | Qwen3MoeTextConfig;

/**
 * Whether decoder layer `layer` uses the sparse MoE block (transformers' rule: not listed in
 * `mlp_only_layers`, experts exist, and `(layer + 1) % decoder_sparse_step == 0`).
 */
export function isMoeLayer(config: TextConfig, layer: number): boolean {
  if (config.model_type === 'qwen3') return false;
  return !config.mlp_only_layers.includes(layer) && config.num_experts > 0 && (layer + 1) % config.decoder_sparse_step === 0;
}

/** transformers' class defaults of the Qwen3-Omni thinker text config (nested configs are saved as diffs). */
const OMNI_TEXT_DEFAULTS = {
  vocab_size: 3584, hidden_size: 2048, intermediate_size: 18944, num_hidden_layers: 28, num_attention_heads: 28,
  num_key_value_heads: 4, max_position_embeddings: 32768, moe_intermediate_size: 768, num_experts_per_tok: 8,
  num_experts: 128, norm_topk_prob: true, default_theta: 1_000_000,
};

type Kind = 'qwen3' | 'qwen3_moe' | 'qwen3_omni_moe_text';

/**
 * Reads a Qwen3 / Qwen3-MoE config, or the Qwen3-Omni thinker's `text_config`. Top-level configs
 * must carry every size key (save_pretrained always writes them); nested omni configs fall back to
 * transformers' class defaults because save_pretrained writes them as diffs against those.
 */
export function readTextConfig(r: ConfigReader, kind: Kind): TextConfig {
  const nested = kind === 'qwen3_omni_moe_text';
  const size = (k: keyof typeof OMNI_TEXT_DEFAULTS): Fallback<number> => (nested ? dflt(OMNI_TEXT_DEFAULTS[k] as number) : REQUIRED);

  refuseUnsupported(r, nested);

  const num_attention_heads = r.int('num_attention_heads', size('num_attention_heads'), 1);
  const hidden_size = r.int('hidden_size', size('hidden_size'), 1);
  // Qwen3Config: num_key_value_heads None means "as many as query heads".
  const kvRaw = r.raw('num_key_value_heads');
  const num_key_value_heads = kind === 'qwen3' && kvRaw === null ? num_attention_heads : r.int('num_key_value_heads', size('num_key_value_heads'), 1);
  if (num_attention_heads % num_key_value_heads !== 0) {
    throw r.error('num_key_value_heads', `num_attention_heads (${num_attention_heads}) must be a multiple of num_key_value_heads (${num_key_value_heads})`);
  }
  const max_position_embeddings = r.int('max_position_embeddings', size('max_position_embeddings'), 1);

  const base = {
    vocab_size: r.int('vocab_size', size('vocab_size'), 1),
    hidden_size,
    intermediate_size: r.int('intermediate_size', size('intermediate_size'), 1),
    num_hidden_layers: r.int('num_hidden_layers', size('num_hidden_layers'), 1),
    num_attention_heads,
    num_key_value_heads,
    head_dim: readHeadDim(r, kind, hidden_size, num_attention_heads),
    hidden_act: 'silu' as const,
    max_position_embeddings,
    rms_norm_eps: r.positive('rms_norm_eps', dflt(1e-6)),
    tie_word_embeddings: r.bool('tie_word_embeddings', dflt(false)),
    attention_bias: false as const,
    rope_parameters: readRope(r, {
      max_position_embeddings,
      default_theta: nested ? OMNI_TEXT_DEFAULTS.default_theta : undefined,
      multimodal: nested,
    }),
    ...tokenIds(r),
  };
  if (kind === 'qwen3') return { model_type: 'qwen3', ...base };

  const num_experts = r.int(['num_experts', 'num_local_experts'], size('num_experts'), 1);
  const num_experts_per_tok = r.int('num_experts_per_tok', size('num_experts_per_tok'), 1);
  if (num_experts_per_tok > num_experts) {
    throw r.error('num_experts_per_tok', `num_experts_per_tok (${num_experts_per_tok}) exceeds num_experts (${num_experts})`);
  }
  const mlp_only_layers = r.ints('mlp_only_layers', dflt([]));
  for (const l of mlp_only_layers) {
    if (l >= base.num_hidden_layers) throw r.error('mlp_only_layers', `mlp_only_layers lists layer ${l} but the model has ${base.num_hidden_layers} layers (0-based)`);
  }
  return {
    model_type: kind,
    ...base,
    num_experts,
    num_experts_per_tok,
    moe_intermediate_size: r.int('moe_intermediate_size', size('moe_intermediate_size'), 1),
    norm_topk_prob: r.bool('norm_topk_prob', dflt(nested ? OMNI_TEXT_DEFAULTS.norm_topk_prob : false)),
    decoder_sparse_step: r.int('decoder_sparse_step', dflt(1), 1),
    mlp_only_layers,
  };
}

function readHeadDim(r: ConfigReader, kind: Kind, hidden: number, heads: number): number {
  if (r.raw('head_dim') !== undefined && r.raw('head_dim') !== null) return r.int('head_dim', REQUIRED, 1);
  if (kind !== 'qwen3') {
    // modeling code: getattr(config, "head_dim", hidden_size // num_attention_heads)
    if (hidden % heads !== 0) throw r.missing('head_dim', ` and hidden_size (${hidden}) is not divisible by num_attention_heads (${heads})`);
    return hidden / heads;
  }
  // Qwen3Config's class default is head_dim = 128, which differs from hidden/heads for most sizes:
  // accept the absence only when both readings agree.
  if (hidden === 128 * heads) return 128;
  throw r.missing('head_dim', ` (transformers would use its Qwen3Config default 128, but hidden_size / num_attention_heads = ${hidden / heads}; state head_dim explicitly)`);
}

function refuseUnsupported(r: ConfigReader, nested: boolean): void {
  const act = r.str('hidden_act', dflt('silu'));
  if (act !== 'silu') throw r.refuse('hidden_act', `activation ${JSON.stringify(act)} (only "silu")`);
  if (r.bool('attention_bias', dflt(false))) throw r.refuse('attention_bias', 'q/k/v/o projection biases (attention_bias: true)');
  if (r.bool('use_sliding_window', dflt(false))) throw r.refuse('use_sliding_window', 'sliding-window attention (use_sliding_window: true)');
  // the omni text config has no use_sliding_window switch: a non-null sliding_window is applied as is
  if (nested && r.raw('sliding_window') !== undefined && r.raw('sliding_window') !== null) {
    throw r.refuse('sliding_window', `sliding-window attention (sliding_window: ${JSON.stringify(r.raw('sliding_window'))})`);
  }
  const layerTypes = r.raw('layer_types');
  if (layerTypes !== undefined && layerTypes !== null) {
    if (!Array.isArray(layerTypes)) throw r.error('layer_types', `"${r.path('layer_types')}" must be a list of strings`);
    const other = layerTypes.find((t) => t !== 'full_attention');
    if (other !== undefined) throw r.refuse('layer_types', `layer type ${JSON.stringify(other)} (only "full_attention")`);
  }
  if (r.has('quantization_config') && r.raw('quantization_config') !== null) {
    throw r.refuse('quantization_config', 'a pre-quantized checkpoint (quantization_config)');
  }
  const shared = r.raw('shared_expert_intermediate_size');
  if (typeof shared === 'number' && shared > 0) throw r.refuse('shared_expert_intermediate_size', 'a shared expert');
}

function tokenIds(r: ConfigReader): Pick<Qwen3TextConfig, 'bos_token_id' | 'eos_token_id' | 'pad_token_id'> {
  const out: Pick<Qwen3TextConfig, 'bos_token_id' | 'eos_token_id' | 'pad_token_id'> = {};
  for (const k of ['bos_token_id', 'eos_token_id', 'pad_token_id'] as const) {
    const v = r.tokenIds(k);
    if (v !== undefined) out[k] = v;
  }
  return out;
}
