import { checkDistinct, checkInt, checkTensor } from '../check.js';
import { GpuShapeError } from '../errors.js';
import type { Recorder } from '../recorder.js';
import type { GpuTensor } from '../tensor.js';
import { reduceInclude } from './common.js';

const WG = 64;
const MAX_HEAD_DIM = 512; // attention_core.wgsl: MAX_HEAD_DIM, DIMS_PER_LANE · WG
const TILED_STORAGE = 3 * 512 * 16 + 256 * 4; // attention_tiled.wgsl's workgroup memory, bytes

export interface AttentionArgs {
  /** [T, nHeads, headDim]. */
  out: GpuTensor;
  /** [T, nHeads, headDim] (after q_norm and RoPE). */
  q: GpuTensor;
  /** [≥ S, nKvHeads, headDim]: rows 0 .. S − 1 hold the past and the T new tokens. */
  kCache: GpuTensor;
  vCache: GpuTensor;
  /** Queries: the last T of the S positions. */
  T: number;
  S: number;
  nHeads: number;
  nKvHeads: number;
  headDim: number;
  /** Multiplies q·k (Qwen3: headDim^-0.5). */
  scale: number;
  /**
   * Split-K (flash-decoding): the keys of each (query, head) are cut into up to `maxSplits` splits
   * of ≥ `minSplitLen` keys, processed by separate workgroups, then combined. `partials` holds
   * attentionPartialsSize(T, nHeads, headDim, maxSplits) floats. Worth it for T = 1 over long S.
   */
  split?: { partials: GpuTensor; maxSplits: number; minSplitLen?: number };
}

/** Floats of the partials buffer of split-K attention. */
export function attentionPartialsSize(T: number, nHeads: number, headDim: number, maxSplits: number): number {
  return T * nHeads * maxSplits * (headDim + 2);
}

/**
 * Causal attention with grouped KV heads (HF eager semantics in f32). Prefill (T > 1, headDim a
 * multiple of 4 up to 128): tiled, one workgroup per 16 queries of a head sharing key/value tiles.
 * Otherwise one workgroup per (head, query) with an online softmax over key tiles; with `split`,
 * flash-decoding in two dispatches.
 */
export function attention(rec: Recorder, a: AttentionArgs): void {
  const { T, S, nHeads, nKvHeads, headDim } = a;
  for (const [k, v] of Object.entries({ T, S, nHeads, nKvHeads, headDim })) checkInt('attention', k, v);
  if (T > S) throw new GpuShapeError(`attention: T=${T} queries but only S=${S} keys; S counts the past and the T new positions`);
  if (nHeads % nKvHeads !== 0) {
    throw new GpuShapeError(`attention: nHeads=${nHeads} is not a multiple of nKvHeads=${nKvHeads}; check num_key_value_heads`);
  }
  if (headDim > MAX_HEAD_DIM) throw new GpuShapeError(`attention: headDim ${headDim} is above the kernel's ${MAX_HEAD_DIM}`);
  const qd = nHeads * headDim;
  checkTensor('attention', 'q', a.q, T * qd, `q [T=${T}, nHeads=${nHeads}, headDim=${headDim}]`);
  checkTensor('attention', 'out', a.out, T * qd, `out [T=${T}, nHeads=${nHeads}, headDim=${headDim}]`);
  checkTensor('attention', 'kCache', a.kCache, S * nKvHeads * headDim, `k [S=${S}, nKvHeads=${nKvHeads}, headDim=${headDim}]`);
  checkTensor('attention', 'vCache', a.vCache, S * nKvHeads * headDim, `v [S=${S}, nKvHeads=${nKvHeads}, headDim=${headDim}]`);
  checkDistinct('attention', ['out', a.out], ['q', a.q]);
  const ctx = rec.ctx;
  const reduce = reduceInclude(ctx, WG);
  const KDOT = headDim % 8 === 0 ? 'kdot_vec4.wgsl' : 'kdot_scalar.wgsl';
  const head = [T, S, nHeads, nKvHeads, headDim, a.scale];
  if (a.split === undefined && T > 1 && headDim % 4 === 0 && headDim <= 128 && ctx.maxWorkgroupStorageBytes >= TILED_STORAGE) {
    const p = ctx.pipeline({ file: 'attention_tiled.wgsl', bindings: ['read', 'rw', 'read', 'read'] });
    rec.dispatch(p, [a.q, a.out, a.kCache, a.vCache], 'uuuuuf', head, [nHeads, Math.ceil(T / 16)]);
    return;
  }
  if (a.split === undefined) {
    const p = ctx.pipeline({ file: 'attention.wgsl', includes: { REDUCE: reduce, KDOT }, constants: { WG }, bindings: ['read', 'rw', 'read', 'read'] });
    rec.dispatch(p, [a.q, a.out, a.kCache, a.vCache], 'uuuuuf', head, [nHeads, T]);
    return;
  }
  const { partials, maxSplits } = a.split;
  const minLen = a.split.minSplitLen ?? 256;
  checkInt('attention', 'split.maxSplits', maxSplits);
  checkInt('attention', 'split.minSplitLen', minLen);
  checkTensor('attention', 'split.partials', partials, attentionPartialsSize(T, nHeads, headDim, maxSplits), `partials of ${maxSplits} splits`);
  const nSplits = Math.max(1, Math.min(maxSplits, Math.floor(S / minLen)));
  const splitLen = Math.ceil(S / nSplits);
  const p1 = ctx.pipeline({ file: 'attention_split.wgsl', includes: { REDUCE: reduce, KDOT }, constants: { WG }, bindings: ['read', 'rw', 'read', 'read'] });
  rec.dispatch(p1, [a.q, partials, a.kCache, a.vCache], 'uuuuufuu', [...head, splitLen, nSplits], [nHeads, T, nSplits]);
  const p2 = ctx.pipeline({ file: 'attention_combine.wgsl', constants: { WG }, bindings: ['read', 'rw'] });
  rec.dispatch(p2, [partials, a.out], 'uuu', [nHeads, headDim, nSplits], [nHeads, T]);
}
