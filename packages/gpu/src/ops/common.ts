import type { GpuContext } from '../context.js';

/** The REDUCE include for groups of `lanes` invocations: subgroups when the adapter has them and they fit. */
export function reduceInclude(ctx: GpuContext, lanes: number): string {
  const f = ctx.features;
  return f.subgroups && f.subgroupMaxSize > 0 && f.subgroupMaxSize <= lanes ? 'reduce_subgroup.wgsl' : 'reduce_shared.wgsl';
}

/** n workgroups laid out as [x, y] within the per-dimension limit (kernels use wid.x + wid.y · nwg.x). */
export function grid(ctx: GpuContext, n: number): [number, number] {
  const max = ctx.maxWorkgroupsPerDimension;
  if (n <= max) return [n, 1];
  const y = Math.ceil(n / max);
  return [Math.ceil(n / y), y];
}
