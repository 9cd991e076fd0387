/** Base class of every error thrown by `@qo/generate`; catch this to catch them all. */
export class GenerateError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A generation or sampling option is out of range or of the wrong type. `option` names it. */
export class InvalidOptionError extends GenerateError {
  readonly option: string;
  constructor(option: string, message: string) {
    super(message);
    this.option = option;
  }
}

/** generation_config.json or config.json holds a key of the wrong type or range. */
export class GenerationConfigError extends GenerateError {
  readonly file: string;
  readonly key: string;
  constructor(file: string, key: string, message: string) {
    super(message);
    this.file = file;
    this.key = key;
  }
}

/** The model returned logits of the wrong length, NaN or +Infinity, or nothing that can be sampled. */
export class InvalidLogitsError extends GenerateError {}

/** A token id (in the prompt, or returned by a model's fast path) lies outside [0, vocabSize). */
export class InvalidTokenError extends GenerateError {}

/** The prompt leaves no room for a single new token within the model's context. */
export class PromptTooLongError extends GenerateError {
  readonly promptTokens: number;
  readonly maxContext: number;
  constructor(promptTokens: number, maxContext: number, message: string) {
    super(message);
    this.promptTokens = promptTokens;
    this.maxContext = maxContext;
  }
}

/** A stream was iterated twice, or iterated after `result()` had already consumed it. */
export class StreamConsumedError extends GenerateError {}
