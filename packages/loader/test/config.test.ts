import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConfigError,
  isMoeLayer,
  loadConfig,
  LoaderError,
  MissingConfigKeyError,
  parseConfig,
  textConfigOf,
  UnsupportedConfigError,
  type Qwen3OmniMoeConfig,
  type YarnRopeParameters,
} from '../src/index.js';
import { tempDir } from './helpers.js';

/** A Qwen3 config.json as the Hub has it (transformers 4.x style, Qwen3-0.6B sizes). */
const qwen3 = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  architectures: ['Qwen3ForCausalLM'],
  attention_bias: false,
  attention_dropout: 0.0,
  bos_token_id: 151643,
  eos_token_id: 151645,
  head_dim: 128,
  hidden_act: 'silu',
  hidden_size: 1024,
  initializer_range: 0.02,
  intermediate_size: 3072,
  max_position_embeddings: 40960,
  max_window_layers: 28,
  model_type: 'qwen3',
  num_attention_heads: 16,
  num_hidden_layers: 28,
  num_key_value_heads: 8,
  rms_norm_eps: 1e-6,
  rope_scaling: null,
  rope_theta: 1000000,
  sliding_window: null,
  tie_word_embeddings: true,
  torch_dtype: 'bfloat16',
  transformers_version: '4.51.0',
  use_cache: true,
  use_sliding_window: false,
  vocab_size: 151936,
  ...over,
});

const moe = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  ...qwen3({ model_type: 'qwen3_moe', tie_word_embeddings: false, head_dim: undefined, hidden_size: 64, num_attention_heads: 4, num_key_value_heads: 2 }),
  moe_intermediate_size: 32,
  num_experts: 8,
  num_experts_per_tok: 2,
  norm_topk_prob: true,
  decoder_sparse_step: 1,
  mlp_only_layers: [],
  ...over,
});

function err<E extends LoaderError>(fn: () => unknown, cls: new (...a: never[]) => E): E {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(cls);
    expect(e).toBeInstanceOf(LoaderError);
    return e as E;
  }
  throw new Error('expected an error');
}

describe('qwen3', () => {
  it('reads the Hub Qwen3 config', () => {
    const c = parseConfig(qwen3());
    expect(c).toEqual({
      model_type: 'qwen3',
      vocab_size: 151936,
      hidden_size: 1024,
      intermediate_size: 3072,
      num_hidden_layers: 28,
      num_attention_heads: 16,
      num_key_value_heads: 8,
      head_dim: 128,
      hidden_act: 'silu',
      max_position_embeddings: 40960,
      rms_norm_eps: 1e-6,
      tie_word_embeddings: true,
      attention_bias: false,
      rope_parameters: { rope_type: 'default', rope_theta: 1000000 },
      bos_token_id: 151643,
      eos_token_id: 151645,
    });
    expect(textConfigOf(c)).toBe(c);
    expect(isMoeLayer(c as never, 0)).toBe(false);
  });

  it('both RoPE styles give the same result (default rope)', () => {
    const v4 = parseConfig(qwen3());
    const v5 = parseConfig(qwen3({ rope_theta: undefined, rope_scaling: undefined, rope_parameters: { rope_type: 'default', rope_theta: 1000000 } }));
    expect(v5).toEqual(v4);
    // legacy "type" spelling, and a rope_parameters without rope_type
    expect(parseConfig(qwen3({ rope_scaling: { type: 'default' } }))).toEqual(v4);
    expect(parseConfig(qwen3({ rope_theta: undefined, rope_scaling: undefined, rope_parameters: { rope_theta: 1000000 } }))).toEqual(v4);
  });

  it('head_dim: explicit, or absent only where transformers (128) and hidden/heads agree', () => {
    expect(textConfigOf(parseConfig(qwen3({ head_dim: 64 }))).head_dim).toBe(64);
    expect(textConfigOf(parseConfig(qwen3({ head_dim: undefined, hidden_size: 2048 }))).head_dim).toBe(128);
    const e = err(() => parseConfig(qwen3({ head_dim: undefined })), MissingConfigKeyError);
    expect(e.key).toBe('head_dim');
    expect(e.message).toMatch(/Qwen3Config default 128, but hidden_size \/ num_attention_heads = 64/);
  });

  it('num_key_value_heads: null means as many as the query heads (Qwen3Config)', () => {
    expect(textConfigOf(parseConfig(qwen3({ num_key_value_heads: null }))).num_key_value_heads).toBe(16);
    err(() => parseConfig(qwen3({ num_key_value_heads: 5 })), ConfigError);
  });

  it('defaults for keys save_pretrained may leave out', () => {
    const c = textConfigOf(parseConfig(qwen3({ tie_word_embeddings: undefined, rms_norm_eps: undefined, hidden_act: undefined, attention_bias: undefined, use_sliding_window: undefined })));
    expect(c.tie_word_embeddings).toBe(false);
    expect(c.rms_norm_eps).toBe(1e-6);
    expect(c.hidden_act).toBe('silu');
  });
});

describe('missing and mistyped keys', () => {
  for (const key of ['vocab_size', 'hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads', 'num_key_value_heads', 'max_position_embeddings', 'rope_theta', 'model_type']) {
    it(`missing ${key} is named`, () => {
      const e = err(() => parseConfig(qwen3({ [key]: undefined }), 'dir/config.json'), MissingConfigKeyError);
      expect(e.key).toBe(key);
      expect(e.file).toBe('dir/config.json');
      expect(e.message).toContain(`dir/config.json: required key "${key}" is missing`);
    });
  }
  it('moe keys are required for qwen3_moe', () => {
    for (const key of ['moe_intermediate_size', 'num_experts', 'num_experts_per_tok']) {
      expect(err(() => parseConfig(moe({ [key]: undefined })), MissingConfigKeyError).key).toBe(key);
    }
  });
  it('wrong types name the key and the value', () => {
    const e = err(() => parseConfig(qwen3({ hidden_size: '1024' })), ConfigError);
    expect(e.key).toBe('hidden_size');
    expect(e.message).toMatch(/"hidden_size" must be an integer >= 1, found "1024"/);
    expect(err(() => parseConfig(qwen3({ rms_norm_eps: -1 })), ConfigError).key).toBe('rms_norm_eps');
    expect(err(() => parseConfig(qwen3({ tie_word_embeddings: 'yes' })), ConfigError).key).toBe('tie_word_embeddings');
    expect(err(() => parseConfig(qwen3({ eos_token_id: 'x' })), ConfigError).key).toBe('eos_token_id');
    expect(err(() => parseConfig([1]), ConfigError).message).toMatch(/expected a JSON object/);
  });
  it('eos_token_id may be a list', () => {
    expect(textConfigOf(parseConfig(qwen3({ eos_token_id: [151645, 151643] }))).eos_token_id).toEqual([151645, 151643]);
  });
});

describe('refusals (UnsupportedConfigError, by name)', () => {
  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    ['sliding window', { use_sliding_window: true }, 'use_sliding_window', /sliding-window attention/],
    ['sliding layer types', { layer_types: ['full_attention', 'sliding_attention'] }, 'layer_types', /"sliding_attention"/],
    ['attention bias', { attention_bias: true }, 'attention_bias', /biases/],
    ['gelu', { hidden_act: 'gelu' }, 'hidden_act', /activation "gelu"/],
    ['partial rotary', { partial_rotary_factor: 0.5 }, 'partial_rotary_factor', /partial rotary/],
    ['pre-quantized', { quantization_config: { quant_method: 'fp8' } }, 'quantization_config', /pre-quantized/],
    ['unknown model type', { model_type: 'llama' }, 'model_type', /model type "llama" \(supported: qwen3, qwen3_moe, qwen3_omni_moe\)/],
  ];
  for (const rt of ['linear', 'dynamic', 'longrope', 'llama3', 'mrope']) {
    cases.push([`rope type ${rt} (4.x)`, { rope_scaling: { type: rt, factor: 2 } }, 'rope_scaling.type', new RegExp(`rope type "${rt}"`)]);
    cases.push([`rope type ${rt} (5.x)`, { rope_theta: undefined, rope_scaling: undefined, rope_parameters: { rope_type: rt, rope_theta: 1e6, factor: 2 } }, 'rope_parameters.rope_type', new RegExp(`rope type "${rt}"`)]);
  }
  cases.push(['unknown rope key', { rope_scaling: { rope_type: 'yarn', factor: 4, finetuned: true } }, 'rope_scaling.finetuned', /rope parameter "finetuned"/]);
  cases.push(['mrope outside omni', { rope_scaling: { rope_type: 'default', mrope_section: [1, 1, 1] } }, 'rope_scaling.mrope_section', /rope parameter "mrope_section"/]);
  cases.push(['yarn keys with default rope', { rope_scaling: { rope_type: 'default', factor: 4 } }, 'rope_scaling.factor', /with rope type "default"/]);
  for (const [name, over, key, pattern] of cases) {
    it(name, () => {
      const e = err(() => parseConfig(qwen3(over), 'm/config.json'), UnsupportedConfigError);
      expect(e.key).toBe(key);
      expect(e.message).toMatch(pattern);
      expect(e.message).toContain(`m/config.json: "${key}"`);
      expect(e.message).toMatch(/not supported by qo yet/);
    });
  }
  it('conflicting RoPE spellings are an error, not a guess', () => {
    expect(err(() => parseConfig(qwen3({ rope_scaling: { rope_type: 'default' }, rope_parameters: { rope_type: 'default' } })), ConfigError).message).toMatch(/keep only one/);
    expect(err(() => parseConfig(qwen3({ rope_scaling: { rope_type: 'yarn', type: 'default', factor: 2 } })), ConfigError).message).toMatch(/disagree/);
    expect(err(() => parseConfig(qwen3({ rope_scaling: undefined, rope_parameters: { rope_type: 'default', rope_theta: 5 } })), ConfigError).message).toMatch(/"rope_parameters.rope_theta" \(5\) and "rope_theta" \(1000000\) disagree/);
  });
});

// ------------------------------------------------------------------------------------------------
// YaRN against transformers: test/reference/probe_config.py builds Qwen3Config objects from these
// same inputs and records rope_parameters after standardisation and the attention factor that
// ROPE_INIT_FUNCTIONS["yarn"] returns (test/reference/probe_config.out.json, transformers 5.17.0).

interface ProbeCase { rope_parameters: Record<string, unknown>; attention_factor: number; inv_freq: number[] }
let probe: Record<string, ProbeCase & Record<string, unknown>>;
beforeAll(async () => {
  probe = JSON.parse(await readFile(new URL('./reference/probe_config.out.json', import.meta.url), 'utf8'));
});

const probeBase = { vocab_size: 384, hidden_size: 48, intermediate_size: 100, num_hidden_layers: 2, num_attention_heads: 3, num_key_value_heads: 1, head_dim: 16, max_position_embeddings: 512 };
const Y = { rope_type: 'yarn', factor: 8.0, original_max_position_embeddings: 64 };
const YARN_CASES: Record<string, Record<string, unknown>> = {
  v5: { rope_parameters: { ...Y, rope_theta: 10000.0 } },
  v4_rope_type: { rope_theta: 10000.0, rope_scaling: { ...Y } },
  v4_type: { rope_theta: 10000.0, rope_scaling: { type: 'yarn', factor: 8.0, original_max_position_embeddings: 64 } },
  no_original: { rope_parameters: { rope_type: 'yarn', factor: 8.0, rope_theta: 10000.0 } },
  top_level_original: { rope_parameters: { ...Y, rope_theta: 10000.0 }, original_max_position_embeddings: 128 },
  mscale: { rope_parameters: { ...Y, rope_theta: 10000.0, mscale: 0.707, mscale_all_dim: 1.0 } },
  betas_zero_truncate_false: { rope_parameters: { ...Y, rope_theta: 10000.0, beta_fast: 0, beta_slow: 0, truncate: false } },
  factor_none: { rope_parameters: { rope_type: 'yarn', factor: null, original_max_position_embeddings: 64, rope_theta: 10000.0 } },
  attention_factor_given: { rope_parameters: { ...Y, rope_theta: 10000.0, attention_factor: 0.5 } },
};

describe('YaRN parameters match transformers 5', () => {
  for (const [name, rope] of Object.entries(YARN_CASES)) {
    it(name, () => {
      const ref = probe[name];
      expect(ref, `probe case ${name}`).toBeDefined();
      const r = textConfigOf(parseConfig({ model_type: 'qwen3', ...probeBase, ...rope })).rope_parameters as YarnRopeParameters;
      const hf = ref.rope_parameters;
      expect(r.rope_type).toBe('yarn');
      expect(r.rope_theta).toBe(hf.rope_theta);
      expect(r.original_max_position_embeddings).toBe(hf.original_max_position_embeddings);
      expect(r.factor).toBe(hf.factor ?? probeBase.max_position_embeddings / (hf.original_max_position_embeddings as number));
      expect(r.attention_factor).toBe(ref.attention_factor);
      expect(r.beta_fast).toBe((hf.beta_fast as number) || 32);
      expect(r.beta_slow).toBe((hf.beta_slow as number) || 1);
      expect(r.truncate).toBe(hf.truncate ?? true);
    });
  }

  it('the two Hub styles are indistinguishable after parsing', () => {
    const parse = (n: string) => parseConfig({ model_type: 'qwen3', ...probeBase, ...YARN_CASES[n] });
    expect(parse('v4_rope_type')).toEqual(parse('v5'));
    expect(parse('v4_type')).toEqual(parse('v5'));
    // and transformers computes the same frequencies for all three
    expect(probe.v4_rope_type.inv_freq).toEqual(probe.v5.inv_freq);
    expect(probe.v4_type.inv_freq).toEqual(probe.v5.inv_freq);
  });

  it('yarn without a factor key is refused, naming it', () => {
    expect(err(() => parseConfig({ model_type: 'qwen3', ...probeBase, rope_parameters: { rope_type: 'yarn', rope_theta: 1e4 } }), MissingConfigKeyError).key).toBe('rope_parameters.factor');
  });
});

describe('qwen3_moe', () => {
  it('reads the MoE keys; head_dim defaults to hidden/heads', () => {
    const c = textConfigOf(parseConfig(moe()));
    expect(c).toMatchObject({ model_type: 'qwen3_moe', head_dim: 16, num_experts: 8, num_experts_per_tok: 2, moe_intermediate_size: 32, norm_topk_prob: true, decoder_sparse_step: 1, mlp_only_layers: [] });
    expect(probe.moe_head_dim).toBeNull(); // transformers: no head_dim attribute, so hidden // heads
  });
  it('accepts num_local_experts (what transformers 5 writes) and refuses disagreeing spellings', () => {
    expect(probe.moe_to_dict_keys).toContain('num_local_experts');
    expect(textConfigOf(parseConfig(moe({ num_experts: undefined, num_local_experts: 6 })))).toMatchObject({ num_experts: 6 });
    expect(err(() => parseConfig(moe({ num_local_experts: 6 })), ConfigError).message).toMatch(/"num_experts" \(8\) and its alias "num_local_experts" \(6\) disagree/);
  });
  it('norm_topk_prob defaults to false (Qwen3MoeConfig)', () => {
    expect(textConfigOf(parseConfig(moe({ norm_topk_prob: undefined })))).toMatchObject({ norm_topk_prob: false });
  });
  it('isMoeLayer follows mlp_only_layers and decoder_sparse_step', () => {
    const c = textConfigOf(parseConfig(moe({ num_hidden_layers: 6, mlp_only_layers: [1], decoder_sparse_step: 2 })));
    expect([0, 1, 2, 3, 4, 5].map((l) => isMoeLayer(c, l))).toEqual([false, false, false, true, false, true]);
    const all = textConfigOf(parseConfig(moe({ num_hidden_layers: 3 })));
    expect([0, 1, 2].map((l) => isMoeLayer(all, l))).toEqual([true, true, true]);
  });
  it('validates the MoE keys', () => {
    expect(err(() => parseConfig(moe({ num_experts_per_tok: 9 })), ConfigError).message).toMatch(/exceeds num_experts/);
    expect(err(() => parseConfig(moe({ mlp_only_layers: [28] })), ConfigError).message).toMatch(/lists layer 28 but the model has 28 layers/);
    expect(err(() => parseConfig(moe({ decoder_sparse_step: 0 })), ConfigError).key).toBe('decoder_sparse_step');
    expect(err(() => parseConfig(moe({ shared_expert_intermediate_size: 64 })), UnsupportedConfigError).key).toBe('shared_expert_intermediate_size');
  });
});

// ------------------------------------------------------------------------------------------------

/** Qwen3-Omni: thinker (text + audio + vision), talker and code2wav (kept raw). */
const omni = (textOver: Record<string, unknown> = {}, thinkerOver: Record<string, unknown> = {}): Record<string, unknown> => ({
  architectures: ['Qwen3OmniMoeForConditionalGeneration'],
  model_type: 'qwen3_omni_moe',
  enable_audio_output: true,
  thinker_config: {
    model_type: 'qwen3_omni_moe_thinker',
    audio_token_id: 151675,
    image_token_id: 151655,
    video_token_id: 151656,
    vision_start_token_id: 151652,
    audio_start_token_id: 151669,
    position_id_per_seconds: 13,
    text_config: {
      model_type: 'qwen3_omni_moe_text',
      hidden_size: 64,
      head_dim: 16,
      intermediate_size: 128,
      moe_intermediate_size: 32,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      num_experts: 4,
      num_experts_per_tok: 2,
      num_hidden_layers: 2,
      vocab_size: 1000,
      max_position_embeddings: 4096,
      rope_scaling: { interleaved: true, mrope_interleaved: true, mrope_section: [4, 2, 2], rope_type: 'default', type: 'default' },
      rope_theta: 1000000,
      sliding_window: null,
      use_sliding_window: false,
      ...textOver,
    },
    audio_config: { d_model: 32, encoder_layers: 2, encoder_attention_heads: 4, encoder_ffn_dim: 64, output_dim: 64, num_mel_bins: 128 },
    vision_config: { depth: 2, hidden_size: 32, num_heads: 4, intermediate_size: 64, out_hidden_size: 64, deepstack_visual_indexes: [0, 1] },
    ...thinkerOver,
  },
  talker_config: { text_config: { hidden_size: 16 }, speaker_id: { ethan: 2302 } },
  code2wav_config: { codebook_size: 2048 },
});

describe('qwen3_omni_moe', () => {
  it('reads the thinker nesting and keeps talker/code2wav raw', () => {
    const c = parseConfig(omni()) as Qwen3OmniMoeConfig;
    expect(c.model_type).toBe('qwen3_omni_moe');
    const text = textConfigOf(c);
    expect(text).toBe(c.thinker_config.text_config);
    expect(text).toMatchObject({
      model_type: 'qwen3_omni_moe_text', hidden_size: 64, head_dim: 16, num_experts: 4, num_experts_per_tok: 2,
      norm_topk_prob: true, tie_word_embeddings: false, rms_norm_eps: 1e-6,
      rope_parameters: { rope_type: 'default', rope_theta: 1000000, mrope_section: [4, 2, 2], interleaved: true },
    });
    expect(c.thinker_config).toMatchObject({ audio_token_id: 151675, vision_start_token_id: 151652, position_id_per_seconds: 13, image_token_id: 151655 });
    expect(c.thinker_config.audio_config).toMatchObject({ d_model: 32, encoder_layers: 2, activation_function: 'gelu', n_window: 50 });
    expect(c.thinker_config.vision_config).toMatchObject({ depth: 2, hidden_act: 'gelu_pytorch_tanh', patch_size: 16, temporal_patch_size: 2, spatial_merge_size: 2, deepstack_visual_indexes: [0, 1] });
    expect(c.talker_config).toEqual({ text_config: { hidden_size: 16 }, speaker_id: { ethan: 2302 } });
    expect(c.code2wav_config).toEqual({ codebook_size: 2048 });
    expect(c.im_start_token_id).toBe(151644);
  });
  it('the 5.x spelling of the same config parses identically', () => {
    const legacy = parseConfig(omni());
    const v5 = parseConfig(omni({ rope_scaling: undefined, rope_theta: undefined, rope_parameters: { interleaved: true, mrope_section: [4, 2, 2], rope_theta: 1000000, rope_type: 'default' } }));
    expect(v5).toEqual(legacy);
  });
  it('nested defaults are transformers’ class defaults (recorded by the probe)', () => {
    const c = textConfigOf(parseConfig(omni({ head_dim: undefined, norm_topk_prob: undefined, rope_scaling: undefined, rope_theta: undefined, intermediate_size: undefined })));
    expect(probe.omni_text_head_dim).toBeNull();
    expect(c.head_dim).toBe(64 / 4);
    expect(c).toMatchObject({ norm_topk_prob: probe.omni_text_norm_topk_prob, intermediate_size: (probe.omni_saved_text_config as Record<string, unknown>).intermediate_size });
    expect(c.rope_parameters).toEqual({ ...(probe.omni_text_rope_default as object), mrope_section: [24, 20, 20], interleaved: true });
  });
  it('names nested keys by their full path', () => {
    expect(err(() => parseConfig({ ...omni(), thinker_config: undefined }, 'o/config.json'), MissingConfigKeyError).key).toBe('thinker_config');
    const e = err(() => parseConfig(omni({ hidden_act: 'gelu' }), 'o/config.json'), UnsupportedConfigError);
    expect(e.key).toBe('thinker_config.text_config.hidden_act');
    expect(e.message).toContain('o/config.json: "thinker_config.text_config.hidden_act"');
    const { text_config: _t, ...noText } = omni().thinker_config as Record<string, unknown>;
    expect(err(() => parseConfig({ ...omni(), thinker_config: noText }), MissingConfigKeyError).key).toBe('thinker_config.text_config');
  });
  it('refuses what the omni thinker cannot run yet', () => {
    expect(err(() => parseConfig(omni({ rope_scaling: { rope_type: 'default', mrope_section: [4, 2, 2], interleaved: false } })), UnsupportedConfigError).message).toMatch(/non-interleaved multimodal RoPE/);
    expect(err(() => parseConfig(omni({ sliding_window: 128 })), UnsupportedConfigError).key).toBe('thinker_config.text_config.sliding_window');
    expect(err(() => parseConfig(omni({}, { audio_config: { activation_function: 'relu' } })), UnsupportedConfigError).key).toBe('thinker_config.audio_config.activation_function');
    expect(err(() => parseConfig(omni({}, { vision_config: { hidden_act: 'quick_gelu' } })), UnsupportedConfigError).key).toBe('thinker_config.vision_config.hidden_act');
    expect(err(() => parseConfig(omni({ rope_scaling: { rope_type: 'default', mrope_section: [4, 4] } })), ConfigError).key).toBe('thinker_config.text_config.rope_scaling.mrope_section');
    expect(err(() => parseConfig(omni({ tie_word_embeddings: true })), ConfigError).message).toMatch(/disagrees with "thinker_config.tie_word_embeddings"/);
  });
});

describe('loadConfig', () => {
  let root: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ dir: root, cleanup } = await tempDir()));
  afterAll(async () => cleanup());
  const dirWith = async (name: string, files: Record<string, string>) => {
    const d = join(root, name);
    await mkdir(d);
    for (const [f, text] of Object.entries(files)) await writeFile(join(d, f), text);
    return d;
  };

  it('reads config.json and generation_config.json (raw)', async () => {
    const gen = { do_sample: true, temperature: 0.6, eos_token_id: [151645, 151643] };
    const d = await dirWith('both', { 'config.json': JSON.stringify(qwen3()), 'generation_config.json': JSON.stringify(gen) });
    const { config, generation, raw } = await loadConfig(d);
    expect(config).toEqual(parseConfig(qwen3()));
    expect(generation).toEqual(gen);
    expect(raw.transformers_version).toBe('4.51.0');
  });
  it('generation_config.json is optional', async () => {
    const d = await dirWith('only-config', { 'config.json': JSON.stringify(qwen3()) });
    expect((await loadConfig(d)).generation).toBeUndefined();
  });
  it('errors name the file', async () => {
    const none = await dirWith('none', {});
    await expect(loadConfig(none)).rejects.toThrow(ConfigError);
    await expect(loadConfig(none)).rejects.toThrow(/config\.json: cannot read \(ENOENT\)/);
    const bad = await dirWith('bad', { 'config.json': '{"model_type": "qwen3",}' });
    await expect(loadConfig(bad)).rejects.toThrow(/config\.json: invalid JSON/);
    const dup = await dirWith('dup', { 'config.json': JSON.stringify(qwen3()).replace('{', '{"hidden_size": 7,') });
    await expect(loadConfig(dup)).rejects.toThrow(/duplicate key "hidden_size"/);
    const badGen = await dirWith('badgen', { 'config.json': JSON.stringify(qwen3()), 'generation_config.json': 'nope' });
    await expect(loadConfig(badGen)).rejects.toThrow(/generation_config\.json: invalid JSON/);
    const missingKey = await dirWith('missing', { 'config.json': JSON.stringify(qwen3({ vocab_size: undefined })) });
    await expect(loadConfig(missingKey)).rejects.toThrow(new RegExp(`${missingKey}/config\\.json: required key "vocab_size" is missing`));
  });
});
