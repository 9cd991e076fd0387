import type { GpuContext } from '@qo/gpu';

/** Micro-benchmark suite 'moe' (bench/gpu/micro/index.ts). */
export default async function moe(_ctx: GpuContext, log: (line: string) => void): Promise<void> {
  log('moe: no benchmark yet');
}
