import type { AttentionOptions } from './attention.js';
import type { Weight } from './weight.js';

/** Which implementation runs the heavy CPU ops. */
export type CpuBackendKind = 'wasm' | 'js';

/** A weight dtype a backend can allocate storage for. */
export type WeightStorage = Weight['dtype'];

/**
 * The ops of a transformer forward pass that take the time, behind one interface with two
 * implementations: `wasm` (WebAssembly SIMD kernels on worker threads sharing one memory) and `js`
 * (the plain TypeScript ops of this package, single-threaded; the fallback and the test oracle).
 *
 * Buffers the ops read or write must come from the backend (`f32`, `weight`): the wasm kernels only
 * see their own memory, and refuse other arrays with KernelMemoryError. Ops never allocate in steady
 * state (scratch grows to the largest call, once).
 *
 * Results: per output value the arithmetic is fixed, so every thread count gives the same bits. The
 * wasm backend computes in f32 (the plain ops accumulate dot products in double), and multiplies Q8_0
 * weights by activations quantized to int16 per 32-block with an f32 scale (ggml uses int8 there; see
 * csrc/prepare.c), in integer SIMD dot products.
 */
export interface CpuBackend {
  readonly kind: CpuBackendKind;
  /** Threads an op may use (the caller's included). */
  readonly threads: number;

  /** A zero-filled f32 buffer of `n` values the ops can use. */
  f32(n: number): Float32Array;
  /** Zero-filled storage for a [rows, cols] weight (q8_0: `qs` padded to whole blocks, see Q8_0.md). */
  weight(dtype: WeightStorage, rows: number, cols: number): Weight;
  /** Gives back a buffer or weight from `f32` / `weight` (using it afterwards is an error nobody catches). */
  release(b: Float32Array | Weight): void;
  /** True when the ops can use `a` (wasm: it lies in kernel memory). */
  holds(a: ArrayBufferView): boolean;

  /** out[T, rows] = x[T, cols] · wᵀ. */
  matmul(out: Float32Array, x: Float32Array, T: number, w: Weight): void;
  /** out[T, rows] += x[T, cols] · wᵀ (a projection added to the residual stream). */
  matmulAdd(out: Float32Array, x: Float32Array, T: number, w: Weight): void;
  /** Three projections of one input in one pass (q, k, v): a = x·waᵀ, b = x·wbᵀ, c = x·wcᵀ. */
  matmul3(x: Float32Array, T: number, a: Float32Array, wa: Weight, b: Float32Array, wb: Weight, c: Float32Array, wc: Weight): void;
  /** SwiGLU: out[T, rows] = silu(x · gateᵀ) · (x · upᵀ). */
  swiglu(out: Float32Array, x: Float32Array, T: number, gate: Weight, up: Weight): void;
  /** Qwen3RMSNorm over `rows` rows of `dim` (see `rmsnorm`); out may alias x. */
  rmsnorm(out: Float32Array, x: Float32Array, weight: Float32Array, rows: number, dim: number, eps: number): void;
  /** Causal attention (see `attention`); the backend keeps its own scratch. */
  attention(out: Float32Array, q: Float32Array, k: Float32Array, v: Float32Array, o: AttentionOptions): void;
  /** out = a + b over n values. */
  add(out: Float32Array, a: Float32Array, b: Float32Array, n: number): void;

  /** Stops worker threads and frees nothing else (buffers die with the backend). Idempotent. */
  dispose(): void;
}

/** Options of `createCpuBackend`. */
export interface CpuBackendOptions {
  /** Default 'wasm'. */
  kind?: CpuBackendKind;
  /** Threads for the wasm backend, the caller's included (default: the number of CPU cores). The js backend uses one. */
  threads?: number;
  /**
   * wasm: an op runs on more than one thread only when each thread gets at least this many
   * multiply-adds (default 32768): smaller ops cost less than waking a thread. Tests set 0.
   */
  minWorkPerThread?: number;
}
