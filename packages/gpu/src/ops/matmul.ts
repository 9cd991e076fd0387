import { checkInt, checkDistinct, checkTensor } from '../check.js';
import type { Recorder } from '../recorder.js';
import type { GpuTensor } from '../tensor.js';
import { weightVariant, type GpuWeight } from '../weights.js';
import { grid, reduceInclude } from './common.js';

export interface MatmulArgs {
  /** [T, rows] (or rows written at `outOffset` with row stride `outStride`). */
  out: GpuTensor;
  /** [T, cols] activations (row t at xOffset + t · xStride). */
  x: GpuTensor;
  w: GpuWeight;
  T: number;
  /** Element index of activation row 0 (default 0): T = 1 with xOffset = (T' − 1) · cols reads only the last token. */
  xOffset?: number;
  /** Elements between activation rows (default cols). */
  xStride?: number;
  /** Element index of out[0, 0] (default 0), e.g. the k part of a fused qkv buffer. */
  outOffset?: number;
  /** Elements between output rows (default rows). */
  outStride?: number;
}

const GEMV_WG = 256;

/** x8_vec4.wgsl when every activation row starts on a vec4 and holds whole groups of 8, else the scalar x8.wgsl. */
function x8Include(cols: number, xOffset: number, xStride: number, T: number): string {
  return cols % 8 === 0 && xOffset % 4 === 0 && (T === 1 || xStride % 4 === 0) ? 'x8_vec4.wgsl' : 'x8.wgsl';
}

/**
 * out = x · wᵀ (nn.Linear without bias), f32 accumulation: a GEMV kernel for T = 1 (decode) and a
 * tiled kernel for T > 1 (prefill); one dispatch per weight chunk.
 */
export function matmul(rec: Recorder, a: MatmulArgs): void {
  const { out, x, w, T } = a;
  checkInt('matmul', 'T', T);
  const xOffset = a.xOffset ?? 0;
  const xStride = a.xStride ?? w.cols;
  const outOffset = a.outOffset ?? 0;
  const outStride = a.outStride ?? w.rows;
  checkInt('matmul', 'xOffset', xOffset, 0);
  checkInt('matmul', 'xStride', xStride, w.cols);
  checkInt('matmul', 'outOffset', outOffset, 0);
  checkInt('matmul', 'outStride', outStride, w.rows);
  checkTensor('matmul', 'x', x, xOffset + (T - 1) * xStride + w.cols, `x [T=${T}, cols=${w.cols}] of ${w.label}`);
  checkTensor('matmul', 'out', out, outOffset + (T - 1) * outStride + w.rows, `out [T=${T}, rows=${w.rows}] of ${w.label}`);
  checkDistinct('matmul', ['out', out], ['x', x]);
  const ctx = rec.ctx;
  const wv = weightVariant(w.dtype);
  const bindings = wv.scales ? (['read', 'rw', 'read', 'read'] as const) : (['read', 'rw', 'read'] as const);
  const X8 = x8Include(w.cols, xOffset, xStride, T);
  if (T === 1) {
    // one subgroup-sized group of lanes per row (at least 32); 64 for long rows
    const lanes = Math.max(w.cols >= 4096 ? 64 : 32, ctx.features.subgroups ? ctx.features.subgroupMaxSize : 0);
    const p = ctx.pipeline({
      file: 'gemv.wgsl',
      includes: { WEIGHT: wv.include, REDUCE: reduceInclude(ctx, lanes), X8 },
      constants: { WG: GEMV_WG, LANES: lanes },
      bindings,
    });
    for (const c of w.chunks) {
      const bufs = c.d === undefined ? [x, out, c.w] : [x, out, c.w, c.d];
      rec.dispatch(p, bufs, 'uuuuu', [c.rows, w.cols, w.k8s, xOffset, outOffset + c.row0], grid(ctx, Math.ceil(c.rows / (GEMV_WG / lanes))));
    }
    return;
  }
  const p = ctx.pipeline({ file: 'matmul.wgsl', includes: { WEIGHT: wv.include, X8 }, bindings });
  for (const c of w.chunks) {
    const bufs = c.d === undefined ? [x, out, c.w] : [x, out, c.w, c.d];
    rec.dispatch(p, bufs, 'uuuuuuuu', [T, c.rows, w.cols, w.k8s, xOffset, xStride, outStride, outOffset + c.row0], [
      Math.ceil(c.rows / 64),
      Math.ceil(T / 64),
    ]);
  }
}
