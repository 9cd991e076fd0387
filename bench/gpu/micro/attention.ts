import type { GpuContext } from '@qo/gpu';

/** Micro-benchmark suite 'attention' (bench/gpu/micro/index.ts). */
export default async function attention(_ctx: GpuContext, log: (line: string) => void): Promise<void> {
  log('attention: no benchmark yet');
}
