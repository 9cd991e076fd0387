import { KernelUnavailableError } from '../errors.js';
import { KERNELS_WASM_BASE64 } from './kernels.generated.js';

/** What qo-kernels.wasm exports (csrc/*.c); pointers are byte offsets into the shared memory. */
export interface KernelExports {
  qo_run(op: number, params: number, tid: number, nth: number): void;
  qo_quantize_q16(x: number, T: number, cols: number, xstride: number, xq: number, dx: number): void;
  qo_pack_bf16(x: number, T: number, cols: number, xstride: number, xp: number): void;
  qo_rmsnorm(out: number, x: number, w: number, rows: number, dim: number, eps: number): void;
  qo_add(out: number, a: number, b: number, n: number): void;
  __heap_base: WebAssembly.Global;
}

let compiled: Promise<WebAssembly.Module> | undefined;

function decodeBase64(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** The compiled kernel module, compiled once per process (or page) and shared by every backend and worker. */
export function kernelModule(): Promise<WebAssembly.Module> {
  compiled ??= (async () => {
    if (typeof WebAssembly !== 'object' || typeof SharedArrayBuffer !== 'function') {
      throw new KernelUnavailableError(
        'WebAssembly kernels need WebAssembly and SharedArrayBuffer (in browsers: a cross-origin isolated page, COOP + COEP headers); ' +
          "use the plain TypeScript backend ({ backend: 'js' }) here",
      );
    }
    const bytes = decodeBase64(KERNELS_WASM_BASE64);
    try {
      return await WebAssembly.compile(bytes);
    } catch (cause) {
      throw new KernelUnavailableError(
        `this JavaScript engine cannot compile qo's WebAssembly kernels (they need SIMD, bulk memory and threads: Node >= 20, Chrome >= 91, Firefox >= 89, Safari >= 16.4): ${String(cause)}; ` +
          "use the plain TypeScript backend ({ backend: 'js' }) here",
      );
    }
  })();
  compiled.catch(() => (compiled = undefined));
  return compiled;
}

/** One instance of the kernels over `memory` (each thread has its own). */
export function instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory): KernelExports {
  return new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as KernelExports;
}
