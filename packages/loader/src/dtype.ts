/** safetensors dtypes this loader reads (the ones Qwen3 checkpoints and qo-reference-1 fixtures use). */
export type SafetensorsDType = 'BF16' | 'F16' | 'F32' | 'I64' | 'I32' | 'I8' | 'U8';

/** Bytes per element of each supported dtype. */
export const DTYPE_BYTES: Readonly<Record<SafetensorsDType, number>> = Object.freeze({
  BF16: 2,
  F16: 2,
  F32: 4,
  I64: 8,
  I32: 4,
  I8: 1,
  U8: 1,
});

export const SUPPORTED_DTYPES: readonly SafetensorsDType[] = Object.freeze(
  Object.keys(DTYPE_BYTES) as SafetensorsDType[],
);

export function isSupportedDType(s: unknown): s is SafetensorsDType {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_BYTES, s);
}

/** Every dtype name the safetensors format defines (the ones above plus those refused by name). */
export const KNOWN_SAFETENSORS_DTYPES: ReadonlySet<string> = new Set([
  ...SUPPORTED_DTYPES,
  'BOOL', 'U16', 'U32', 'U64', 'I16', 'F64', 'F8_E5M2', 'F8_E4M3', 'F8_E8M0', 'F6_E2M3', 'F6_E3M2',
  'F4', 'E8M0', 'C64',
]);
