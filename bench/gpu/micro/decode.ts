import type { GpuContext } from '@qo/gpu';

/** Micro-benchmark suite 'decode' (bench/gpu/micro/index.ts). */
export default async function decode(_ctx: GpuContext, log: (line: string) => void): Promise<void> {
  log('decode: no benchmark yet');
}
