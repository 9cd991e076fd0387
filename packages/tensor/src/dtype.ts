import { ShapeError } from './errors.js';

/** Element types of tensors. `q8_0`: blocks of 32 int8 values with one f16 scale (see Q8_0.md). */
export type DType = 'f32' | 'bf16' | 'f16' | 'q8_0' | 'i32' | 'i64';

function u32View(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

function output<T extends Float32Array | Uint16Array>(op: string, n: number, dst: T | undefined, make: (n: number) => T): T {
  if (dst === undefined) return make(n);
  if (dst.length < n) {
    throw new ShapeError(`${op}: dst has ${dst.length} elements but src has ${n}; pass a dst at least as long as src`);
  }
  return dst;
}

/** bf16 bits → f32 (exact: a bf16 is the top half of an f32). */
export function bf16ToF32(src: Uint16Array, dst?: Float32Array): Float32Array {
  const out = output('bf16ToF32', src.length, dst, (n) => new Float32Array(n));
  const bits = u32View(out);
  for (let i = 0; i < src.length; i++) bits[i] = src[i] << 16;
  return out;
}

/** f32 → bf16 bits, round to nearest even (as torch does); every NaN becomes torch's canonical 0x7fc0. */
export function f32ToBf16(src: Float32Array, dst?: Uint16Array): Uint16Array {
  const out = output('f32ToBf16', src.length, dst, (n) => new Uint16Array(n));
  const bits = u32View(src);
  for (let i = 0; i < src.length; i++) {
    const b = bits[i];
    out[i] = (b & 0x7fffffff) > 0x7f800000 ? 0x7fc0 : (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
  }
  return out;
}

let bf16Table: Float32Array | undefined;

/** bf16 bits → f32 value for all 65536 patterns (256 KiB), built on first use; for bf16 kernels. */
export function bf16Values(): Float32Array {
  if (bf16Table !== undefined) return bf16Table;
  const bits = new Uint32Array(65536);
  for (let h = 0; h < 65536; h++) bits[h] = h << 16;
  bf16Table = new Float32Array(bits.buffer);
  return bf16Table;
}

let f16Table: Uint32Array | undefined;
let f16TableValues: Float32Array | undefined;

/** f16 bits → f32 bits for all 65536 halves, built on first use. */
function f16ToF32Table(): Uint32Array {
  if (f16Table !== undefined) return f16Table;
  const bits = new Uint32Array(65536);
  const vals = new Float32Array(bits.buffer);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >>> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0x1f) bits[h] = ((h & 0x8000) << 16) | 0x7f800000 | (mant << 13); // Inf, NaN with payload
    else if (exp === 0) vals[h] = sign * mant * 2 ** -24; // zero, subnormal
    else vals[h] = sign * (1024 + mant) * 2 ** (exp - 25);
  }
  f16Table = bits;
  f16TableValues = vals;
  return bits;
}

/** f16 → f32 lookup as floats, shared with the q8_0 kernels. */
export function f16Values(): Float32Array {
  if (f16TableValues === undefined) f16ToF32Table();
  return f16TableValues as Float32Array;
}

/** f16 bits → f32 (exact; NaN payloads kept). */
export function f16ToF32(src: Uint16Array, dst?: Float32Array): Float32Array {
  const out = output('f16ToF32', src.length, dst, (n) => new Float32Array(n));
  const table = f16ToF32Table();
  const bits = u32View(out);
  for (let i = 0; i < src.length; i++) bits[i] = table[src[i]];
  return out;
}

/** One f32 (given by its bits) → f16 bits, round to nearest even, subnormals and overflow to ±Inf as IEEE says. */
export function f32BitsToF16(b: number): number {
  const sign = (b >>> 16) & 0x8000;
  const abs = b & 0x7fffffff;
  if (abs >= 0x7f800000) return abs > 0x7f800000 ? sign | 0x7e00 | ((abs >>> 13) & 0x3ff) : sign | 0x7c00;
  if (abs >= 0x477ff000) return sign | 0x7c00; // >= 65520 rounds past 65504
  if (abs >= 0x38800000) {
    // normal half: rebias exponent 127 → 15, keep 10 mantissa bits, round the 13 dropped ones
    const q = (((abs >>> 23) - 112) << 10) | ((abs >>> 13) & 0x3ff);
    const rem = abs & 0x1fff;
    return sign | (rem > 0x1000 || (rem === 0x1000 && q & 1) ? q + 1 : q);
  }
  // subnormal half: value in units of 2^-24 is m · 2^(e - 126)
  const shift = 126 - (abs >>> 23);
  if (shift > 24) return sign;
  const m = (abs & 0x7fffff) | 0x800000;
  const q = m >>> shift;
  const rem = m & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return sign | (rem > half || (rem === half && q & 1) ? q + 1 : q);
}

const one = new Float32Array(1);
const oneBits = new Uint32Array(one.buffer);

/** One number → f16 bits (rounded to f32 first, then to f16 with round to nearest even). */
export function numberToF16(x: number): number {
  one[0] = x;
  return f32BitsToF16(oneBits[0]);
}

/** f32 → f16 bits, round to nearest even; NaN stays NaN (quiet), overflow becomes ±Inf. */
export function f32ToF16(src: Float32Array, dst?: Uint16Array): Uint16Array {
  const out = output('f32ToF16', src.length, dst, (n) => new Uint16Array(n));
  const bits = u32View(src);
  for (let i = 0; i < src.length; i++) out[i] = f32BitsToF16(bits[i]);
  return out;
}
