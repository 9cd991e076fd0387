import { Qwen3InputError } from './errors.js';

/** Weight precision at load: kept as stored (bf16), expanded to f32, or quantized to q8_0. Compute is f32. */
export type WeightDType = 'bf16' | 'f32' | 'q8_0';

export function checkWeightDType(dtype: string): WeightDType {
  if (dtype === 'bf16' || dtype === 'f32' || dtype === 'q8_0') return dtype;
  throw new Qwen3InputError(`dtype '${dtype}' is not supported; use bf16, f32 or q8_0`);
}
