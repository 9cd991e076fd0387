import { checkDistinct, checkInt, checkTensor } from '../check.js';
import type { Recorder } from '../recorder.js';
import type { GpuTensor } from '../tensor.js';
import { grid } from './common.js';

export interface SiluMulArgs {
  /** [T, I]. */
  out: GpuTensor;
  /** gate rows (gate_proj output); row t at gateOffset + t · gateStride. */
  gate: GpuTensor;
  /** up rows (up_proj output); may be the same tensor as gate (a fused gate_up projection). */
  up: GpuTensor;
  T: number;
  I: number;
  gateStride?: number;
  gateOffset?: number;
  upStride?: number;
  upOffset?: number;
}

/** out = silu(gate) · up (Qwen3 MLP activation). */
export function siluMul(rec: Recorder, a: SiluMulArgs): void {
  const { T, I } = a;
  checkInt('siluMul', 'T', T);
  checkInt('siluMul', 'I', I);
  const gs = a.gateStride ?? I;
  const go = a.gateOffset ?? 0;
  const us = a.upStride ?? I;
  const uo = a.upOffset ?? 0;
  checkInt('siluMul', 'gateStride', gs, I);
  checkInt('siluMul', 'upStride', us, I);
  checkInt('siluMul', 'gateOffset', go, 0);
  checkInt('siluMul', 'upOffset', uo, 0);
  checkTensor('siluMul', 'gate', a.gate, go + (T - 1) * gs + I, `gate [T=${T}, I=${I}]`);
  checkTensor('siluMul', 'up', a.up, uo + (T - 1) * us + I, `up [T=${T}, I=${I}]`);
  checkTensor('siluMul', 'out', a.out, T * I, `out [T=${T}, I=${I}]`);
  checkDistinct('siluMul', ['out', a.out], ['gate', a.gate]);
  checkDistinct('siluMul', ['out', a.out], ['up', a.up]);
  const p = rec.ctx.pipeline({ file: 'silu_mul.wgsl', constants: { WG: 256 }, bindings: ['read', 'rw', 'read'] });
  rec.dispatch(p, [a.gate, a.out, a.up], 'uuuuuu', [T, I, gs, go, us, uo], [Math.ceil(I / 256), T]);
}

export interface AddArgs {
  /** Updated in place: a += b (the residual stream). */
  a: GpuTensor;
  b: GpuTensor;
  n: number;
}

/** a += b over n elements (residual add). */
export function add(rec: Recorder, args: AddArgs): void {
  checkInt('add', 'n', args.n);
  checkTensor('add', 'a', args.a, args.n, `n=${args.n}`);
  checkTensor('add', 'b', args.b, args.n, `n=${args.n}`);
  checkDistinct('add', ['a', args.a], ['b', args.b]);
  const p = rec.ctx.pipeline({ file: 'add.wgsl', constants: { WG: 256 }, bindings: ['read', 'rw'] });
  rec.dispatch(p, [args.b, args.a], 'u', [args.n], grid(rec.ctx, Math.ceil(args.n / 256)));
}
