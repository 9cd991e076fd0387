// The CPU backends every backend-level test runs against, and an adapter that gives their ops the plain
// ops' signatures by staging arrays in backend memory (the wasm kernels only see their own memory).
import { afterAll, beforeAll } from 'vitest';
import { createCpuBackend, type AttentionOptions, type CpuBackend, type CpuBackendOptions, type Weight } from '../src/index.js';
import type { WasmBackend } from '../src/wasm/backend.js';

export const BACKENDS: [string, CpuBackendOptions][] = [
  ['js', { kind: 'js' }],
  ['wasm, 1 thread', { kind: 'wasm', threads: 1 }],
  ['wasm, 2 threads', { kind: 'wasm', threads: 2, minWorkPerThread: 0 }],
];

/** A backend made before the tests of a describe block and disposed after them. */
export function useBackend(opts: CpuBackendOptions): { get(): CpuBackend } {
  let b: CpuBackend | undefined;
  beforeAll(async () => {
    b = await createCpuBackend(opts);
  });
  afterAll(() => b?.dispose());
  return {
    get: () => {
      if (b === undefined) throw new Error('backend not created yet');
      return b;
    },
  };
}

type Arr = Float32Array | Uint16Array | Int8Array;

/** A copy of `a` (same length) in memory the backend's ops can use. */
export function stage<T extends Arr>(b: CpuBackend, a: T): T {
  if (b.kind === 'js') return a.slice() as T;
  const mem = (b as WasmBackend).memory;
  const out = (a instanceof Float32Array ? mem.f32(a.length) : a instanceof Uint16Array ? mem.u16(a.length) : mem.i8(a.length)) as T;
  out.set(a as never);
  return out;
}

export function stageWeight(b: CpuBackend, w: Weight): Weight {
  if (w.dtype === 'q8_0') return { ...w, qs: stage(b, w.qs), d: stage(b, w.d) };
  const data = (w as { data: Float32Array | Uint16Array }).data;
  return { ...w, data: stage(b, data) } as Weight;
}

/** The backend's ops with the plain ops' signatures: inputs staged, outputs copied back. */
export function opsOf(b: CpuBackend) {
  return {
    matmul(out: Float32Array, x: Float32Array, T: number, w: Weight): void {
      const o = stage(b, out);
      b.matmul(o, stage(b, x), T, stageWeight(b, w));
      out.set(o);
    },
    rmsnorm(out: Float32Array, x: Float32Array, weight: Float32Array, rows: number, dim: number, eps: number): void {
      const o = out === x ? stage(b, x) : stage(b, out);
      b.rmsnorm(o, out === x ? o : stage(b, x), stage(b, weight), rows, dim, eps);
      out.set(o);
    },
    attention(out: Float32Array, q: Float32Array, k: Float32Array, v: Float32Array, o: AttentionOptions, scratch: Float32Array): void {
      if (scratch.length < o.S) throw new RangeError(`attention: scratch [S] = [${o.S}] needs ${o.S} elements`); // the plain op's check
      const r = stage(b, out);
      b.attention(r, stage(b, q), stage(b, k), stage(b, v), o);
      out.set(r);
    },
    add(out: Float32Array, a: Float32Array, c: Float32Array, n: number): void {
      const o = stage(b, out);
      b.add(o, out === a ? o : stage(b, a), out === c ? o : stage(b, c), n);
      out.set(o);
    },
  };
}
