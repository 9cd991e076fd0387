import { ConfigReader, dflt } from './config-read.js';
import { readTextConfig, type Qwen3MoeTextConfig } from './config-text.js';

/** Whisper-style audio encoder of the Qwen3-Omni thinker (HF names; defaults are transformers' class defaults). */
export interface Qwen3OmniMoeAudioEncoderConfig {
  num_mel_bins: number;
  encoder_layers: number;
  encoder_attention_heads: number;
  encoder_ffn_dim: number;
  d_model: number;
  activation_function: 'gelu';
  scale_embedding: boolean;
  max_source_positions: number;
  n_window: number;
  output_dim: number;
  n_window_infer: number;
  conv_chunksize: number;
  downsample_hidden_size: number;
}

/** Vision encoder of the Qwen3-Omni thinker. */
export interface Qwen3OmniMoeVisionEncoderConfig {
  depth: number;
  hidden_size: number;
  hidden_act: 'gelu_pytorch_tanh';
  intermediate_size: number;
  num_heads: number;
  in_channels: number;
  patch_size: number;
  spatial_merge_size: number;
  temporal_patch_size: number;
  out_hidden_size: number;
  num_position_embeddings: number;
  deepstack_visual_indexes: number[];
}

export interface Qwen3OmniMoeThinkerConfig {
  text_config: Qwen3MoeTextConfig;
  audio_config: Qwen3OmniMoeAudioEncoderConfig;
  vision_config: Qwen3OmniMoeVisionEncoderConfig;
  audio_token_id: number;
  image_token_id: number;
  video_token_id: number;
  audio_start_token_id: number;
  user_token_id: number;
  position_id_per_seconds: number;
  tie_word_embeddings: boolean;
  vision_start_token_id?: number;
  vision_end_token_id?: number;
  audio_end_token_id?: number;
}

export interface Qwen3OmniMoeConfig {
  model_type: 'qwen3_omni_moe';
  thinker_config: Qwen3OmniMoeThinkerConfig;
  enable_audio_output: boolean;
  /** talker and code2wav are kept raw (as in config.json) until they are implemented */
  talker_config?: Readonly<Record<string, unknown>>;
  code2wav_config?: Readonly<Record<string, unknown>>;
  im_start_token_id: number;
  im_end_token_id: number;
  tts_pad_token_id: number;
  tts_bos_token_id: number;
  tts_eos_token_id: number;
  system_token_id: number;
  user_token_id: number;
  assistant_token_id: number;
}

export function readOmniConfig(r: ConfigReader): Qwen3OmniMoeConfig {
  const out: Qwen3OmniMoeConfig = {
    model_type: 'qwen3_omni_moe',
    thinker_config: readThinker(r.child('thinker_config', true)),
    enable_audio_output: r.bool('enable_audio_output', dflt(true)),
    im_start_token_id: r.int('im_start_token_id', dflt(151644)),
    im_end_token_id: r.int('im_end_token_id', dflt(151645)),
    tts_pad_token_id: r.int('tts_pad_token_id', dflt(151671)),
    tts_bos_token_id: r.int('tts_bos_token_id', dflt(151672)),
    tts_eos_token_id: r.int('tts_eos_token_id', dflt(151673)),
    system_token_id: r.int('system_token_id', dflt(8948)),
    user_token_id: r.int('user_token_id', dflt(872)),
    assistant_token_id: r.int('assistant_token_id', dflt(77091)),
  };
  for (const k of ['talker_config', 'code2wav_config'] as const) {
    const v = r.raw(k);
    if (v !== undefined && v !== null) out[k] = r.child(k, true).obj;
  }
  return out;
}

function readThinker(r: ConfigReader): Qwen3OmniMoeThinkerConfig {
  const text = r.child('text_config', true);
  const text_config = readTextConfig(text, 'qwen3_omni_moe_text') as Qwen3MoeTextConfig;
  // The thinker owns the LM head; a text_config that says otherwise is contradictory.
  const tie_word_embeddings = r.bool('tie_word_embeddings', dflt(false));
  if (text.has('tie_word_embeddings') && text.raw('tie_word_embeddings') !== null && text_config.tie_word_embeddings !== tie_word_embeddings) {
    throw text.error('tie_word_embeddings', `"${text.path('tie_word_embeddings')}" (${text_config.tie_word_embeddings}) disagrees with "${r.path('tie_word_embeddings')}" (${tie_word_embeddings})`);
  }
  const out: Qwen3OmniMoeThinkerConfig = {
    text_config: { ...text_config, tie_word_embeddings },
    audio_config: readAudio(r.child('audio_config', false)),
    vision_config: readVision(r.child('vision_config', false)),
    audio_token_id: r.int('audio_token_id', dflt(151646)),
    image_token_id: r.int('image_token_id', dflt(151655)),
    video_token_id: r.int('video_token_id', dflt(151656)),
    audio_start_token_id: r.int('audio_start_token_id', dflt(151647)),
    user_token_id: r.int('user_token_id', dflt(872)),
    position_id_per_seconds: r.positive('position_id_per_seconds', dflt(25)),
    tie_word_embeddings,
  };
  for (const k of ['vision_start_token_id', 'vision_end_token_id', 'audio_end_token_id'] as const) {
    const v = r.optionalInt(k);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

function readAudio(r: ConfigReader): Qwen3OmniMoeAudioEncoderConfig {
  const act = r.str('activation_function', dflt('gelu'));
  if (act !== 'gelu') throw r.refuse('activation_function', `audio encoder activation ${JSON.stringify(act)} (only "gelu")`);
  return {
    num_mel_bins: r.int('num_mel_bins', dflt(128), 1),
    encoder_layers: r.int(['encoder_layers', 'num_hidden_layers'], dflt(32), 1),
    encoder_attention_heads: r.int(['encoder_attention_heads', 'num_attention_heads'], dflt(20), 1),
    encoder_ffn_dim: r.int(['encoder_ffn_dim', 'intermediate_size'], dflt(5120), 1),
    d_model: r.int(['d_model', 'hidden_size'], dflt(1280), 1),
    activation_function: 'gelu',
    scale_embedding: r.bool('scale_embedding', dflt(false)),
    max_source_positions: r.int('max_source_positions', dflt(1500), 1),
    n_window: r.int('n_window', dflt(50), 1),
    output_dim: r.int('output_dim', dflt(3584), 1),
    n_window_infer: r.int('n_window_infer', dflt(800), 1),
    conv_chunksize: r.int('conv_chunksize', dflt(500), 1),
    downsample_hidden_size: r.int('downsample_hidden_size', dflt(480), 1),
  };
}

function readVision(r: ConfigReader): Qwen3OmniMoeVisionEncoderConfig {
  const act = r.str('hidden_act', dflt('gelu_pytorch_tanh'));
  if (act !== 'gelu_pytorch_tanh') throw r.refuse('hidden_act', `vision encoder activation ${JSON.stringify(act)} (only "gelu_pytorch_tanh")`);
  const depth = r.int('depth', dflt(27), 1);
  const deepstack = r.ints('deepstack_visual_indexes', dflt([8, 16, 24]));
  for (const i of deepstack) {
    if (i >= depth) throw r.error('deepstack_visual_indexes', `deepstack_visual_indexes lists block ${i} but the vision encoder has depth ${depth}`);
  }
  return {
    depth,
    hidden_size: r.int('hidden_size', dflt(1152), 1),
    hidden_act: 'gelu_pytorch_tanh',
    intermediate_size: r.int('intermediate_size', dflt(4304), 1),
    num_heads: r.int('num_heads', dflt(16), 1),
    in_channels: r.int('in_channels', dflt(3), 1),
    patch_size: r.int('patch_size', dflt(16), 1),
    spatial_merge_size: r.int('spatial_merge_size', dflt(2), 1),
    temporal_patch_size: r.int('temporal_patch_size', dflt(2), 1),
    out_hidden_size: r.int('out_hidden_size', dflt(3584), 1),
    num_position_embeddings: r.int('num_position_embeddings', dflt(2304), 1),
    deepstack_visual_indexes: deepstack,
  };
}
