import { DTYPE_BYTES, KNOWN_SAFETENSORS_DTYPES, SUPPORTED_DTYPES, isSupportedDType, type SafetensorsDType } from './dtype.js';
import {
  DuplicateTensorError,
  FileSizeMismatchError,
  InvalidHeaderError,
  InvalidTensorLayoutError,
  UnsupportedDTypeError,
} from './errors.js';
import { isPlainObject, parseStrictJson } from './strict-json.js';

/** Where one tensor lives and what it holds. */
export interface TensorInfo {
  readonly name: string;
  readonly dtype: SafetensorsDType;
  readonly shape: readonly number[];
  /** product(shape) × bytes per element */
  readonly byteLength: number;
  /** the .safetensors file holding it */
  readonly file: string;
  /** absolute byte offset of the first element in `file` (8 + header length + data_offsets[0]) */
  readonly offset: number;
}

export interface ParsedHeader {
  readonly metadata: Readonly<Record<string, string>>;
  /** in file order (ascending offset) */
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  /** absolute offset of the data section (8 + header length) */
  readonly dataOffset: number;
}

/** 100 MiB: the largest header we accept, checked before anything is allocated. */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

const PREFIX_BYTES = 8;
const ENTRY_KEYS = ['dtype', 'shape', 'data_offsets'];

/**
 * Reads the 8-byte little-endian header length. Returns it as a number once it is known to be
 * within the cap and inside the file.
 */
export function checkHeaderLength(file: string, prefix: Uint8Array, fileSize: number): number {
  if (fileSize < PREFIX_BYTES || prefix.byteLength < PREFIX_BYTES) {
    throw new FileSizeMismatchError(
      file,
      undefined,
      `${file}: file is ${fileSize} bytes, too short for the 8-byte header length prefix of a safetensors file. ` +
        'The file is truncated or is not safetensors; download it again.',
    );
  }
  const n = new DataView(prefix.buffer, prefix.byteOffset, PREFIX_BYTES).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) {
    throw new InvalidHeaderError(
      file,
      undefined,
      `${file}: header length prefix says ${n} bytes, more than the ${MAX_HEADER_BYTES}-byte limit. ` +
        'The file is corrupt or is not safetensors.',
    );
  }
  const len = Number(n);
  if (len < 2) {
    throw new InvalidHeaderError(file, undefined, `${file}: header length prefix is ${len}; a header is at least "{}". The file is corrupt.`);
  }
  if (PREFIX_BYTES + len > fileSize) {
    throw new FileSizeMismatchError(
      file,
      undefined,
      `${file}: header length prefix says ${len} bytes but only ${fileSize - PREFIX_BYTES} bytes follow it. ` +
        'The file is truncated or the prefix is corrupt; download it again.',
    );
  }
  return len;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Validates a header (the `headerLength` bytes after the prefix) against the size of its file. */
export function parseHeader(file: string, headerBytes: Uint8Array, fileSize: number): ParsedHeader {
  const dataOffset = PREFIX_BYTES + headerBytes.byteLength;
  const dataLength = fileSize - dataOffset;
  const bad = (tensor: string | undefined, what: string): never => {
    throw new InvalidHeaderError(file, tensor, `${file}: invalid safetensors header${tensor === undefined ? '' : ` (tensor "${tensor}")`}: ${what}. The file is corrupt or was written by a broken tool.`);
  };

  let text: string;
  try {
    text = utf8.decode(headerBytes);
  } catch (cause) {
    throw new InvalidHeaderError(file, undefined, `${file}: safetensors header is not valid UTF-8. The file is corrupt.`, { cause });
  }
  const root = parseStrictJson(text, (problem, where, dup) => {
    if (dup !== undefined && where === '$') {
      throw new DuplicateTensorError(file, dup, `${file}: the header names tensor "${dup}" twice (duplicate JSON key). The file is corrupt; refusing to guess which entry is right.`);
    }
    return bad(undefined, `JSON error at ${where}: ${problem}`);
  });
  if (!isPlainObject(root)) return bad(undefined, 'the header JSON is not an object');

  const metadata: Record<string, string> = {};
  const raw: { name: string; dtype: SafetensorsDType; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, entry] of Object.entries(root)) {
    if (name === '__metadata__') {
      if (!isPlainObject(entry)) bad(undefined, '"__metadata__" must be an object of string to string');
      for (const [k, v] of Object.entries(entry as Record<string, unknown>)) {
        if (typeof v !== 'string') bad(undefined, `"__metadata__" value for key "${k}" must be a string, found ${jsonType(v)}`);
        Object.defineProperty(metadata, k, { value: v, enumerable: true, writable: false, configurable: false });
      }
      continue;
    }
    if (!isPlainObject(entry)) bad(name, `entry must be an object with dtype, shape and data_offsets, found ${jsonType(entry)}`);
    const e = entry as Record<string, unknown>;
    for (const k of Object.keys(e)) if (!ENTRY_KEYS.includes(k)) bad(name, `unexpected key "${k}" (allowed: ${ENTRY_KEYS.join(', ')})`);
    for (const k of ENTRY_KEYS) if (!(k in e)) bad(name, `missing key "${k}"`);

    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every(isNonNegativeSafeInt)) bad(name, `"shape" must be an array of non-negative integers, found ${JSON.stringify(shape)}`);
    const offs = e.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every(isNonNegativeSafeInt)) {
      bad(name, `"data_offsets" must be [begin, end] with non-negative integers, found ${JSON.stringify(offs)}`);
    }
    const [begin, end] = offs as [number, number];
    if (end < begin) bad(name, `"data_offsets" end ${end} is before begin ${begin}`);

    const dtype = e.dtype;
    if (typeof dtype !== 'string') bad(name, `"dtype" must be a string, found ${jsonType(dtype)}`);
    if (!isSupportedDType(dtype)) {
      const known = KNOWN_SAFETENSORS_DTYPES.has(dtype as string);
      throw new UnsupportedDTypeError(
        file,
        name,
        dtype as string,
        `${file}: tensor "${name}" has dtype ${JSON.stringify(dtype)}, ${known ? 'which this loader does not support' : 'which is not a safetensors dtype'}. ` +
          `Supported: ${SUPPORTED_DTYPES.join(', ')}. Convert the checkpoint (e.g. to BF16) before loading it.`,
      );
    }
    const d = dtype as SafetensorsDType;
    let elements = 1;
    for (const dim of shape as number[]) {
      elements *= dim;
      if (!Number.isSafeInteger(elements * DTYPE_BYTES[d])) bad(name, `shape ${JSON.stringify(shape)} is too large`);
    }
    const byteLength = elements * DTYPE_BYTES[d];
    if (end - begin !== byteLength) {
      throw new InvalidTensorLayoutError(
        file,
        name,
        `${file}: tensor "${name}" (${d} ${JSON.stringify(shape)}) needs ${byteLength} bytes but its data_offsets [${begin}, ${end}] span ${end - begin}. The file is corrupt.`,
      );
    }
    raw.push({ name, dtype: d, shape: shape as number[], begin, end });
  }

  // Tensors must tile the data section exactly: sorted by offset, each starting where the previous
  // ended, the last ending at the end of the file (as the reference Rust implementation requires).
  raw.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  let previous: string | undefined;
  for (const t of raw) {
    if (t.end > dataLength) {
      throw new InvalidTensorLayoutError(
        file,
        t.name,
        `${file}: tensor "${t.name}" data_offsets [${t.begin}, ${t.end}] extend past the end of the data section (${dataLength} bytes). ` +
          'The file is truncated or its header is corrupt; download it again.',
      );
    }
    if (t.begin < expected) {
      throw new InvalidTensorLayoutError(
        file,
        t.name,
        `${file}: tensor "${t.name}" data_offsets [${t.begin}, ${t.end}] overlap tensor "${previous}" (which ends at ${expected}). The file is corrupt.`,
      );
    }
    if (t.begin > expected) {
      throw new InvalidTensorLayoutError(
        file,
        t.name,
        `${file}: ${t.begin - expected} unused bytes before tensor "${t.name}" (data section bytes ${expected}..${t.begin} belong to no tensor). The file is corrupt.`,
      );
    }
    expected = t.end;
    previous = t.name;
  }
  if (expected !== dataLength) {
    throw new FileSizeMismatchError(
      file,
      undefined,
      `${file}: the header accounts for ${expected} data bytes but the file holds ${dataLength} after the header. ` +
        'The file has trailing bytes or was modified; download it again.',
    );
  }

  const tensors = new Map<string, TensorInfo>();
  for (const t of raw) {
    tensors.set(t.name, Object.freeze({
      name: t.name,
      dtype: t.dtype,
      shape: Object.freeze(t.shape.slice()),
      byteLength: t.end - t.begin,
      file,
      offset: dataOffset + t.begin,
    }));
  }
  return { metadata: Object.freeze(metadata), tensors, dataOffset };
}

function isNonNegativeSafeInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return `a ${typeof v}`;
}
