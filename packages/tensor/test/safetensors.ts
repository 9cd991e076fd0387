import { readFileSync } from 'node:fs';

/** A tensor read from a .safetensors file: F32 as Float32Array, I64 as plain numbers. */
export interface StTensor {
  dtype: 'F32' | 'I64';
  shape: number[];
  f32: Float32Array;
  i64: number[];
}

/** Minimal safetensors reader for test fixtures (F32 and I64 only). */
export function readSafetensors(path: string): Map<string, StTensor> {
  const buf = readFileSync(path);
  const headerLen = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + headerLen).toString('utf8')) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const base = 8 + headerLen;
  const out = new Map<string, StTensor>();
  for (const [name, h] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [a, b] = h.data_offsets;
    const bytes = new Uint8Array(buf.subarray(base + a, base + b)); // copy: aligned for typed views
    if (h.dtype === 'F32') {
      out.set(name, { dtype: 'F32', shape: h.shape, f32: new Float32Array(bytes.buffer), i64: [] });
    } else if (h.dtype === 'I64') {
      const i64 = Array.from(new BigInt64Array(bytes.buffer), Number);
      out.set(name, { dtype: 'I64', shape: h.shape, f32: new Float32Array(0), i64 });
    } else {
      throw new Error(`readSafetensors: ${path}: tensor ${name} has dtype ${h.dtype}; this test reader knows F32 and I64`);
    }
  }
  return out;
}

/** Relative L2 error ‖a − b‖ / ‖b‖ over the first b.length values. */
export function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    const d = a[i] - b[i];
    num += d * d;
    den += b[i] * b[i];
  }
  return Math.sqrt(num) / Math.sqrt(den);
}
