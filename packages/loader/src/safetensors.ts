import { open, type FileHandle } from 'node:fs/promises';
import { ReadError, SafetensorsError, SafetensorsIOError, TensorNotFoundError } from './errors.js';
import { checkHeaderLength, parseHeader, type TensorInfo } from './safetensors-header.js';

export interface SafetensorsOpenOptions {
  /**
   * Largest single read issued to the OS, in bytes (default 1 GiB). Node refuses reads of 2 GiB or
   * more, so bigger tensors are read in pieces; tests set this small to exercise that path.
   */
  maxReadBytes?: number;
}

export const DEFAULT_MAX_READ_BYTES = 1024 * 1024 * 1024;

/**
 * One .safetensors file, opened lazily: `open` reads and validates only the header; each `read`
 * pulls one tensor's bytes from disk with positioned reads. Keep it open while reading, then `close`.
 */
export class SafetensorsFile {
  readonly path: string;
  /** `__metadata__` of the header (string to string); empty when absent. */
  readonly metadata: Readonly<Record<string, string>>;
  /** Tensors in file order. */
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  readonly fileSize: number;
  readonly #handle: FileHandle;
  readonly #maxRead: number;
  #closed = false;

  private constructor(path: string, handle: FileHandle, fileSize: number, metadata: Readonly<Record<string, string>>, tensors: ReadonlyMap<string, TensorInfo>, maxRead: number) {
    this.path = path;
    this.#handle = handle;
    this.fileSize = fileSize;
    this.metadata = metadata;
    this.tensors = tensors;
    this.#maxRead = maxRead;
  }

  static async open(path: string, options: SafetensorsOpenOptions = {}): Promise<SafetensorsFile> {
    const maxRead = options.maxReadBytes ?? DEFAULT_MAX_READ_BYTES;
    if (!Number.isSafeInteger(maxRead) || maxRead < 1 || maxRead > 0x7fffffff) {
      throw new RangeError(`maxReadBytes must be an integer in [1, 2^31 - 1], got ${maxRead}`);
    }
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (cause) {
      throw new SafetensorsIOError(path, undefined, `${path}: cannot open safetensors file (${errCode(cause)}). Check that the path exists and is readable.`, { cause });
    }
    try {
      const st = await io(path, () => handle.stat());
      if (!st.isFile()) {
        throw new SafetensorsIOError(path, undefined, `${path}: not a regular file. Pass the path of a .safetensors file.`);
      }
      const size = st.size;
      const prefix = new Uint8Array(8);
      await readFully(handle, path, undefined, prefix, 0, Math.min(8, size), maxRead);
      const headerLength = checkHeaderLength(path, prefix, size);
      const header = new Uint8Array(headerLength);
      await readFully(handle, path, undefined, header, 8, headerLength, maxRead);
      const parsed = parseHeader(path, header, size);
      return new SafetensorsFile(path, handle, size, parsed.metadata, parsed.tensors, maxRead);
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw err;
    }
  }

  /** Tensor names in file order. */
  names(): string[] {
    return [...this.tensors.keys()];
  }

  info(name: string): TensorInfo {
    const t = this.tensors.get(name);
    if (t === undefined) {
      throw new TensorNotFoundError(this.path, name, `${this.path}: no tensor named "${name}" (the file holds ${this.tensors.size} tensors). Check the name against names().`);
    }
    return t;
  }

  /**
   * Reads one tensor's raw little-endian bytes. Without `into`, returns a fresh zero-offset
   * Uint8Array (so `new Float32Array(bytes.buffer)` etc. are aligned); with `into`, fills it
   * (its byteLength must equal the tensor's) and returns it.
   */
  async read(name: string, into?: Uint8Array): Promise<Uint8Array> {
    if (this.#closed) throw new ReadError(this.path, name, `${this.path}: read("${name}") after close(). Open the file again.`);
    const t = this.info(name);
    let out: Uint8Array;
    if (into === undefined) {
      out = new Uint8Array(t.byteLength);
    } else {
      if (into.byteLength !== t.byteLength) {
        throw new ReadError(this.path, name, `${this.path}: tensor "${name}" is ${t.byteLength} bytes (${t.dtype} ${JSON.stringify(t.shape)}) but the buffer passed to read() is ${into.byteLength} bytes.`);
      }
      out = into;
    }
    await readFully(this.#handle, this.path, name, out, t.offset, t.byteLength, this.#maxRead);
    return out;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await io(this.path, () => this.#handle.close());
  }
}

/** Fills `dst[0, length)` from `position`, at most `maxRead` bytes per OS read. */
async function readFully(handle: FileHandle, file: string, tensor: string | undefined, dst: Uint8Array, position: number, length: number, maxRead: number): Promise<void> {
  let done = 0;
  while (done < length) {
    const want = Math.min(maxRead, length - done);
    const { bytesRead } = await io(file, () => handle.read(dst, done, want, position + done), tensor);
    if (bytesRead === 0) {
      throw new SafetensorsIOError(
        file,
        tensor,
        `${file}: unexpected end of file at byte ${position + done} while reading ${tensor === undefined ? 'the header' : `tensor "${tensor}"`}. ` +
          'The file was truncated or replaced after it was opened.',
      );
    }
    done += bytesRead;
  }
}

async function io<T>(file: string, fn: () => Promise<T>, tensor?: string): Promise<T> {
  try {
    return await fn();
  } catch (cause) {
    if (cause instanceof SafetensorsError) throw cause;
    throw new SafetensorsIOError(file, tensor, `${file}: I/O error${tensor === undefined ? '' : ` reading tensor "${tensor}"`} (${errCode(cause)}).`, { cause });
  }
}

function errCode(e: unknown): string {
  if (typeof e === 'object' && e !== null && 'code' in e && typeof (e as { code: unknown }).code === 'string') return (e as { code: string }).code;
  return e instanceof Error ? e.message : String(e);
}
