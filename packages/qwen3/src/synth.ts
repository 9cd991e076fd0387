import type { Qwen3MoeTextConfig, Qwen3TextConfig, TextConfig } from '@qo/loader';
import { type CpuBackend, createCpuBackend, f32ToF16, type Weight } from '@qo/tensor';
import { type WeightDType, checkWeightDType } from './config.js';
import { Qwen3InputError } from './errors.js';
import { type BackendOptions, Qwen3ForCausalLM, backendFor } from './model.js';
import { type Qwen3Weights, assembleWeights } from './weights.js';

const COMMON = {
  vocab_size: 151936,
  head_dim: 128,
  hidden_act: 'silu',
  max_position_embeddings: 40960,
  rms_norm_eps: 1e-6,
  attention_bias: false,
  rope_parameters: { rope_type: 'default', rope_theta: 1_000_000 },
} as const;

function dense(hidden: number, layers: number, heads: number, kvHeads: number, ffn: number, tied: boolean): Qwen3TextConfig {
  return {
    ...COMMON,
    model_type: 'qwen3',
    hidden_size: hidden,
    num_hidden_layers: layers,
    num_attention_heads: heads,
    num_key_value_heads: kvHeads,
    intermediate_size: ffn,
    tie_word_embeddings: tied,
  };
}

/** The configs of the Qwen3 checkpoints on the Hub (sizes only; what speed depends on). */
export const SYNTH_PRESETS = {
  'qwen3-0.6b': dense(1024, 28, 16, 8, 3072, true),
  'qwen3-1.7b': dense(2048, 28, 16, 8, 6144, true),
  'qwen3-4b': dense(2560, 36, 32, 8, 9728, true),
  'qwen3-8b': dense(4096, 36, 32, 8, 12288, false),
  'qwen3-30b-a3b': {
    ...COMMON,
    model_type: 'qwen3_moe',
    hidden_size: 2048,
    num_hidden_layers: 48,
    num_attention_heads: 32,
    num_key_value_heads: 4,
    intermediate_size: 6144,
    tie_word_embeddings: false,
    num_experts: 128,
    num_experts_per_tok: 8,
    moe_intermediate_size: 768,
    norm_topk_prob: true,
    decoder_sparse_step: 1,
    mlp_only_layers: [],
  } satisfies Qwen3MoeTextConfig,
} as const satisfies Record<string, TextConfig>;

export type SynthPreset = keyof typeof SYNTH_PRESETS;

export interface SynthOptions {
  /** bf16 (default), f32, or q8_0 (generated as Q8_0 blocks directly: no f32 copy of the model exists). */
  dtype?: WeightDType;
  /** Same seed, same weights (default 0). */
  seed?: number;
}

/** The config of a preset (a config passes through); an unknown name is refused with the list of presets. */
export function synthConfig(preset: SynthPreset | TextConfig): TextConfig {
  if (typeof preset !== 'string') return preset;
  const c = (SYNTH_PRESETS as Record<string, TextConfig>)[preset];
  if (c === undefined) throw new Qwen3InputError(`unknown synthetic preset '${preset}'; use one of ${Object.keys(SYNTH_PRESETS).join(', ')}`);
  return c;
}

/** xorshift32 state from (seed, tensor index) through splitmix32, never 0. */
function stateFor(seed: number, index: number): number {
  let z = (Math.imul(seed | 0, 0x9e3779b9) + Math.imul(index + 1, 0x85ebca6b)) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aafd);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  z ^= z >>> 15;
  return z === 0 ? 0x6d2b79f5 : z;
}

/** Values of every weight are uniform in (−AMP, AMP): small, like trained weights; speed does not depend on them. */
const AMP = 0.05;
/** f16 bits of AMP / 127, the Q8_0 block scale of such values. */
const Q8_SCALE = f32ToF16(new Float32Array([AMP / 127]))[0];

/** 65536 values uniform in (−AMP, AMP), as f32 and as bf16 bits (truncated), indexed by 16 random bits. */
let uniform: { f32: Float32Array; bf16: Uint16Array } | undefined;
function uniformTable(): { f32: Float32Array; bf16: Uint16Array } {
  if (uniform !== undefined) return uniform;
  const f32 = new Float32Array(65536);
  for (let i = 0; i < 65536; i++) f32[i] = ((i + 0.5) / 65536) * 2 * AMP - AMP;
  const bits = new Uint32Array(f32.buffer);
  const bf16 = new Uint16Array(65536);
  for (let i = 0; i < 65536; i++) bf16[i] = bits[i] >>> 16;
  uniform = { f32, bf16 };
  return uniform;
}

/**
 * Fills a weight with seeded random values: f32 and bf16 uniform in (−AMP, AMP) on a 2^-16 grid (two
 * values per 32 random bits, bf16 by truncating the f32 bits); q8_0 with int8 values uniform in
 * [−127, 127] and every block scale f16(AMP / 127), which is what quantizing such uniform values gives,
 * generated as blocks directly.
 */
function fillRandom(w: Weight, state: number): void {
  let s = state;
  if (w.dtype === 'q8_0') {
    const qs = w.qs;
    for (let i = 0; i < qs.length; i += 4) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      qs[i] = ((((s & 0xff) * 255) >>> 8) - 127) | 0;
      qs[i + 1] = (((((s >>> 8) & 0xff) * 255) >>> 8) - 127) | 0;
      qs[i + 2] = (((((s >>> 16) & 0xff) * 255) >>> 8) - 127) | 0;
      qs[i + 3] = ((((s >>> 24) * 255) >>> 8) - 127) | 0;
    }
    w.d.fill(Q8_SCALE);
    if (w.cols % 32 !== 0) {
      const padded = Math.ceil(w.cols / 32) * 32;
      for (let r = 0; r < w.rows; r++) qs.fill(0, r * padded + w.cols, (r + 1) * padded); // padding stays zero
    }
    return;
  }
  const table = w.dtype === 'f32' ? uniformTable().f32 : uniformTable().bf16;
  const out = w.data;
  let i = 0;
  for (; i + 2 <= out.length; i += 2) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = table[s & 0xffff];
    out[i + 1] = table[s >>> 16];
  }
  if (i < out.length) out[i] = table[state & 0xffff];
}

/**
 * Random weights of a preset's (or a config's) exact shapes, in `backend` memory (default: ordinary
 * arrays), tensor by tensor with Hugging Face names; norm weights are 1. Deterministic for a seed.
 */
export async function synthWeights(preset: SynthPreset | TextConfig, opts: SynthOptions & { backend?: CpuBackend } = {}): Promise<Qwen3Weights> {
  const c = synthConfig(preset);
  const dtype = checkWeightDType(opts.dtype ?? 'bf16');
  const seed = opts.seed ?? 0;
  const b = opts.backend ?? (await createCpuBackend({ kind: 'js' }));
  let index = 0;
  return assembleWeights(c, dtype, {
    matrix: async (_name, rows, cols, as) => {
      const w = b.weight(as, rows, cols);
      fillRandom(w, stateFor(seed, index++));
      return w;
    },
    vector: async (_name, n) => b.f32(n).fill(1),
  });
}

/** A Qwen3ForCausalLM over `synthWeights` on a CPU backend (default: wasm kernels on every core). */
export async function synthModel(preset: SynthPreset | TextConfig, opts: SynthOptions & BackendOptions = {}): Promise<Qwen3ForCausalLM> {
  const c = synthConfig(preset);
  const dtype = checkWeightDType(opts.dtype ?? 'bf16');
  const backend = await backendFor(opts);
  try {
    return Qwen3ForCausalLM.fromWeights(c, await synthWeights(c, { ...opts, dtype, backend }), dtype, backend);
  } catch (e) {
    backend.dispose();
    throw e;
  }
}
