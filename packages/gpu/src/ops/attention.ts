import { checkDistinct, checkInt, checkTensor } from '../check.js';
import { GpuShapeError } from '../errors.js';
import type { Recorder } from '../recorder.js';
import type { GpuTensor } from '../tensor.js';
import { reduceInclude } from './common.js';

const WG = 64;
const MAX_HEAD_DIM = 512; // attention_core.wgsl: MAX_HEAD_DIM, DIMS_PER_LANE · WG
const TILED_STORAGE = 3 * 512 * 16 + 256 * 4; // attention_tiled.wgsl's workgroup memory, bytes
const PREFILL_MAX_HEAD_DIM = 128; // attention_prefill.wgsl: 4 vec4 columns for each of 8 invocations

/**
 * A tile of the register-tiled prefill kernel (attention_prefill.wgsl). A row is a (query, head)
 * pair of the heads sharing one KV head; `rows` rows share each staged K/V tile of `keys` keys;
 * each invocation scores `rowsPerInvocation` rows × keys / 8 keys and accumulates the output of
 * those rows over headDim / 32 vec4 columns. `kvTiles`: 1 stages V in K's memory after the scores,
 * 2 stages K and V at once. `prefetch`: the next tile's loads go to registers while the current
 * one is computed on (default false).
 */
export interface AttentionPrefillTile {
  rows: number;
  keys: number;
  rowsPerInvocation: number;
  kvTiles: 1 | 2;
  prefetch?: boolean;
}

/** Tiles tried in order when none is asked for: the first that fits the device's workgroup memory. */
export const ATTENTION_PREFILL_TILES: readonly AttentionPrefillTile[] = [
  { rows: 32, keys: 32, rowsPerInvocation: 2, kvTiles: 1, prefetch: true }, // the fastest at Qwen3 shapes on an H100 (bench/gpu/micro/attention.ts)
  { rows: 32, keys: 16, rowsPerInvocation: 2, kvTiles: 1 },
  { rows: 16, keys: 16, rowsPerInvocation: 2, kvTiles: 1 },
  { rows: 16, keys: 8, rowsPerInvocation: 2, kvTiles: 1 },
];

/** Bytes of workgroup memory attention_prefill.wgsl takes with `tile` at `headDim`. */
export function attentionPrefillStorage(tile: AttentionPrefillTile, headDim: number): number {
  const hp = Math.ceil(headDim / 4) + 1;
  return 16 * (tile.rows * hp + tile.keys * hp * tile.kvTiles + (tile.rows * tile.keys) / 4 + tile.rows * 2);
}

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
  /**
   * Prefill kernel (T > 1, no split, headDim a multiple of 4 up to 128): a tile of the register-tiled
   * kernel, or 'tiled16' for the older kernel of 16 queries of one head per workgroup. Default: the
   * first of ATTENTION_PREFILL_TILES that fits. For benchmarks and tests; a tile that does not fit the
   * device is an error.
   */
  prefill?: AttentionPrefillTile | 'tiled16';
}

/** Floats of the partials buffer of split-K attention. */
export function attentionPartialsSize(T: number, nHeads: number, headDim: number, maxSplits: number): number {
  return T * nHeads * maxSplits * (headDim + 2);
}

/**
 * Causal attention with grouped KV heads (HF eager semantics in f32). Prefill (T > 1, headDim a
 * multiple of 4 up to 128): register-tiled, one workgroup per block of (query, head) rows of the
 * heads sharing a KV head, which share key/value tiles (see AttentionPrefillTile).
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
  const prefill = a.split === undefined && T > 1 && headDim % 4 === 0 && headDim <= PREFILL_MAX_HEAD_DIM;
  if (a.prefill !== undefined && !prefill) {
    throw new GpuShapeError(
      `attention: prefill kernel asked for, but T=${T}, headDim=${headDim}${a.split ? ' with split' : ''} take another path; ` +
        `it needs T > 1, no split, headDim a multiple of 4 up to ${PREFILL_MAX_HEAD_DIM}`,
    );
  }
  if (prefill && a.prefill === 'tiled16') {
    if (ctx.maxWorkgroupStorageBytes < TILED_STORAGE) {
      throw new GpuShapeError(`attention: 'tiled16' needs ${TILED_STORAGE} bytes of workgroup memory, the device has ${ctx.maxWorkgroupStorageBytes}`);
    }
    const p = ctx.pipeline({ file: 'attention_tiled.wgsl', bindings: ['read', 'rw', 'read', 'read'] });
    rec.dispatch(p, [a.q, a.out, a.kCache, a.vCache], 'uuuuuf', head, [nHeads, Math.ceil(T / 16)]);
    return;
  }
  const asked = a.prefill === 'tiled16' ? undefined : a.prefill;
  const tile = prefill ? (asked ?? ATTENTION_PREFILL_TILES.find((t) => attentionPrefillStorage(t, headDim) <= ctx.maxWorkgroupStorageBytes)) : undefined;
  if (tile !== undefined) {
    checkPrefillTile(tile, headDim, ctx.maxWorkgroupStorageBytes, ctx.device.limits.maxComputeInvocationsPerWorkgroup);
    const constants = { HD4: headDim / 4, BQ: tile.rows, BK: tile.keys, RQ: tile.rowsPerInvocation, KV_TILES: tile.kvTiles, PREFETCH: tile.prefetch === true ? 1 : 0 };
    const p = ctx.pipeline({ file: 'attention_prefill.wgsl', constants, bindings: ['read', 'rw', 'read', 'read'] });
    rec.dispatch(p, [a.q, a.out, a.kCache, a.vCache], 'uuuuuf', head, [nKvHeads, Math.ceil((T * (nHeads / nKvHeads)) / tile.rows)]);
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

function checkPrefillTile(t: AttentionPrefillTile, headDim: number, storage: number, invocations: number): void {
  const bad = (why: string): never => {
    throw new GpuShapeError(`attention: prefill tile ${JSON.stringify(t)} ${why}; pick another tile (ATTENTION_PREFILL_TILES lists some)`);
  };
  if (![1, 2, 4].includes(t.rowsPerInvocation)) bad('has rowsPerInvocation other than 1, 2 or 4');
  if (!Number.isInteger(t.rows) || t.rows < 1 || t.rows % t.rowsPerInvocation !== 0) bad('has rows that are not a positive multiple of rowsPerInvocation');
  if (![8, 16, 24, 32, 40, 48, 56, 64].includes(t.keys)) bad('has keys that are not a multiple of 8 up to 64');
  if (t.kvTiles !== 1 && t.kvTiles !== 2) bad('has kvTiles other than 1 or 2');
  const need = attentionPrefillStorage(t, headDim);
  if (need > storage) bad(`needs ${need} bytes of workgroup memory at headDim=${headDim}, the device has ${storage}`);
  const n = (t.rows / t.rowsPerInvocation) * 8;
  if (n > invocations) bad(`needs ${n} invocations per workgroup, the device allows ${invocations}`);
}
