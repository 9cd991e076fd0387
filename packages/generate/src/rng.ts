import { InvalidOptionError } from './errors.js';

const MASK64 = (1n << 64n) - 1n;

/**
 * xoshiro128** 1.0 (Blackman & Vigna, https://prng.di.unimi.it/): 128 bits of state, 32-bit output,
 * only 32-bit integer arithmetic, so every JS engine produces the same stream.
 *
 * Seeding: a non-negative safe integer `seed` starts a SplitMix64 generator (state = seed); its first
 * two 64-bit outputs, each split low word first, become the state words s0, s1, s2, s3, as Vigna
 * recommends for seeding the xoshiro family. `uniform()` takes two outputs a, b and returns
 * ((a >>> 5) · 2^26 + (b >>> 6)) / 2^53, a double in [0, 1) with 53 random bits.
 */
export class Xoshiro128 {
  readonly seed: number;
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new InvalidOptionError('seed', `seed must be a non-negative safe integer, got ${String(seed)}.`);
    }
    this.seed = seed;
    let sm = BigInt(seed);
    const next = (): bigint => {
      sm = (sm + 0x9e3779b97f4a7c15n) & MASK64;
      let z = sm;
      z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
      z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
      return z ^ (z >> 31n);
    };
    const a = next();
    const b = next();
    this.#s0 = Number(a & 0xffffffffn) | 0;
    this.#s1 = Number(a >> 32n) | 0;
    this.#s2 = Number(b & 0xffffffffn) | 0;
    this.#s3 = Number(b >> 32n) | 0;
  }

  /** Next 32-bit output, as an unsigned integer. */
  nextUint32(): number {
    const s1 = this.#s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
    const t = s1 << 9;
    this.#s2 ^= this.#s0;
    this.#s3 ^= s1;
    this.#s1 ^= this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= t;
    this.#s3 = rotl(this.#s3, 11);
    return result >>> 0;
  }

  /** A double uniform in [0, 1) from two outputs (53 bits). */
  uniform(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** A fresh seed from the platform's cryptographic RNG (53 bits), for runs that did not ask for one. */
export function randomSeed(): number {
  const w = new Uint32Array(2);
  globalThis.crypto.getRandomValues(w);
  return (w[0] >>> 11) * 4294967296 + w[1];
}
