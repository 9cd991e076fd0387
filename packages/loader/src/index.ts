export * from './errors.js';
export { DTYPE_BYTES, SUPPORTED_DTYPES, type SafetensorsDType } from './dtype.js';
export { MAX_HEADER_BYTES, type TensorInfo } from './safetensors-header.js';
export { SafetensorsFile, DEFAULT_MAX_READ_BYTES, type SafetensorsOpenOptions } from './safetensors.js';
export { writeSafetensors, type TensorToWrite } from './safetensors-writer.js';
export { Checkpoint, SINGLE_FILE, INDEX_FILE } from './checkpoint.js';
export type { RopeParameters, DefaultRopeParameters, YarnRopeParameters, MultimodalRope } from './rope.js';
export { isMoeLayer, type Qwen3TextConfig, type Qwen3MoeTextConfig, type TextConfig } from './config-text.js';
export type {
  Qwen3OmniMoeConfig,
  Qwen3OmniMoeThinkerConfig,
  Qwen3OmniMoeAudioEncoderConfig,
  Qwen3OmniMoeVisionEncoderConfig,
} from './config-omni.js';
export {
  parseConfig,
  loadConfig,
  textConfigOf,
  SUPPORTED_MODEL_TYPES,
  type ModelConfig,
  type Qwen3Config,
  type Qwen3MoeConfig,
  type LoadedConfig,
} from './config.js';
export { ChatTemplate, type ChatMessage } from './chat-template.js';
export {
  Tokenizer,
  type EncodeOptions,
  type DecodeOptions,
  type ChatTemplateOptions,
  type AddedTokenInfo,
} from './tokenizer.js';
export * from './hub/index.js';
