import { checkInt, checkTensor } from '../check.js';
import { GpuShapeError } from '../errors.js';
import type { Recorder } from '../recorder.js';
import type { GpuTensor } from '../tensor.js';
import { reduceInclude } from './common.js';

export interface ArgmaxArgs {
  /** u32; out[outOffset + r] receives row r's argmax. */
  out: GpuTensor;
  /** f32 logits, rows of n from xOffset. */
  x: GpuTensor;
  rows: number;
  n: number;
  xOffset?: number;
  outOffset?: number;
}

/** Greedy decoding: the index of each row's largest logit (lowest index on ties, as torch.argmax). */
export function argmax(rec: Recorder, a: ArgmaxArgs): void {
  checkInt('argmax', 'rows', a.rows);
  checkInt('argmax', 'n', a.n);
  const xo = a.xOffset ?? 0;
  const oo = a.outOffset ?? 0;
  checkTensor('argmax', 'x', a.x, xo + a.rows * a.n, `logits [rows=${a.rows}, n=${a.n}] from ${xo}`);
  checkTensor('argmax', 'out', a.out, oo + a.rows, `ids [${a.rows}] from ${oo}`, 'u32');
  const p = rec.ctx.pipeline({ file: 'argmax.wgsl', constants: { WG: 256 }, bindings: ['read', 'rw'] });
  rec.dispatch(p, [a.x, a.out], 'uuuu', [a.rows, a.n, xo, oo], [a.rows]);
}

export interface SampleArgs {
  /** u32; out[outOffset] receives the token id. */
  out: GpuTensor;
  /** f32 logits: one row of n from xOffset. */
  x: GpuTensor;
  n: number;
  xOffset?: number;
  outOffset?: number;
  /** 0: greedy after penalties (what the Sampler does when doSample is false or temperature is 0). */
  temperature: number;
  /** 0: off. */
  topK?: number;
  /** (0, 1]; 1: off. */
  topP?: number;
  /** [0, 1]; 0: off. */
  minP?: number;
  /** Repetition / presence / frequency penalties over `counts` (u32 [n]: occurrences of each token in the penalty window). */
  penalties?: { counts: GpuTensor; repetition?: number; presence?: number; frequency?: number };
  /** A uniform random number in [0, 1), drawn by the caller. */
  u: number;
}

/**
 * Chooses one token on the GPU as @qo/generate's Sampler does (penalties, greedy or temperature,
 * top-k, top-p, min-p, inverse-CDF draw with the uniform `u`); see kernels/sample.wgsl.
 */
export function sample(rec: Recorder, a: SampleArgs): void {
  checkInt('sample', 'n', a.n);
  const xo = a.xOffset ?? 0;
  const oo = a.outOffset ?? 0;
  const topK = a.topK ?? 0;
  const topP = a.topP ?? 1;
  const minP = a.minP ?? 0;
  checkInt('sample', 'topK', topK, 0);
  if (!(a.temperature >= 0) || !Number.isFinite(a.temperature)) {
    throw new GpuShapeError(`sample: temperature must be a number >= 0 (0: greedy), got ${a.temperature}`);
  }
  if (!(topP > 0 && topP <= 1)) throw new GpuShapeError(`sample: topP must be in (0, 1], got ${topP}`);
  if (!(minP >= 0 && minP <= 1)) throw new GpuShapeError(`sample: minP must be in [0, 1], got ${minP}`);
  if (!(a.u >= 0 && a.u < 1)) throw new GpuShapeError(`sample: u must be a uniform number in [0, 1), got ${a.u}`);
  checkTensor('sample', 'x', a.x, xo + a.n, `logits [n=${a.n}] from ${xo}`);
  checkTensor('sample', 'out', a.out, oo + 1, `ids from ${oo}`, 'u32');
  const pen = a.penalties;
  if (pen !== undefined) checkTensor('sample', 'penalties.counts', pen.counts, a.n, `counts [n=${a.n}]`, 'u32');
  const ctx = rec.ctx;
  const lim = ctx.device.limits;
  const wg = 2 ** Math.floor(Math.log2(Math.min(1024, lim.maxComputeInvocationsPerWorkgroup, lim.maxComputeWorkgroupSizeX)));
  const p = ctx.pipeline({ file: 'sample.wgsl', includes: { REDUCE: reduceInclude(ctx, wg) }, constants: { WG: wg }, bindings: ['read', 'rw', 'read'] });
  rec.dispatch(
    p,
    // without penalties the counts binding is never read; the logits stand in for it
    [a.x, a.out, pen?.counts ?? a.x],
    'uuuufffffffu',
    [a.n, xo, oo, topK, topP, minP, a.temperature, a.u, pen?.repetition ?? 1, pen?.presence ?? 0, pen?.frequency ?? 0, pen === undefined ? 0 : 1],
    [1],
  );
}
