import { checkDistinct, checkInt, checkTensor } from '../check.js';
import type { Recorder } from '../recorder.js';
import type { GpuTensor } from '../tensor.js';
import { grid, reduceInclude } from './common.js';

export interface RmsnormArgs {
  /** [rows, dim]; must not be x. */
  out: GpuTensor;
  x: GpuTensor;
  /** [dim] f32 (Qwen3RMSNorm.weight). */
  weight: GpuTensor;
  rows: number;
  dim: number;
  eps: number;
}

function wgFor(dim: number): number {
  return dim > 256 ? 256 : 64;
}

function check(op: string, a: RmsnormArgs): void {
  checkInt(op, 'rows', a.rows);
  checkInt(op, 'dim', a.dim);
  checkTensor(op, 'x', a.x, a.rows * a.dim, `x [rows=${a.rows}, dim=${a.dim}]`);
  checkTensor(op, 'out', a.out, a.rows * a.dim, `out [rows=${a.rows}, dim=${a.dim}]`);
  checkTensor(op, 'weight', a.weight, a.dim, `weight [dim=${a.dim}]`);
  checkDistinct(op, ['out', a.out], ['x', a.x]);
}

/** Qwen3RMSNorm over each row (also per head: rows = T · heads, dim = headDim). One workgroup per row. */
export function rmsnorm(rec: Recorder, a: RmsnormArgs): void {
  check('rmsnorm', a);
  const wg = wgFor(a.dim);
  const p = rec.ctx.pipeline({
    file: 'rmsnorm.wgsl',
    includes: { REDUCE: reduceInclude(rec.ctx, wg) },
    constants: { WG: wg },
    bindings: ['read', 'rw', 'read'],
  });
  rec.dispatch(p, [a.x, a.out, a.weight], 'uuf', [a.rows, a.dim, a.eps], grid(rec.ctx, a.rows));
}

export interface AddRmsnormArgs extends RmsnormArgs {
  /** [rows, dim] residual stream, updated in place: residual += x. */
  residual: GpuTensor;
}

/** residual += x, then out = rmsnorm(residual): the residual add and the next layer's norm in one dispatch. */
export function addRmsnorm(rec: Recorder, a: AddRmsnormArgs): void {
  check('addRmsnorm', a);
  checkTensor('addRmsnorm', 'residual', a.residual, a.rows * a.dim, `residual [rows=${a.rows}, dim=${a.dim}]`);
  checkDistinct('addRmsnorm', ['residual', a.residual], ['x', a.x]);
  checkDistinct('addRmsnorm', ['residual', a.residual], ['out', a.out]);
  const wg = wgFor(a.dim);
  const p = rec.ctx.pipeline({
    file: 'add_rmsnorm.wgsl',
    includes: { REDUCE: reduceInclude(rec.ctx, wg) },
    constants: { WG: wg },
    bindings: ['read', 'rw', 'read', 'rw'],
  });
  rec.dispatch(p, [a.x, a.out, a.weight, a.residual], 'uuf', [a.rows, a.dim, a.eps], grid(rec.ctx, a.rows));
}
