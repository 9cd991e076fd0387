import { closeSync, openSync, writeSync } from 'node:fs';

/**
 * A minimal GGUF v3 writer (the format of llama.cpp's ggml/include/gguf.h), little endian:
 *   "GGUF", u32 version 3, u64 tensor count, u64 key-value count,
 *   key-values: string key, u32 value type, value (strings: u64 length + UTF-8; arrays: u32 element
 *   type, u64 count, elements), tensor infos: string name, u32 n_dims, u64 ne[n_dims] (ne[0] is the
 *   contiguous dimension, so an nn.Linear [rows, cols] is ne = [cols, rows]), u32 ggml type, u64 offset
 *   from the start of the data section; padding to `general.alignment` (32); then each tensor's bytes,
 *   each at a multiple of 32.
 */

/** GGUF value types. */
export const GGUF = { UINT8: 0, INT8: 1, UINT16: 2, INT16: 3, UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7, STRING: 8, ARRAY: 9, UINT64: 10, INT64: 11, FLOAT64: 12 } as const;

/** ggml tensor types this writer emits. */
export const GGML_TYPE = { F32: 0, F16: 1, Q8_0: 8 } as const;
export type GgmlType = (typeof GGML_TYPE)[keyof typeof GGML_TYPE];

/** Bytes of `n` values of a row-major tensor of `type` (Q8_0: 34-byte blocks of 32). */
export function tensorBytes(type: GgmlType, n: number): number {
  if (type === GGML_TYPE.Q8_0) {
    if (n % 32 !== 0) throw new RangeError(`GGUF: a Q8_0 tensor holds whole blocks of 32 values, got ${n}`);
    return (n / 32) * 34;
  }
  return n * (type === GGML_TYPE.F32 ? 4 : 2);
}

export type KV =
  | { type: typeof GGUF.UINT32 | typeof GGUF.INT32 | typeof GGUF.FLOAT32 | typeof GGUF.UINT64; value: number }
  | { type: typeof GGUF.BOOL; value: boolean }
  | { type: typeof GGUF.STRING; value: string }
  | { type: typeof GGUF.ARRAY; of: typeof GGUF.STRING; value: readonly string[] }
  | { type: typeof GGUF.ARRAY; of: typeof GGUF.INT32; value: ArrayLike<number> };

export const u32 = (value: number): KV => ({ type: GGUF.UINT32, value });
export const f32 = (value: number): KV => ({ type: GGUF.FLOAT32, value });
export const str = (value: string): KV => ({ type: GGUF.STRING, value });
export const bool = (value: boolean): KV => ({ type: GGUF.BOOL, value });
export const strings = (value: readonly string[]): KV => ({ type: GGUF.ARRAY, of: GGUF.STRING, value });
export const int32s = (value: ArrayLike<number>): KV => ({ type: GGUF.ARRAY, of: GGUF.INT32, value });

/** A tensor to write: its ggml name and shape (HF order, e.g. [rows, cols]), and its bytes, produced when written. */
export interface TensorEntry {
  name: string;
  shape: readonly number[];
  type: GgmlType;
  /** The tensor's bytes in ggml layout (called once, while writing; may return a fresh buffer). */
  data(): Uint8Array;
}

/** Little-endian byte sink that grows as needed. */
class Bytes {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u32(v: number): void {
    this.room(4);
    this.view.setUint32(this.length, v, true);
    this.length += 4;
  }
  i32(v: number): void {
    this.room(4);
    this.view.setInt32(this.length, v, true);
    this.length += 4;
  }
  u64(v: number): void {
    this.room(8);
    this.view.setBigUint64(this.length, BigInt(v), true);
    this.length += 8;
  }
  f32(v: number): void {
    this.room(4);
    this.view.setFloat32(this.length, v, true);
    this.length += 4;
  }
  u8(v: number): void {
    this.room(1);
    this.buf[this.length++] = v;
  }
  string(s: string): void {
    const b = new TextEncoder().encode(s);
    this.u64(b.length);
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  pad(align: number): void {
    while (this.length % align !== 0) this.u8(0);
  }
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

function writeKV(out: Bytes, key: string, kv: KV): void {
  out.string(key);
  out.u32(kv.type);
  switch (kv.type) {
    case GGUF.UINT32:
      return out.u32(kv.value);
    case GGUF.INT32:
      return out.i32(kv.value);
    case GGUF.FLOAT32:
      return out.f32(kv.value);
    case GGUF.UINT64:
      return out.u64(kv.value);
    case GGUF.BOOL:
      return out.u8(kv.value ? 1 : 0);
    case GGUF.STRING:
      return out.string(kv.value);
    case GGUF.ARRAY:
      out.u32(kv.of);
      out.u64(kv.value.length);
      if (kv.of === GGUF.STRING) for (const s of kv.value as readonly string[]) out.string(s);
      else for (let i = 0; i < kv.value.length; i++) out.i32((kv.value as ArrayLike<number>)[i]);
  }
}

export const ALIGNMENT = 32;

/**
 * Writes a GGUF v3 file: the header (metadata in the given order, then the tensor infos), then each
 * tensor's bytes as `data()` produces them, one tensor in memory at a time. Returns the file's size.
 */
export function writeGguf(path: string, metadata: ReadonlyArray<[string, KV]>, tensors: readonly TensorEntry[]): number {
  const head = new Bytes();
  head.u32(0x46554747); // "GGUF"
  head.u32(3);
  head.u64(tensors.length);
  head.u64(metadata.length);
  for (const [k, v] of metadata) writeKV(head, k, v);
  let offset = 0;
  const sizes: number[] = [];
  for (const t of tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    const size = tensorBytes(t.type, n);
    head.string(t.name);
    head.u32(t.shape.length);
    for (let i = t.shape.length - 1; i >= 0; i--) head.u64(t.shape[i]); // ne[0] = the last (contiguous) dimension
    head.u32(t.type);
    head.u64(offset);
    sizes.push(size);
    offset += Math.ceil(size / ALIGNMENT) * ALIGNMENT;
  }
  head.pad(ALIGNMENT);
  const fd = openSync(path, 'w');
  try {
    let pos = 0;
    const put = (b: Uint8Array) => {
      for (let done = 0; done < b.length; ) done += writeSync(fd, b, done, b.length - done, pos + done);
      pos += b.length;
    };
    put(head.bytes());
    const zeros = new Uint8Array(ALIGNMENT);
    for (const [i, t] of tensors.entries()) {
      const b = t.data();
      if (b.length !== sizes[i]) throw new RangeError(`GGUF: tensor ${t.name} produced ${b.length} bytes, its shape and type need ${sizes[i]}`);
      put(b);
      put(zeros.subarray(0, (ALIGNMENT - (b.length % ALIGNMENT)) % ALIGNMENT));
    }
    return pos;
  } finally {
    closeSync(fd);
  }
}
