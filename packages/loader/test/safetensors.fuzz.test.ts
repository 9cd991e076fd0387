import { afterAll, beforeAll, expect, it } from 'vitest';
import { DTYPE_BYTES, MAX_HEADER_BYTES, SafetensorsError, SafetensorsFile, SUPPORTED_DTYPES } from '../src/index.js';
import { prng, rawWithHeaderBytes, tempDir, writeBytes } from './helpers.js';

// Seeded fuzzing of the safetensors reader: every mutated file must either open and read back
// every tensor correctly, or throw a SafetensorsError. Nothing else (no RangeError, SyntaxError,
// hang). Mutations that always break a file (truncation, trailing bytes, huge length) must fail.

const SEED = 20240611;
const CASES = 1500;

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(async () => cleanup());

type Rand = () => number;
const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

interface Base {
  header: Record<string, unknown>;
  data: Uint8Array;
}

/** A random valid file: 0-5 tensors of random dtypes and shapes, contiguous, with metadata sometimes. */
function baseFile(r: Rand): Base {
  const header: Record<string, unknown> = {};
  if (r() < 0.5) header.__metadata__ = { format: 'pt', seed: String(int(r, 0, 99)) };
  let offset = 0;
  const n = int(r, 0, 5);
  for (let i = 0; i < n; i++) {
    const dtype = pick(r, SUPPORTED_DTYPES);
    const shape = Array.from({ length: int(r, 0, 3) }, () => int(r, 0, 6));
    const len = shape.reduce((a, d) => a * d, 1) * DTYPE_BYTES[dtype];
    header[`model.layers.${i}.w${int(r, 0, 9)}_${i}`] = { dtype, shape, data_offsets: [offset, offset + len] };
    offset += len;
  }
  const data = new Uint8Array(offset);
  for (let i = 0; i < offset; i++) data[i] = int(r, 0, 255);
  return { header, data };
}

const encode = (s: string) => new TextEncoder().encode(s);
const build = (b: Base) => rawWithHeaderBytes(encode(JSON.stringify(b.header)), b.data);

const WEIRD_VALUES: unknown[] = [
  -1, 0, 1, 1.5, 2 ** 53, 2 ** 60, -0, '4', null, true, [], {}, [1, 2, 3], 'F32', 'BF16', 'F64', 'bogus', '',
];

/** Structural JSON mutations of a valid header; serialised with a correct length prefix. */
function mutateJson(r: Rand, b: Base): Uint8Array {
  const h = structuredClone(b.header);
  const names = Object.keys(h).filter((k) => k !== '__metadata__');
  const target = names.length > 0 ? (h[pick(r, names)] as Record<string, unknown>) : undefined;
  let data = b.data;
  switch (int(r, 0, 11)) {
    case 0: if (target) target.dtype = pick(r, [...SUPPORTED_DTYPES, 'F64', 'BOOL', 'I16', 'x', 3, null]); break;
    case 1: if (target) (target.shape as unknown[])[0] = pick(r, WEIRD_VALUES); else h.t = { dtype: 'U8', shape: [1], data_offsets: [0, 1] }; break;
    case 2: if (target) target.shape = pick(r, WEIRD_VALUES); break;
    case 3: if (target) (target.data_offsets as unknown[])[int(r, 0, 1)] = pick(r, [...WEIRD_VALUES, int(r, 0, 200)]); break;
    case 4: if (target) target.data_offsets = pick(r, WEIRD_VALUES); break;
    case 5: if (target) delete target[pick(r, ['dtype', 'shape', 'data_offsets'])]; break;
    case 6: if (target) target[pick(r, ['extra', 'offset', 'dtypes'])] = pick(r, WEIRD_VALUES); break;
    case 7: h.__metadata__ = pick(r, [{ a: 1 }, { a: null }, [], 'x', null, { a: 'b', c: { d: 'e' } }]); break;
    case 8: if (target) h[pick(r, names)] = pick(r, WEIRD_VALUES); break;
    case 9: { // swap two tensors' offsets
      if (names.length >= 2) {
        const [x, y] = [h[names[0]], h[names[1]]] as Record<string, unknown>[];
        [x.data_offsets, y.data_offsets] = [y.data_offsets, x.data_offsets];
      }
      break;
    }
    case 10: data = data.subarray(0, int(r, 0, data.byteLength)); break; // header says more than the data holds
    case 11: { // duplicate a tensor name by text surgery (JSON.stringify cannot emit duplicate keys)
      if (names.length > 0) {
        const name = pick(r, names);
        const text = JSON.stringify(h).replace(/}$/, `,${JSON.stringify(name)}:${JSON.stringify(h[name])}}`);
        return rawWithHeaderBytes(encode(text), data);
      }
    }
  }
  return rawWithHeaderBytes(encode(JSON.stringify(h)), data);
}

type Kind = 'truncate' | 'lying-length' | 'huge-length' | 'byte-flips' | 'header-flips' | 'json' | 'append' | 'text-garbage' | 'valid';
const MUST_FAIL: ReadonlySet<Kind> = new Set(['truncate', 'huge-length', 'append']);

function makeCase(r: Rand): { kind: Kind; bytes: Uint8Array } {
  const b = baseFile(r);
  const bytes = build(b);
  const headerLen = bytes.byteLength - 8 - b.data.byteLength;
  const kind = pick<Kind>(r, ['truncate', 'lying-length', 'huge-length', 'byte-flips', 'header-flips', 'json', 'json', 'append', 'text-garbage', 'valid']);
  const view = new DataView(bytes.buffer);
  switch (kind) {
    case 'truncate':
      return { kind, bytes: bytes.subarray(0, int(r, 0, bytes.byteLength - 1)) };
    case 'lying-length': {
      const v = pick(r, [headerLen + int(r, -16, 16), int(r, 0, bytes.byteLength + 64), int(r, 0, 2 ** 31)]);
      view.setBigUint64(0, BigInt(Math.max(0, v)), true);
      return { kind, bytes };
    }
    case 'huge-length':
      view.setBigUint64(0, BigInt(MAX_HEADER_BYTES) + 1n + BigInt(int(r, 0, 2 ** 30)) * BigInt(int(r, 1, 2 ** 30)), true);
      return { kind, bytes };
    case 'byte-flips':
    case 'header-flips': {
      const hi = kind === 'header-flips' ? 8 + headerLen - 1 : bytes.byteLength - 1;
      const n = int(r, 1, 8);
      for (let i = 0; i < n; i++) bytes[int(r, 0, hi)] ^= 1 << int(r, 0, 7);
      return { kind, bytes };
    }
    case 'json':
      return { kind, bytes: mutateJson(r, b) };
    case 'append': {
      const extra = new Uint8Array(int(r, 1, 32)).map(() => int(r, 0, 255));
      const out = new Uint8Array(bytes.byteLength + extra.byteLength);
      out.set(bytes);
      out.set(extra, bytes.byteLength);
      return { kind, bytes: out };
    }
    case 'text-garbage': { // random printable / JSON-ish characters as the header
      const alphabet = '{}[]":,0123456789-.eE truefalsn\\u\n\tF32BF16shapedtype_offsets';
      const text = Array.from({ length: int(r, 0, 80) }, () => alphabet[int(r, 0, alphabet.length - 1)]).join('');
      return { kind, bytes: rawWithHeaderBytes(encode(text), b.data) };
    }
    case 'valid':
      return { kind, bytes };
  }
}

it(`fuzz: ${CASES} mutated files either load and read fully or throw SafetensorsError`, { timeout: 20_000 }, async () => {
  const r = prng(SEED);
  const stats: Record<string, { ok: number; err: number }> = {};
  const errorClasses = new Set<string>();
  for (let i = 0; i < CASES; i++) {
    const { kind, bytes } = makeCase(r);
    const path = await writeBytes(dir, `fuzz-${i % 16}.safetensors`, bytes);
    const s = (stats[kind] ??= { ok: 0, err: 0 });
    let file: SafetensorsFile | undefined;
    try {
      file = await SafetensorsFile.open(path);
      for (const name of file.names()) {
        const info = file.info(name);
        const got = await file.read(name);
        expect(got).toEqual(bytes.subarray(info.offset, info.offset + info.byteLength));
      }
      s.ok++;
      if (MUST_FAIL.has(kind)) throw new Error(`case ${i} (${kind}) should have been refused but loaded`);
    } catch (e) {
      if (!(e instanceof SafetensorsError)) {
        throw new Error(`case ${i} (${kind}) threw ${(e as Error)?.name}: ${(e as Error)?.message}`, { cause: e });
      }
      s.err++;
      errorClasses.add(e.name);
      if (kind === 'valid') throw new Error(`case ${i}: valid file refused: ${e.message}`);
    } finally {
      await file?.close();
    }
  }
  // The fuzzer must actually exercise both outcomes and many distinct failure kinds.
  const total = Object.values(stats).reduce((a, s) => ({ ok: a.ok + s.ok, err: a.err + s.err }), { ok: 0, err: 0 });
  expect(total.ok + total.err).toBe(CASES);
  expect(total.ok).toBeGreaterThan(CASES * 0.1);
  expect(total.err).toBeGreaterThan(CASES * 0.4);
  expect([...errorClasses].sort()).toEqual(expect.arrayContaining([
    'DuplicateTensorError', 'FileSizeMismatchError', 'InvalidHeaderError', 'InvalidTensorLayoutError', 'UnsupportedDTypeError',
  ]));
});
