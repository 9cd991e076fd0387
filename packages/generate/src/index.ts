export type { CausalLM, TextTokenizer, ChatTokenizer, ChatMessage, ChatTemplateCall } from './model.js';
export {
  generate,
  type GenerateOptions,
  type GenerationChunk,
  type GenerationResult,
  type GenerationTimings,
  type StopReason,
} from './generate.js';
export { chat, type ChatOptions, type ChatResult } from './chat.js';
export { GenerationStream } from './stream.js';
export { Sampler } from './sampler.js';
export {
  resolveSampling,
  isGreedy,
  hasPenalties,
  MAX_PENALTY_WINDOW,
  type SamplingOptions,
  type SamplingParams,
} from './sampling-params.js';
export { Xoshiro128, randomSeed } from './rng.js';
export { generationDefaults, type GenerationDefaults } from './generation-config.js';
export { IncrementalDetokenizer } from './detokenizer.js';
export { StopStringMatcher } from './stop-strings.js';
export { ReasoningSplitter, endsInsideReasoning, type ChatChunk, type Channel } from './reasoning.js';
export {
  GenerateError,
  InvalidOptionError,
  GenerationConfigError,
  InvalidLogitsError,
  InvalidTokenError,
  PromptTooLongError,
  StreamConsumedError,
} from './errors.js';
