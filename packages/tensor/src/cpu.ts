import type { CpuBackend, CpuBackendOptions } from './backend.js';
import { checkInt } from './check.js';
import { TensorError } from './errors.js';
import { JsBackend } from './js-backend.js';
import { WasmBackend } from './wasm/backend.js';

/** CPU cores this process may use: os.availableParallelism() in Node, navigator.hardwareConcurrency in browsers. */
export async function defaultThreads(): Promise<number> {
  if (typeof process === 'object' && typeof process.versions?.node === 'string') {
    const os = await import('node:os');
    return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  }
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return typeof n === 'number' && n >= 1 ? n : 1;
}

/**
 * A CPU backend: 'wasm' (default; WebAssembly SIMD kernels on `threads` threads, default the core count)
 * or 'js' (the plain TypeScript ops, one thread). Throws KernelUnavailableError where WebAssembly SIMD or
 * SharedArrayBuffer is missing; nothing falls back to 'js' by itself.
 */
export async function createCpuBackend(opts: CpuBackendOptions = {}): Promise<CpuBackend> {
  const kind = opts.kind ?? 'wasm';
  if (opts.threads !== undefined) checkInt('createCpuBackend', 'threads', opts.threads);
  if (kind === 'js') {
    if (opts.threads !== undefined && opts.threads !== 1) {
      throw new TensorError(`createCpuBackend: the js backend runs on one thread, got threads: ${opts.threads}; use kind 'wasm' for threads`);
    }
    return new JsBackend();
  }
  if (kind !== 'wasm') throw new TensorError(`createCpuBackend: kind '${String(kind)}' is not one of wasm, js`);
  return WasmBackend.create({ ...opts, threads: opts.threads ?? (await defaultThreads()) });
}
