/** Base class of every error @qo/qwen3 throws. */
export class Qwen3Error extends Error {
  override name = 'Qwen3Error';
}

/** A tensor the architecture needs is absent from the checkpoint. */
export class MissingWeightError extends Qwen3Error {
  override name = 'MissingWeightError';
}

/** A checkpoint tensor has a shape or dtype the config does not allow. */
export class WeightShapeError extends Qwen3Error {
  override name = 'WeightShapeError';
}

/** The checkpoint holds tensors this implementation would ignore (a variant it does not run). */
export class UnexpectedWeightError extends Qwen3Error {
  override name = 'UnexpectedWeightError';
}

/** The prompt plus generated tokens would exceed the KV cache. */
export class ContextOverflowError extends Qwen3Error {
  override name = 'ContextOverflowError';
}

/** Bad arguments to the public API (token ids out of range, empty input, unknown dtype). */
export class Qwen3InputError extends Qwen3Error {
  override name = 'Qwen3InputError';
}
