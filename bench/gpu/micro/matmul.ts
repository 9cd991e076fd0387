import type { GpuContext } from '@qo/gpu';

/** Micro-benchmark suite 'matmul' (bench/gpu/micro/index.ts). */
export default async function matmul(_ctx: GpuContext, log: (line: string) => void): Promise<void> {
  log('matmul: no benchmark yet');
}
