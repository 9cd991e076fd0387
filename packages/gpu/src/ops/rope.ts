import { checkInt, checkTensor } from '../check.js';
import type { GpuContext } from '../context.js';
import { GpuShapeError } from '../errors.js';
import type { Recorder } from '../recorder.js';
import type { GpuTensor } from '../tensor.js';
import { reduceInclude } from './common.js';

/** cos/sin of every (position, frequency), scaled by attention_scaling: [positions, headDim / 2] of (cos, sin). */
export interface RopeTable {
  readonly tensor: GpuTensor;
  readonly positions: number;
  readonly headDim: number;
}

/**
 * Builds the RoPE table from `ropeInit`'s inv_freq and attention scaling (default or YaRN) exactly
 * as @qo/tensor's rope computes them: angle = f32(inv_freq[i] · pos), c = f32(f32(cos angle) · scaling).
 * Positions 0 .. positions − 1 (the KV cache length).
 */
export async function ropeTable(ctx: GpuContext, invFreq: Float32Array, attentionScaling: number, positions: number): Promise<RopeTable> {
  checkInt('ropeTable', 'positions', positions);
  const half = invFreq.length;
  checkInt('ropeTable', 'invFreq.length', half);
  const f = Math.fround;
  const scale = f(attentionScaling);
  const data = new Float32Array(positions * half * 2);
  for (let pos = 0; pos < positions; pos++) {
    for (let i = 0; i < half; i++) {
      const angle = f(invFreq[i] * f(pos));
      data[(pos * half + i) * 2] = f(f(Math.cos(angle)) * scale);
      data[(pos * half + i) * 2 + 1] = f(f(Math.sin(angle)) * scale);
    }
  }
  const tensor = await ctx.upload(data, [positions, half, 2], 'rope table');
  return { tensor, positions, headDim: half * 2 };
}

export interface RopeQkArgs {
  /** Activations holding q, k and v of each token: row t at t · qkvStride, heads at q/k/vOffset. */
  qkv: GpuTensor;
  /** [T, nHeads, headDim]: q after q_norm and RoPE. */
  qOut: GpuTensor;
  /** [headDim] q_norm / k_norm weights; omit both for RoPE without the norms. */
  qNorm?: GpuTensor;
  kNorm?: GpuTensor;
  rope: RopeTable;
  /** [maxSeq, nKvHeads, headDim]: row pos0 + t receives token t's k (after k_norm and RoPE) and v. */
  kCache: GpuTensor;
  vCache: GpuTensor;
  T: number;
  nHeads: number;
  nKvHeads: number;
  headDim: number;
  /** Position of token 0 (tokens already in the cache). */
  pos0: number;
  eps: number;
  /** Default (nHeads + 2 · nKvHeads) · headDim: q, k, v side by side as a fused qkv projection writes them. */
  qkvStride?: number;
  qOffset?: number;
  kOffset?: number;
  vOffset?: number;
}

/** q_norm/k_norm, RoPE and the KV-cache write of T tokens in one dispatch (one workgroup per head and token). */
export function ropeQk(rec: Recorder, a: RopeQkArgs): void {
  const { T, nHeads, nKvHeads, headDim, pos0 } = a;
  for (const [k, v] of Object.entries({ T, nHeads, nKvHeads, headDim })) checkInt('ropeQk', k, v);
  checkInt('ropeQk', 'pos0', pos0, 0);
  if (headDim % 2 !== 0 || headDim !== a.rope.headDim) {
    throw new GpuShapeError(`ropeQk: headDim ${headDim} must be even and match the RoPE table's (${a.rope.headDim})`);
  }
  if (pos0 + T > a.rope.positions) {
    throw new GpuShapeError(`ropeQk: positions up to ${pos0 + T - 1} exceed the RoPE table (${a.rope.positions}); build it for the full context`);
  }
  if ((a.qNorm === undefined) !== (a.kNorm === undefined)) {
    throw new GpuShapeError('ropeQk: pass both qNorm and kNorm (Qwen3) or neither');
  }
  const qd = nHeads * headDim;
  const kd = nKvHeads * headDim;
  const qOffset = a.qOffset ?? 0;
  const kOffset = a.kOffset ?? qd;
  const vOffset = a.vOffset ?? qd + kd;
  const stride = a.qkvStride ?? qd + 2 * kd;
  const rowEnd = Math.max(qOffset + qd, kOffset + kd, vOffset + kd);
  if (rowEnd > stride) throw new GpuShapeError(`ropeQk: q/k/v offsets reach column ${rowEnd}, past qkvStride ${stride}`);
  checkTensor('ropeQk', 'qkv', a.qkv, (T - 1) * stride + rowEnd, `qkv [T=${T}, stride ${stride}]`);
  checkTensor('ropeQk', 'qOut', a.qOut, T * qd, `q [T=${T}, nHeads=${nHeads}, headDim=${headDim}]`);
  const cacheNeed = (pos0 + T) * kd;
  checkTensor('ropeQk', 'kCache', a.kCache, cacheNeed, `k cache [${pos0 + T}, ${nKvHeads}, ${headDim}]`);
  checkTensor('ropeQk', 'vCache', a.vCache, cacheNeed, `v cache [${pos0 + T}, ${nKvHeads}, ${headDim}]`);
  const norms = a.qNorm !== undefined && a.kNorm !== undefined;
  if (norms) {
    checkTensor('ropeQk', 'qNorm', a.qNorm as GpuTensor, headDim, `q_norm [${headDim}]`);
    checkTensor('ropeQk', 'kNorm', a.kNorm as GpuTensor, headDim, `k_norm [${headDim}]`);
  }
  const wg = 64;
  const p = rec.ctx.pipeline({
    file: 'rope_qk.wgsl',
    includes: { REDUCE: reduceInclude(rec.ctx, wg) },
    constants: { WG: wg },
    bindings: ['read', 'rw', 'read', 'read', 'read', 'rw', 'rw'],
  });
  // without norms the norm bindings are never read; the rope table stands in for them
  const qn = a.qNorm ?? a.rope.tensor;
  const kn = a.kNorm ?? a.rope.tensor;
  rec.dispatch(
    p,
    [a.qkv, a.qOut, qn, kn, a.rope.tensor, a.kCache, a.vCache],
    'uuuuufuuuuu',
    [T, nHeads, nKvHeads, headDim, pos0, a.eps, stride, qOffset, kOffset, vOffset, norms ? 1 : 0],
    [nHeads + 2 * nKvHeads, T],
  );
}
