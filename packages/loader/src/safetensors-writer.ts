import { open, type FileHandle } from 'node:fs/promises';
import { DTYPE_BYTES, SUPPORTED_DTYPES, isSupportedDType, type SafetensorsDType } from './dtype.js';
import { SafetensorsIOError, SafetensorsWriteError } from './errors.js';

/** One tensor to write: raw little-endian element bytes of `dtype`, row-major in `shape`. */
export interface TensorToWrite {
  dtype: SafetensorsDType;
  shape: readonly number[];
  data: ArrayBufferView;
}

/**
 * Writes a .safetensors file: tensors in the given order, contiguous, and a header padded with
 * spaces so the data section starts on an 8-byte boundary. Throws `SafetensorsWriteError` when a
 * tensor's data length does not match its dtype and shape.
 */
export async function writeSafetensors(
  path: string,
  tensors: Iterable<readonly [string, TensorToWrite]> | Readonly<Record<string, TensorToWrite>>,
  metadata?: Readonly<Record<string, string>>,
): Promise<void> {
  const entries: [string, TensorToWrite][] = isIterable(tensors) ? [...tensors].map(([n, t]) => [n, t]) : Object.entries(tensors);
  const header: Record<string, unknown> = {};
  const seen = new Set<string>();
  if (metadata !== undefined) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new SafetensorsWriteError(path, undefined, `${path}: metadata value for "${k}" must be a string, got ${typeof v}.`);
    }
    header.__metadata__ = { ...metadata };
  }
  let offset = 0;
  for (const [name, t] of entries) {
    if (name === '__metadata__') throw new SafetensorsWriteError(path, name, `${path}: "__metadata__" is reserved and cannot be a tensor name.`);
    if (seen.has(name)) throw new SafetensorsWriteError(path, name, `${path}: tensor "${name}" given twice.`);
    seen.add(name);
    if (!isSupportedDType(t.dtype)) {
      throw new SafetensorsWriteError(path, name, `${path}: tensor "${name}" has dtype ${JSON.stringify(t.dtype)}; supported: ${SUPPORTED_DTYPES.join(', ')}.`);
    }
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new SafetensorsWriteError(path, name, `${path}: tensor "${name}" shape ${JSON.stringify(t.shape)} must hold non-negative integers.`);
    }
    const want = t.shape.reduce((a, d) => a * d, 1) * DTYPE_BYTES[t.dtype];
    if (t.data.byteLength !== want) {
      throw new SafetensorsWriteError(path, name, `${path}: tensor "${name}" (${t.dtype} ${JSON.stringify(t.shape)}) needs ${want} bytes, data has ${t.data.byteLength}.`);
    }
    header[name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + want] };
    offset += want;
  }
  let json = JSON.stringify(header);
  const jsonBytes = new TextEncoder().encode(json).byteLength;
  json += ' '.repeat((8 - (jsonBytes % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);

  let fh: FileHandle;
  try {
    fh = await open(path, 'w');
  } catch (cause) {
    throw new SafetensorsIOError(path, undefined, `${path}: cannot create file for writing.`, { cause });
  }
  try {
    await writeAll(fh, prefix);
    await writeAll(fh, headerBytes);
    for (const [, t] of entries) await writeAll(fh, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  } catch (cause) {
    throw new SafetensorsIOError(path, undefined, `${path}: write failed.`, { cause });
  } finally {
    await fh.close();
  }
}

/** Writes every byte, at most 1 GiB per call (a single write can be partial and is capped below 2 GiB). */
async function writeAll(fh: FileHandle, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.byteLength) {
    const { bytesWritten } = await fh.write(bytes, done, Math.min(1 << 30, bytes.byteLength - done));
    done += bytesWritten;
  }
}

function isIterable(v: unknown): v is Iterable<readonly [string, TensorToWrite]> {
  return typeof v === 'object' && v !== null && Symbol.iterator in v;
}
