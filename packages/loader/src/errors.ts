/**
 * Every error this package throws is a `LoaderError`. Each failure kind has its own class so callers
 * can branch on `instanceof`; messages say what failed, where (file, tensor, key) and what to do.
 */
export class LoaderError extends Error {
  override name = 'LoaderError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

// ---------------------------------------------------------------------------------------------
// safetensors

/** Base class of everything that can go wrong while opening or reading safetensors checkpoints. */
export class SafetensorsError extends LoaderError {
  override name = 'SafetensorsError';
  /** The file involved (a .safetensors file or a model.safetensors.index.json). */
  readonly file: string;
  /** The tensor involved, when there is one. */
  readonly tensor: string | undefined;
  constructor(file: string, tensor: string | undefined, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.file = file;
    this.tensor = tensor;
  }
}

/** The file could not be opened, stat'ed or read by the operating system. */
export class SafetensorsIOError extends SafetensorsError {
  override name = 'SafetensorsIOError';
}

/** The header (length prefix, JSON, `__metadata__` or one tensor entry) is malformed. */
export class InvalidHeaderError extends SafetensorsError {
  override name = 'InvalidHeaderError';
}

/** A tensor's dtype is valid safetensors but not one this loader reads. */
export class UnsupportedDTypeError extends SafetensorsError {
  override name = 'UnsupportedDTypeError';
  readonly dtype: string;
  constructor(file: string, tensor: string, dtype: string, message: string) {
    super(file, tensor, message);
    this.dtype = dtype;
  }
}

/** Tensor byte ranges are inconsistent: wrong length for the shape, overlapping, gaps, out of the data section. */
export class InvalidTensorLayoutError extends SafetensorsError {
  override name = 'InvalidTensorLayoutError';
}

/** The file is shorter or longer than its header says (truncated download, appended bytes). */
export class FileSizeMismatchError extends SafetensorsError {
  override name = 'FileSizeMismatchError';
}

/** The same tensor name appears twice (duplicate JSON key in one header, or in two shards). */
export class DuplicateTensorError extends SafetensorsError {
  override name = 'DuplicateTensorError';
}

/** A tensor name that is not in the file or checkpoint was asked for. */
export class TensorNotFoundError extends SafetensorsError {
  override name = 'TensorNotFoundError';
}

/** `model.safetensors.index.json` is malformed or disagrees with the shards it names. */
export class ShardIndexError extends SafetensorsError {
  override name = 'ShardIndexError';
}

/** A caller-supplied read buffer has the wrong size, or the file was already closed. */
export class ReadError extends SafetensorsError {
  override name = 'ReadError';
}

/** A directory holds neither model.safetensors nor model.safetensors.index.json. */
export class CheckpointNotFoundError extends SafetensorsError {
  override name = 'CheckpointNotFoundError';
}

/** `writeSafetensors` was given something it cannot write (bad dtype, data length, metadata). */
export class SafetensorsWriteError extends SafetensorsError {
  override name = 'SafetensorsWriteError';
}

// ---------------------------------------------------------------------------------------------
// config.json

/** config.json (or generation_config.json) is missing, not JSON, or has a key of the wrong type. */
export class ConfigError extends LoaderError {
  override name = 'ConfigError';
  readonly file: string;
  /** Dotted path of the offending key (e.g. `thinker_config.text_config.hidden_size`), when there is one. */
  readonly key: string | undefined;
  constructor(file: string, key: string | undefined, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.file = file;
    this.key = key;
  }
}

/** A required key is absent. */
export class MissingConfigKeyError extends ConfigError {
  override name = 'MissingConfigKeyError';
}

/** The config asks for a feature this project does not implement (sliding window, linear RoPE, ...). */
export class UnsupportedConfigError extends ConfigError {
  override name = 'UnsupportedConfigError';
}

// ---------------------------------------------------------------------------------------------
// tokenizer + chat template

/** tokenizer.json / tokenizer_config.json missing or unusable, or an id/token outside the vocabulary. */
export class TokenizerError extends LoaderError {
  override name = 'TokenizerError';
  readonly file: string | undefined;
  constructor(file: string | undefined, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.file = file;
  }
}

/** No chat template, a template that does not parse, or one that fails (or raises) while rendering. */
export class ChatTemplateError extends TokenizerError {
  override name = 'ChatTemplateError';
}
