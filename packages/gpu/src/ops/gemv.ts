import type { GpuContext, KernelVariant } from '../context.js';
import { GpuShapeError } from '../errors.js';
import type { Recorder } from '../recorder.js';
import type { GpuTensor } from '../tensor.js';
import { weightVariant, type GpuWeight } from '../weights.js';
import { grid, reduceInclude } from './common.js';

/** The choices of kernels/gemv.wgsl a decode GEMV is compiled with (its `override` constants and includes). */
export interface GemvConfig {
  /** Invocations per workgroup (WG). */
  wg: number;
  /** Invocations per output row (LANES): a power of two dividing wg, ≥ the subgroup size to use subgroups. */
  lanes: number;
  /** Units of weights in flight per lane and step (UNROLL, 1 to 4). */
  unroll: number;
  /** Groups of 8 columns per unit (WIDE): 2 reads 16 weights per w16dot (k8s must be even). */
  wide: 1 | 2;
  /** q8_0 with wide = 2: bind the values as vec4<u32> (weight_q8_0_x16.wgsl, one 16-byte load per unit). */
  x16: boolean;
  /** Stage n(x) (SiLU·mul and the RMSNorm applied) in workgroup memory once per workgroup (XS). */
  stage: boolean;
  /** Reductions through subgroups (false: workgroup memory only). */
  subgroups: boolean;
}

/** The decode GEMV's inputs, as matmul resolved them. */
export interface GemvArgs {
  out: GpuTensor;
  x: GpuTensor;
  w: GpuWeight;
  xOffset: number;
  outOffset: number;
  accumulate: boolean;
  norm?: { weight: GpuTensor; eps: number };
  siluMulInput: boolean;
  /** The X8 include (how activations are read). */
  x8: string;
}

/** Workgroup memory a config needs: the staged activations (2 · k8s vec4s) and the reduction's WG floats. */
function stageBytes(w: GpuWeight, cfg: Pick<GemvConfig, 'wg' | 'stage'>): number {
  return (cfg.stage ? 32 * w.k8s : 16) + 4 * cfg.wg;
}

/**
 * The config `matmul` uses for T = 1 (change a default here): 256 invocations, one subgroup-sized group of
 * lanes per row (64 for rows of ≥ 4096 columns), two units of 8 in flight; the activations staged in
 * workgroup memory when a fused SiLU·mul or RMSNorm would otherwise be recomputed for every weight, and they fit.
 */
export function defaultGemvConfig(ctx: GpuContext, w: GpuWeight, fused: { norm: boolean; siluMul: boolean }): GemvConfig {
  const sg = ctx.features.subgroups ? ctx.features.subgroupMaxSize : 0;
  const cfg: GemvConfig = { wg: 256, lanes: Math.max(w.cols >= 4096 ? 64 : 32, sg), unroll: 2, wide: 1, x16: false, stage: false, subgroups: true };
  cfg.stage = (fused.norm || fused.siluMul) && stageBytes(w, { ...cfg, stage: true }) <= ctx.maxWorkgroupStorageBytes;
  return cfg;
}

/** The kernel variant of `cfg` for weight `w` (GpuShapeError where the config does not fit it or the device). */
export function gemvVariant(ctx: GpuContext, w: GpuWeight, x8: string, cfg: GemvConfig): KernelVariant {
  const pow2 = (n: number): boolean => Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
  if (!pow2(cfg.wg) || !pow2(cfg.lanes) || cfg.lanes > cfg.wg || cfg.wg > ctx.device.limits.maxComputeInvocationsPerWorkgroup) {
    throw new GpuShapeError(`gemv: lanes ${cfg.lanes} and wg ${cfg.wg} must be powers of two with lanes ≤ wg ≤ the device's invocation limit`);
  }
  if (!Number.isInteger(cfg.unroll) || cfg.unroll < 1 || cfg.unroll > 4) throw new GpuShapeError(`gemv: unroll must be 1 to 4, got ${cfg.unroll}`);
  if (cfg.wide === 2 && w.k8s % 2 !== 0) throw new GpuShapeError(`gemv: wide = 2 needs an even number of 8-column groups; ${w.label} has ${w.k8s}`);
  if (cfg.x16 && (w.dtype !== 'q8_0' || cfg.wide !== 2)) throw new GpuShapeError(`gemv: x16 loads are for q8_0 weights with wide = 2 (${w.label} is ${w.dtype})`);
  if (stageBytes(w, cfg) > ctx.maxWorkgroupStorageBytes) {
    throw new GpuShapeError(`gemv: staging ${w.cols} activations of ${w.label} needs ${stageBytes(w, cfg)} bytes of workgroup memory; the device has ${ctx.maxWorkgroupStorageBytes}`);
  }
  const wv = weightVariant(w.dtype);
  return {
    file: 'gemv.wgsl',
    includes: {
      WEIGHT: cfg.x16 ? 'weight_q8_0_x16.wgsl' : wv.include,
      REDUCE: cfg.subgroups ? reduceInclude(ctx, cfg.lanes) : 'reduce_shared.wgsl',
      X8: x8,
    },
    constants: { WG: cfg.wg, LANES: cfg.lanes, UNROLL: cfg.unroll, WIDE: cfg.wide, XS: cfg.stage ? 2 * w.k8s : 0 },
    bindings: ['read', 'rw', 'read', wv.scales ? 'read' : undefined, 'read'],
  };
}

/** Records the decode GEMV (one dispatch per weight chunk) with `cfg`, or the default config. */
export function gemv(rec: Recorder, a: GemvArgs, cfg?: GemvConfig): void {
  const ctx = rec.ctx;
  const c = cfg ?? defaultGemvConfig(ctx, a.w, { norm: a.norm !== undefined, siluMul: a.siluMulInput });
  const p = ctx.pipeline(gemvVariant(ctx, a.w, a.x8, c));
  // without a norm the norm binding is never read; x stands in for it
  const normW = a.norm?.weight ?? a.x;
  const acc = a.accumulate ? 1 : 0;
  for (const ch of a.w.chunks) {
    rec.dispatch(
      p,
      [a.x, a.out, ch.w, ch.d, normW],
      'uuuuuuuf',
      [ch.rows, a.w.cols, a.w.k8s, a.xOffset, a.outOffset + ch.row0, acc, a.norm === undefined ? 0 : 1, a.norm?.eps ?? 0],
      grid(ctx, Math.ceil(ch.rows / (c.wg / c.lanes))),
    );
  }
}
