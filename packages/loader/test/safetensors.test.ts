import { mkdir, open as fsOpen, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  DTYPE_BYTES,
  DuplicateTensorError,
  FileSizeMismatchError,
  InvalidHeaderError,
  InvalidTensorLayoutError,
  LoaderError,
  MAX_HEADER_BYTES,
  ReadError,
  SafetensorsError,
  SafetensorsFile,
  SafetensorsIOError,
  SafetensorsWriteError,
  SUPPORTED_DTYPES,
  TensorNotFoundError,
  UnsupportedDTypeError,
  writeSafetensors,
} from '../src/index.js';
import { ramp, rawSafetensors, rawWithHeaderBytes, tempDir, writeBytes } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(async () => cleanup());

let counter = 0;
/** Writes raw bytes to a fresh file and opens it; returns the rejection (or the file). */
async function openRaw(bytes: Uint8Array): Promise<SafetensorsFile> {
  const p = await writeBytes(dir, `case-${counter++}.safetensors`, bytes);
  return SafetensorsFile.open(p);
}

async function expectOpenError<E extends SafetensorsError>(bytes: Uint8Array, cls: new (...a: never[]) => E, pattern: RegExp, tensor?: string): Promise<E> {
  const err = await openRaw(bytes).then(
    () => {
      throw new Error('expected open to fail');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(cls);
  expect(err).toBeInstanceOf(SafetensorsError);
  expect(err).toBeInstanceOf(LoaderError);
  const e = err as E;
  expect(e.message).toMatch(pattern);
  expect(e.message).toContain(e.file); // every message names the file
  expect(e.file).toMatch(/case-\d+\.safetensors$/);
  if (tensor !== undefined) {
    expect(e.tensor).toBe(tensor);
    expect(e.message).toContain(`"${tensor}"`);
  }
  return e;
}

/** A valid two-tensor header over 8 + 6 data bytes. */
const good = () => ({
  __metadata__: { format: 'pt' },
  a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
  b: { dtype: 'BF16', shape: [3], data_offsets: [8, 14] },
});

describe('writeSafetensors + SafetensorsFile round trip', () => {
  it('reads back every dtype, shape and byte, with an 8-byte aligned data section', async () => {
    const tensors: [string, { dtype: (typeof SUPPORTED_DTYPES)[number]; shape: number[]; data: Uint8Array }][] = [];
    let k = 0;
    for (const dtype of SUPPORTED_DTYPES) {
      const shape = [3, 5];
      tensors.push([`t.${dtype}`, { dtype, shape, data: ramp(15 * DTYPE_BYTES[dtype], k++) }]);
    }
    tensors.push(['scalar', { dtype: 'F32', shape: [], data: ramp(4, 99) }]);
    tensors.push(['empty', { dtype: 'F16', shape: [0, 7], data: new Uint8Array(0) }]);
    const p = join(dir, 'roundtrip.safetensors');
    await writeSafetensors(p, tensors, { format: 'pt', note: 'ünïcode ✓' });

    const raw = await readFile(p);
    const headerLength = Number(raw.readBigUInt64LE(0));
    expect((8 + headerLength) % 8).toBe(0);

    const f = await SafetensorsFile.open(p);
    expect(f.metadata).toEqual({ format: 'pt', note: 'ünïcode ✓' });
    expect(f.names()).toEqual(tensors.map(([n]) => n));
    for (const [name, t] of tensors) {
      const info = f.info(name);
      expect(info).toMatchObject({ name, dtype: t.dtype, shape: t.shape, byteLength: t.data.byteLength, file: p });
      expect(raw.subarray(info.offset, info.offset + info.byteLength)).toEqual(Buffer.from(t.data));
      const bytes = await f.read(name);
      expect(bytes).toEqual(t.data);
      expect(bytes.byteOffset).toBe(0);
      expect(bytes.buffer.byteLength).toBe(t.data.byteLength);
    }
    // typed views over returned bytes need no copy or alignment fix-up
    const f32 = new Float32Array((await f.read('t.F32')).buffer);
    expect(f32.length).toBe(15);
    const i64 = new BigInt64Array((await f.read('t.I64')).buffer);
    expect(i64.length).toBe(15);
    await f.close();
    await f.close(); // idempotent
  });

  it('reads into a caller buffer of exactly the right size, and refuses any other size', async () => {
    const p = join(dir, 'into.safetensors');
    await writeSafetensors(p, { x: { dtype: 'I32', shape: [4], data: ramp(16) } });
    const f = await SafetensorsFile.open(p);
    const buf = new Uint8Array(16);
    expect(await f.read('x', buf)).toBe(buf);
    expect(buf).toEqual(ramp(16));
    await expect(f.read('x', new Uint8Array(15))).rejects.toThrow(ReadError);
    await expect(f.read('x', new Uint8Array(15))).rejects.toThrow(/16 bytes .* 15 bytes/);
    await f.close();
  });

  it('splits big reads into maxReadBytes pieces and still returns the right bytes', async () => {
    const p = join(dir, 'chunks.safetensors');
    const data = ramp(1000, 7);
    await writeSafetensors(p, { big: { dtype: 'U8', shape: [1000], data }, small: { dtype: 'U8', shape: [3], data: ramp(3, 200) } });
    // FileHandle is not exported by node:fs/promises; spy on its prototype through a live handle.
    const probe = await fsOpen(p, 'r');
    const proto = Object.getPrototypeOf(probe) as { read: (...a: unknown[]) => unknown };
    await probe.close();
    const spy = vi.spyOn(proto, 'read');
    try {
      for (const max of [1, 7, 999, 1000, 4096]) {
        const f = await SafetensorsFile.open(p, { maxReadBytes: max });
        spy.mockClear();
        expect(await f.read('big')).toEqual(data);
        expect(spy).toHaveBeenCalledTimes(Math.ceil(1000 / max));
        for (const call of spy.mock.calls) expect(call[2] as number).toBeLessThanOrEqual(max);
        expect(await f.read('small')).toEqual(ramp(3, 200));
        await f.close();
      }
    } finally {
      spy.mockRestore();
    }
    await expect(SafetensorsFile.open(p, { maxReadBytes: 0 })).rejects.toThrow(RangeError);
  });

  it('treats a "__proto__" tensor name as an ordinary name', async () => {
    const f = await openRaw(rawSafetensors('{"__proto__":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}', ramp(2)));
    expect(f.names()).toEqual(['__proto__']);
    expect(await f.read('__proto__')).toEqual(ramp(2));
    await f.close();
  });

  it('accepts a header padded with trailing spaces and an empty file ({})', async () => {
    const f = await openRaw(rawSafetensors('{}      '));
    expect(f.names()).toEqual([]);
    expect(f.metadata).toEqual({});
    await f.close();
  });
});

describe('lookup and lifecycle errors', () => {
  it('unknown tensor, read after close, missing file, directory', async () => {
    const f = await openRaw(rawSafetensors(good(), ramp(14)));
    await expect(f.read('nope')).rejects.toThrow(TensorNotFoundError);
    expect(() => f.info('nope')).toThrow(/no tensor named "nope"/);
    await f.close();
    await expect(f.read('a')).rejects.toThrow(ReadError);
    await expect(SafetensorsFile.open(join(dir, 'does-not-exist.safetensors'))).rejects.toThrow(SafetensorsIOError);
    await expect(SafetensorsFile.open(join(dir, 'does-not-exist.safetensors'))).rejects.toThrow(/ENOENT/);
    const sub = join(dir, 'a-directory');
    await mkdir(sub, { recursive: true });
    await expect(SafetensorsFile.open(sub)).rejects.toThrow(SafetensorsIOError);
  });
});

describe('header length prefix', () => {
  it('a file shorter than 8 bytes', async () => {
    await expectOpenError(new Uint8Array([1, 2, 3]), FileSizeMismatchError, /too short for the 8-byte header length prefix/);
    await expectOpenError(new Uint8Array(0), FileSizeMismatchError, /0 bytes/);
  });
  it('a length over the 100 MiB cap is refused before anything is allocated', async () => {
    await expectOpenError(rawSafetensors(good(), ramp(14), BigInt(MAX_HEADER_BYTES) + 1n), InvalidHeaderError, /more than the 104857600-byte limit/);
    await expectOpenError(rawSafetensors(good(), ramp(14), 0xffffffffffffffffn), InvalidHeaderError, /limit/);
  });
  it('a length that runs past the end of the file', async () => {
    await expectOpenError(rawSafetensors(good(), ramp(14), 5000n), FileSizeMismatchError, /header length prefix says 5000 bytes/);
  });
  it('a length too small to hold "{}"', async () => {
    await expectOpenError(rawSafetensors(good(), ramp(14), 1n), InvalidHeaderError, /at least "\{\}"/);
  });
});

describe('header JSON', () => {
  it('must be valid UTF-8', async () => {
    const h = new TextEncoder().encode('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}');
    h[3] = 0xff; // inside the tensor name
    await expectOpenError(rawWithHeaderBytes(h, ramp(1)), InvalidHeaderError, /not valid UTF-8/);
  });
  it('must be JSON', async () => {
    await expectOpenError(rawSafetensors('{"a": [1,}', new Uint8Array(0)), InvalidHeaderError, /JSON error/);
    await expectOpenError(rawSafetensors('{"a": 1} x', new Uint8Array(0)), InvalidHeaderError, /after the JSON value/);
  });
  it('must be an object', async () => {
    await expectOpenError(rawSafetensors('[1, 2]'), InvalidHeaderError, /not an object/);
    await expectOpenError(rawSafetensors('"text"'), InvalidHeaderError, /not an object/);
  });
  it('refuses deep nesting without overflowing the stack', async () => {
    const deep = `{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    await expectOpenError(rawSafetensors(deep), InvalidHeaderError, /nesting deeper than/);
  });
  it('refuses a tensor named twice (duplicate JSON key, which JSON.parse would silently collapse)', async () => {
    const h = '{"w":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"w":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}}';
    expect(Object.keys(JSON.parse(h))).toEqual(['w']);
    await expectOpenError(rawSafetensors(h, ramp(4)), DuplicateTensorError, /names tensor "w" twice/, 'w');
  });
  it('refuses duplicate keys inside an entry or the metadata', async () => {
    await expectOpenError(rawSafetensors('{"w":{"dtype":"U8","dtype":"F32","shape":[1],"data_offsets":[0,1]}}', ramp(1)), InvalidHeaderError, /duplicate key "dtype"/);
    await expectOpenError(rawSafetensors('{"__metadata__":{"k":"1","k":"2"}}'), InvalidHeaderError, /duplicate key "k"/);
  });
});

describe('__metadata__', () => {
  it('must be an object of strings', async () => {
    await expectOpenError(rawSafetensors({ __metadata__: { format: 1 } }), InvalidHeaderError, /"__metadata__" value for key "format" must be a string/);
    await expectOpenError(rawSafetensors({ __metadata__: null }), InvalidHeaderError, /"__metadata__" must be an object/);
    await expectOpenError(rawSafetensors({ __metadata__: ['x'] }), InvalidHeaderError, /"__metadata__" must be an object/);
    await expectOpenError(rawSafetensors({ __metadata__: { nested: { a: 'b' } } }), InvalidHeaderError, /must be a string/);
  });
});

describe('tensor entries', () => {
  const one = (entry: unknown) => rawSafetensors({ t: entry }, ramp(4));
  it('must be objects with exactly dtype, shape, data_offsets', async () => {
    await expectOpenError(one([1]), InvalidHeaderError, /entry must be an object/, 't');
    await expectOpenError(one({ shape: [4], data_offsets: [0, 4] }), InvalidHeaderError, /missing key "dtype"/, 't');
    await expectOpenError(one({ dtype: 'U8', data_offsets: [0, 4] }), InvalidHeaderError, /missing key "shape"/, 't');
    await expectOpenError(one({ dtype: 'U8', shape: [4] }), InvalidHeaderError, /missing key "data_offsets"/, 't');
    await expectOpenError(one({ dtype: 'U8', shape: [4], data_offsets: [0, 4], extra: 1 }), InvalidHeaderError, /unexpected key "extra"/, 't');
  });
  it('dtype must be a supported string', async () => {
    await expectOpenError(one({ dtype: 5, shape: [4], data_offsets: [0, 4] }), InvalidHeaderError, /"dtype" must be a string/, 't');
    const e = await expectOpenError(one({ dtype: 'F64', shape: [1], data_offsets: [0, 4] }), UnsupportedDTypeError, /dtype "F64", which this loader does not support.*Supported: BF16, F16, F32, I64, I32, I8, U8/, 't');
    expect(e.dtype).toBe('F64');
    for (const d of ['BOOL', 'F8_E4M3', 'U16', 'I16']) await expectOpenError(one({ dtype: d, shape: [1], data_offsets: [0, 4] }), UnsupportedDTypeError, /does not support/, 't');
    await expectOpenError(one({ dtype: 'f32', shape: [1], data_offsets: [0, 4] }), UnsupportedDTypeError, /not a safetensors dtype/, 't');
  });
  it('shape must be non-negative safe integers', async () => {
    for (const shape of [[-1], [1.5], ['4'], 4, [2 ** 53], null]) {
      await expectOpenError(one({ dtype: 'U8', shape, data_offsets: [0, 4] }), InvalidHeaderError, /"shape" must be an array of non-negative integers/, 't');
    }
    await expectOpenError(one({ dtype: 'F32', shape: [2 ** 26, 2 ** 26], data_offsets: [0, 4] }), InvalidHeaderError, /too large/, 't');
  });
  it('data_offsets must be two ordered non-negative safe integers', async () => {
    for (const data_offsets of [[0], [0, 4, 8], [-1, 3], [0, 4.5], '0,4', [0, 2 ** 53 + 2]]) {
      await expectOpenError(one({ dtype: 'U8', shape: [4], data_offsets }), InvalidHeaderError, /"data_offsets" must be \[begin, end\]/, 't');
    }
    // 2^53 + 1 cannot be represented exactly: it must not silently become 2^53
    await expectOpenError(rawSafetensors('{"t":{"dtype":"U8","shape":[4],"data_offsets":[0,9007199254740993]}}', ramp(4)), InvalidHeaderError, /data_offsets/, 't');
    await expectOpenError(one({ dtype: 'U8', shape: [0], data_offsets: [4, 0] }), InvalidHeaderError, /end 0 is before begin 4/, 't');
  });
  it('byte length must equal product(shape) × dtype size', async () => {
    await expectOpenError(one({ dtype: 'F32', shape: [2], data_offsets: [0, 4] }), InvalidTensorLayoutError, /needs 8 bytes but its data_offsets \[0, 4\] span 4/, 't');
    await expectOpenError(one({ dtype: 'BF16', shape: [1], data_offsets: [0, 4] }), InvalidTensorLayoutError, /needs 2 bytes/, 't');
  });
});

describe('tensor layout in the data section', () => {
  it('offsets must stay inside the data section', async () => {
    await expectOpenError(rawSafetensors({ t: { dtype: 'U8', shape: [8], data_offsets: [0, 8] } }, ramp(4)), InvalidTensorLayoutError, /extend past the end of the data section \(4 bytes\)/, 't');
  });
  it('tensors must not overlap', async () => {
    const e = await expectOpenError(
      rawSafetensors({ a: { dtype: 'U8', shape: [4], data_offsets: [0, 4] }, b: { dtype: 'U8', shape: [4], data_offsets: [2, 6] } }, ramp(6)),
      InvalidTensorLayoutError,
      /"b" data_offsets \[2, 6\] overlap tensor "a"/,
      'b',
    );
    expect(e.message).toContain('"a"');
    await expectOpenError(rawSafetensors({ a: { dtype: 'U8', shape: [4], data_offsets: [0, 4] }, b: { dtype: 'U8', shape: [4], data_offsets: [0, 4] } }, ramp(4)), InvalidTensorLayoutError, /overlap/);
  });
  it('tensors must leave no gaps', async () => {
    await expectOpenError(rawSafetensors({ a: { dtype: 'U8', shape: [2], data_offsets: [0, 2] }, b: { dtype: 'U8', shape: [2], data_offsets: [4, 6] } }, ramp(6)), InvalidTensorLayoutError, /2 unused bytes before tensor "b"/, 'b');
    await expectOpenError(rawSafetensors({ b: { dtype: 'U8', shape: [2], data_offsets: [1, 3] } }, ramp(3)), InvalidTensorLayoutError, /1 unused bytes before tensor "b"/, 'b');
  });
  it('the file size must match: no trailing bytes', async () => {
    await expectOpenError(rawSafetensors(good(), ramp(20)), FileSizeMismatchError, /accounts for 14 data bytes but the file holds 20/);
  });
  it('entries may come in any order in the header', async () => {
    const f = await openRaw(rawSafetensors({ b: { dtype: 'U8', shape: [2], data_offsets: [2, 4] }, a: { dtype: 'U8', shape: [2], data_offsets: [0, 2] } }, ramp(4)));
    expect(f.names()).toEqual(['a', 'b']);
    expect(await f.read('b')).toEqual(ramp(2, 2));
    await f.close();
  });
});

describe('writeSafetensors validation', () => {
  it('refuses data of the wrong length, bad shapes, dtypes and names', async () => {
    const p = join(dir, 'w.safetensors');
    await expect(writeSafetensors(p, { x: { dtype: 'F32', shape: [3], data: new Uint8Array(8) } })).rejects.toThrow(SafetensorsWriteError);
    await expect(writeSafetensors(p, { x: { dtype: 'F32', shape: [3], data: new Uint8Array(8) } })).rejects.toThrow(/needs 12 bytes, data has 8/);
    await expect(writeSafetensors(p, { x: { dtype: 'F32', shape: [-1], data: new Uint8Array(0) } })).rejects.toThrow(/non-negative integers/);
    await expect(writeSafetensors(p, { x: { dtype: 'F64' as 'F32', shape: [1], data: new Uint8Array(8) } })).rejects.toThrow(/supported/);
    await expect(writeSafetensors(p, [['__metadata__', { dtype: 'U8', shape: [1], data: new Uint8Array(1) }]])).rejects.toThrow(/reserved/);
    const twice: [string, { dtype: 'U8'; shape: number[]; data: Uint8Array }][] = [['x', { dtype: 'U8', shape: [1], data: new Uint8Array(1) }], ['x', { dtype: 'U8', shape: [1], data: new Uint8Array(1) }]];
    await expect(writeSafetensors(p, twice)).rejects.toThrow(/given twice/);
    await expect(writeSafetensors(p, {}, { k: 1 as unknown as string })).rejects.toThrow(/must be a string/);
  });
  it('writes typed-array views at their own offsets', async () => {
    const backing = new Float32Array([9, 1, 2, 3, 9]);
    const p = join(dir, 'view.safetensors');
    await writeSafetensors(p, { v: { dtype: 'F32', shape: [3], data: backing.subarray(1, 4) } });
    const f = await SafetensorsFile.open(p);
    expect(Array.from(new Float32Array((await f.read('v')).buffer))).toEqual([1, 2, 3]);
    await f.close();
  });
});
