import { checkInt, checkLength } from './check.js';
import { dot } from './dot.js';
import { ShapeError } from './errors.js';

/** Sizes of one causal attention call. */
export interface AttentionOptions {
  /** Number of queries: the last T of the S positions. */
  T: number;
  /** Number of keys/values (rows of the KV cache filled so far, including the T new ones). */
  S: number;
  nHeads: number;
  /** Divides nHeads (GQA; 1 for MQA). */
  nKvHeads: number;
  headDim: number;
  /** Multiplies q·k before the softmax (Qwen3: headDim^-0.5). */
  scale: number;
}

/**
 * Causal scaled dot-product attention with grouped KV heads (HF eager attention in f32).
 * q [T, nHeads, headDim]; k, v [S, nKvHeads, headDim]; out [T, nHeads, headDim].
 * Query t sits at position past + t (past = S − T) and sees keys 0 .. past + t; head h reads kv head
 * floor(h / (nHeads / nKvHeads)). scratch holds >= S floats (the probabilities of one row).
 */
export function attention(
  out: Float32Array,
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  o: AttentionOptions,
  scratch: Float32Array,
): void {
  checkAttention(out, q, k, v, o);
  checkLength('attention', 'scratch', scratch, o.S, '[S]', o.S);
  const { T, S, nHeads, nKvHeads, headDim, scale } = o;
  const group = nHeads / nKvHeads;
  const past = S - T;
  const kvStride = nKvHeads * headDim;
  for (let t = 0; t < T; t++) {
    const n = past + t + 1; // keys visible to this query
    for (let h = 0; h < nHeads; h++) {
      const qOff = (t * nHeads + h) * headDim;
      const kvOff = ((h / group) | 0) * headDim;
      let max = -Infinity;
      for (let s = 0; s < n; s++) {
        const score = dot(q, qOff, k, s * kvStride + kvOff, headDim) * scale;
        scratch[s] = score;
        if (score > max) max = score;
      }
      let sum = 0;
      for (let s = 0; s < n; s++) {
        const e = Math.exp(scratch[s] - max);
        scratch[s] = e;
        sum += e;
      }
      const inv = 1 / sum;
      for (let d = 0; d < headDim; d++) out[qOff + d] = 0;
      for (let s = 0; s < n; s++) {
        const p = scratch[s] * inv;
        const vOff = s * kvStride + kvOff;
        for (let d = 0; d < headDim; d++) out[qOff + d] += p * v[vOff + d];
      }
    }
  }
}

/** Throws unless the sizes are consistent and every buffer is large enough (shared by both backends). */
export function checkAttention(out: Float32Array, q: Float32Array, k: Float32Array, v: Float32Array, o: AttentionOptions): void {
  const { T, S, nHeads, nKvHeads, headDim } = o;
  checkInt('attention', 'T', T);
  checkInt('attention', 'S', S);
  checkInt('attention', 'nHeads', nHeads);
  checkInt('attention', 'nKvHeads', nKvHeads);
  checkInt('attention', 'headDim', headDim);
  if (T > S) throw new ShapeError(`attention: T=${T} queries but only S=${S} keys; S counts the past and the T new positions`);
  if (nHeads % nKvHeads !== 0) {
    throw new ShapeError(`attention: nHeads=${nHeads} is not a multiple of nKvHeads=${nKvHeads}; check num_key_value_heads`);
  }
  checkLength('attention', 'q', q, T * nHeads * headDim, '[T, nHeads, headDim]', T, nHeads, headDim);
  checkLength('attention', 'k', k, S * nKvHeads * headDim, '[S, nKvHeads, headDim]', S, nKvHeads, headDim);
  checkLength('attention', 'v', v, S * nKvHeads * headDim, '[S, nKvHeads, headDim]', S, nKvHeads, headDim);
  checkLength('attention', 'out', out, T * nHeads * headDim, '[T, nHeads, headDim]', T, nHeads, headDim);
}
