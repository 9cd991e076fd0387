// Kernel micro-benchmarks for the GPU machine: `node dist/main.mjs micro [NAME…]` runs each named
// suite (all by default) and prints one line per kernel variant and shape: time per op and the
// rate it reaches, after checking the variant's output against the shipped kernel's.
import type { GpuContext } from '@qo/gpu';
import attention from './attention.js';
import matmul from './matmul.js';
import decode from './decode.js';
import moe from './moe.js';
import fuse from './fuse.js';

export type MicroSuite = (ctx: GpuContext, log: (line: string) => void) => Promise<void>;

export const SUITES: Record<string, MicroSuite> = { attention, matmul, decode, moe, fuse };
