import { checkDistinct, checkInt, checkTensor } from '../check.js';
import type { GpuContext, KernelVariant } from '../context.js';
import { GpuShapeError } from '../errors.js';
import type { Recorder } from '../recorder.js';
import type { GpuTensor } from '../tensor.js';
import { weightVariant, type GpuWeight } from '../weights.js';
import { attentionPartialsSize } from './attention.js';
import { grid, reduceInclude } from './common.js';
import { matmul } from './matmul.js';
import type { RopeTable } from './rope.js';

const WG = 64; // attention_decode.wgsl: one (head, split) per workgroup, as attention_split.wgsl
const MAX_HEAD_DIM = 512; // attention_core.wgsl: DIMS_PER_LANE · WG

/** Whether the fused decode path (decodeAttention, attentionOutProj) takes this head size: a multiple of 8 up to 512. */
export function decodeAttentionFits(headDim: number): boolean {
  return Number.isInteger(headDim) && headDim > 0 && headDim % 8 === 0 && headDim <= MAX_HEAD_DIM;
}

export interface DecodeAttentionArgs {
  /** The new token's q, k and v side by side (a fused qkv projection's one row), heads at q/k/vOffset. */
  qkv: GpuTensor;
  /** [nHeads, maxSplits, headDim + 2]: each split's online-softmax partial (m, l, acc), for attentionOutProj. */
  partials: GpuTensor;
  /** [headDim] q_norm / k_norm weights; omit both for RoPE without the norms. */
  qNorm?: GpuTensor;
  kNorm?: GpuTensor;
  rope: RopeTable;
  /** [≥ S, nKvHeads, headDim]: rows 0 … S − 2 hold the past; row S − 1 receives the new token's k (after k_norm and RoPE) and v. */
  kCache: GpuTensor;
  vCache: GpuTensor;
  /** Keys, the new token's included: it sits at position S − 1. */
  S: number;
  nHeads: number;
  nKvHeads: number;
  headDim: number;
  /** Multiplies q·k (Qwen3: headDim^-0.5). */
  scale: number;
  eps: number;
  /** The keys are cut into max(1, min(maxSplits, ⌊S / minSplitLen⌋)) splits; maxSplits workgroups run per head whatever S is. */
  maxSplits: number;
  /** Default 256. */
  minSplitLen?: number;
  /** Defaults: q, k, v side by side as a fused qkv projection writes them. */
  qOffset?: number;
  kOffset?: number;
  vOffset?: number;
}

/**
 * Decode attention of one new token (T = 1) in one dispatch: q_norm/k_norm, RoPE, the KV-cache write
 * of the new row and split-K attention (flash-decoding's first pass), one workgroup per (head,
 * split). Same results as ropeQk, then attention with `split`, up to f32 rounding (the new key is
 * folded into the softmax after the cached ones); attentionOutProj combines the partials. Only
 * S changes from one step to the next.
 */
export function decodeAttention(rec: Recorder, a: DecodeAttentionArgs): void {
  const { S, nHeads, nKvHeads, headDim, maxSplits } = a;
  const minLen = a.minSplitLen ?? 256;
  for (const [k, v] of Object.entries({ S, nHeads, nKvHeads, headDim, maxSplits, minSplitLen: minLen })) checkInt('decodeAttention', k, v);
  if (!decodeAttentionFits(headDim)) throw new GpuShapeError(`decodeAttention: headDim ${headDim} is not a multiple of 8 up to ${MAX_HEAD_DIM}; use ropeQk and attention`);
  if (nHeads % nKvHeads !== 0) {
    throw new GpuShapeError(`decodeAttention: nHeads=${nHeads} is not a multiple of nKvHeads=${nKvHeads}; check num_key_value_heads`);
  }
  if (headDim !== a.rope.headDim) throw new GpuShapeError(`decodeAttention: headDim ${headDim} does not match the RoPE table's (${a.rope.headDim})`);
  if (S > a.rope.positions) throw new GpuShapeError(`decodeAttention: position ${S - 1} exceeds the RoPE table (${a.rope.positions}); build it for the full context`);
  if ((a.qNorm === undefined) !== (a.kNorm === undefined)) throw new GpuShapeError('decodeAttention: pass both qNorm and kNorm (Qwen3) or neither');
  const qd = nHeads * headDim;
  const kd = nKvHeads * headDim;
  const qOffset = a.qOffset ?? 0;
  const kOffset = a.kOffset ?? qd;
  const vOffset = a.vOffset ?? qd + kd;
  checkTensor('decodeAttention', 'qkv', a.qkv, Math.max(qOffset + qd, kOffset + kd, vOffset + kd), `qkv [q ${qOffset}, k ${kOffset}, v ${vOffset}]`);
  checkTensor('decodeAttention', 'partials', a.partials, attentionPartialsSize(1, nHeads, headDim, maxSplits), `partials of ${maxSplits} splits`);
  checkTensor('decodeAttention', 'kCache', a.kCache, S * kd, `k cache [S=${S}, nKvHeads=${nKvHeads}, headDim=${headDim}]`);
  checkTensor('decodeAttention', 'vCache', a.vCache, S * kd, `v cache [S=${S}, nKvHeads=${nKvHeads}, headDim=${headDim}]`);
  if (a.qNorm !== undefined && a.kNorm !== undefined) {
    checkTensor('decodeAttention', 'qNorm', a.qNorm, headDim, `q_norm [${headDim}]`);
    checkTensor('decodeAttention', 'kNorm', a.kNorm, headDim, `k_norm [${headDim}]`);
  }
  checkDistinct('decodeAttention', ['kCache', a.kCache], ['vCache', a.vCache]);
  const p = rec.ctx.pipeline({
    file: 'attention_decode.wgsl',
    includes: { REDUCE: reduceInclude(rec.ctx, WG) },
    constants: { WG },
    bindings: ['read', 'rw', 'rw', 'rw', 'read', 'read', 'read'],
  });
  // without norms the norm bindings are never read; the rope table stands in for them
  const qn = a.qNorm ?? a.rope.tensor;
  const kn = a.kNorm ?? a.rope.tensor;
  rec.dispatch(
    p,
    [a.qkv, a.partials, a.kCache, a.vCache, qn, kn, a.rope.tensor],
    'uuuuffuuuuuu',
    [S, nHeads, nKvHeads, headDim, a.scale, a.eps, minLen, maxSplits, qOffset, kOffset, vOffset, a.qNorm === undefined ? 0 : 1],
    [nHeads, maxSplits],
  );
}

/** The choices of gemv_attn_out.wgsl (as GemvConfig's for gemv.wgsl). */
export interface AttnOutConfig {
  /** Invocations per workgroup (WG). */
  wg: number;
  /** Invocations per output row (LANES): a power of two dividing wg. */
  lanes: number;
  /** Units of weights in flight per lane and step (1 to 4). */
  unroll: number;
  /** Groups of 8 columns per unit: 2 reads 16 weights per w16dot. */
  wide: 1 | 2;
  /** q8_0 with wide = 2: one 16-byte load per unit (weight_q8_0_x16.wgsl). */
  x16: boolean;
  /** Reductions through subgroups (false: workgroup memory only). */
  subgroups: boolean;
}

/** Workgroup memory gemv_attn_out.wgsl takes: the attention output (a weight row's padded columns), m and l of every partial, 1 / l per head, the reduction's WG floats. */
export function attnOutStorage(w: GpuWeight, nHeads: number, maxSplits: number, wg: number): number {
  return 4 * (8 * w.k8s + 2 * nHeads * maxSplits + nHeads + wg);
}

/**
 * The config attentionOutProj uses: as many rows per workgroup as the device allows (1024 invocations,
 * 32 lanes a row: 32 rows), since every workgroup combines all the partials again (nHeads · maxSplits ·
 * (headDim + 2) floats, 133-532 KB at Qwen3's shapes) and fewer workgroups read them fewer times;
 * two units in flight. The fastest fused variant on lavapipe; bench/gpu/micro/fuse.ts times the others.
 */
export function defaultAttnOutConfig(ctx: GpuContext): AttnOutConfig {
  const sg = ctx.features.subgroups ? ctx.features.subgroupMaxSize : 0;
  const wg = Math.min(1024, ctx.device.limits.maxComputeInvocationsPerWorkgroup);
  return { wg, lanes: Math.max(32, sg), unroll: 2, wide: 1, x16: false, subgroups: true };
}

/** The kernel variant of `cfg` (GpuShapeError where it does not fit the weight or the device). */
export function attnOutVariant(ctx: GpuContext, w: GpuWeight, nHeads: number, headDim: number, maxSplits: number, cfg: AttnOutConfig): KernelVariant {
  const pow2 = (n: number): boolean => Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
  if (!pow2(cfg.wg) || !pow2(cfg.lanes) || cfg.lanes > cfg.wg || cfg.wg > ctx.device.limits.maxComputeInvocationsPerWorkgroup) {
    throw new GpuShapeError(`attentionOutProj: lanes ${cfg.lanes} and wg ${cfg.wg} must be powers of two with lanes ≤ wg ≤ the device's invocation limit`);
  }
  if (!Number.isInteger(cfg.unroll) || cfg.unroll < 1 || cfg.unroll > 4) throw new GpuShapeError(`attentionOutProj: unroll must be 1 to 4, got ${cfg.unroll}`);
  if (cfg.wide === 2 && w.k8s % 2 !== 0) throw new GpuShapeError(`attentionOutProj: wide = 2 needs an even number of 8-column groups; ${w.label} has ${w.k8s}`);
  if (cfg.x16 && (w.dtype !== 'q8_0' || cfg.wide !== 2)) throw new GpuShapeError(`attentionOutProj: x16 loads are for q8_0 weights with wide = 2 (${w.label} is ${w.dtype})`);
  const need = attnOutStorage(w, nHeads, maxSplits, cfg.wg);
  if (need > ctx.maxWorkgroupStorageBytes) {
    throw new GpuShapeError(`attentionOutProj: combining ${nHeads} heads × ${maxSplits} splits needs ${need} bytes of workgroup memory; the device has ${ctx.maxWorkgroupStorageBytes}`);
  }
  const wv = weightVariant(w.dtype);
  return {
    file: 'gemv_attn_out.wgsl',
    includes: { WEIGHT: cfg.x16 ? 'weight_q8_0_x16.wgsl' : wv.include, REDUCE: cfg.subgroups ? reduceInclude(ctx, cfg.lanes) : 'reduce_shared.wgsl' },
    constants: { WG: cfg.wg, LANES: cfg.lanes, UNROLL: cfg.unroll, WIDE: cfg.wide, XS: 2 * w.k8s, WS: nHeads * maxSplits, NH: nHeads },
    bindings: ['read', 'rw', 'read', wv.scales ? 'read' : undefined],
  };
}

export interface AttentionOutProjArgs {
  /** [rows of w]: the residual stream with `accumulate`. */
  out: GpuTensor;
  /** decodeAttention's partials [nHeads, maxSplits, headDim + 2]. */
  partials: GpuTensor;
  /** o_proj: [hidden, nHeads · headDim]. */
  w: GpuWeight;
  nHeads: number;
  headDim: number;
  maxSplits: number;
  /** out += o_proj(attention) (the residual add fused in). */
  accumulate?: boolean;
  /** [nHeads · headDim]: the combined attention output, written only on the two-dispatch path. */
  attn: GpuTensor;
}

/**
 * out (+)= o_proj(combine(partials)) for decode: the split-K combine fused into the o_proj GEMV, one
 * dispatch per weight chunk, each workgroup combining every head's partials in workgroup memory
 * first. Where that memory is too small for nHeads · headDim floats (attnOutStorage), or with
 * cfg 'unfused', two dispatches: attention_combine.wgsl into `attn`, then matmul. Its params do not
 * depend on the position, so a decode step can replay it.
 */
export function attentionOutProj(rec: Recorder, a: AttentionOutProjArgs, cfg?: AttnOutConfig | 'unfused'): void {
  const { nHeads, headDim, maxSplits, w } = a;
  for (const [k, v] of Object.entries({ nHeads, headDim, maxSplits })) checkInt('attentionOutProj', k, v);
  if (!decodeAttentionFits(headDim)) throw new GpuShapeError(`attentionOutProj: headDim ${headDim} is not a multiple of 8 up to ${MAX_HEAD_DIM}`);
  const cols = nHeads * headDim;
  if (w.cols !== cols) throw new GpuShapeError(`attentionOutProj: ${w.label} has ${w.cols} columns, the attention output ${nHeads} × ${headDim} = ${cols}`);
  checkTensor('attentionOutProj', 'partials', a.partials, attentionPartialsSize(1, nHeads, headDim, maxSplits), `partials of ${maxSplits} splits`);
  checkTensor('attentionOutProj', 'out', a.out, w.rows, `out [${w.rows}] of ${w.label}`);
  checkTensor('attentionOutProj', 'attn', a.attn, cols, `attention output [${nHeads}, ${headDim}]`);
  checkDistinct('attentionOutProj', ['out', a.out], ['partials', a.partials]);
  const ctx = rec.ctx;
  const c = cfg ?? defaultAttnOutConfig(ctx);
  if (c === 'unfused' || attnOutStorage(w, nHeads, maxSplits, c.wg) > ctx.maxWorkgroupStorageBytes) {
    const p = ctx.pipeline({ file: 'attention_combine.wgsl', constants: { WG }, bindings: ['read', 'rw'] });
    rec.dispatch(p, [a.partials, a.attn], 'uuu', [nHeads, headDim, maxSplits], [nHeads, 1]);
    matmul(rec, { out: a.out, x: a.attn, w, T: 1, accumulate: a.accumulate === true });
    return;
  }
  const p = ctx.pipeline(attnOutVariant(ctx, w, nHeads, headDim, maxSplits, c));
  const acc = a.accumulate === true ? 1 : 0;
  for (const ch of w.chunks) {
    rec.dispatch(p, [a.partials, a.out, ch.w, ch.d], 'uuuuuuuu', [ch.rows, cols, w.k8s, ch.row0, acc, nHeads, headDim, maxSplits], grid(ctx, Math.ceil(ch.rows / (c.wg / c.lanes))));
  }
}
