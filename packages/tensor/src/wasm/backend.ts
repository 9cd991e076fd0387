import type { AttentionOptions } from '../attention.js';
import type { CpuBackend, CpuBackendOptions, WeightStorage } from '../backend.js';
import { checkInt, checkLength } from '../check.js';
import { f16Values } from '../dtype.js';
import { DTypeError, KernelMemoryError, ShapeError } from '../errors.js';
import { q8_0PaddedCols, QK8_0 } from '../q8_0-layout.js';
import { checkWeight, type Weight } from '../weight.js';
import { checkAttention } from '../attention.js';
import { ATT, DT, LIN, MODE_ADD, MODE_STORE, OP_ATTENTION, OP_LINEAR, OP_SWIGLU, SEG } from './layout.js';
import { KernelMemory } from './memory.js';
import { instantiate, kernelModule, type KernelExports } from './module.js';
import { ThreadPool } from './pool.js';

type Mode = typeof MODE_STORE | typeof MODE_ADD;

/** Frees worker threads of backends that were dropped without dispose(). */
const orphans = new FinalizationRegistry<ThreadPool>((pool) => pool.dispose());

/** The WebAssembly SIMD backend: kernels in csrc/, run on `threads` threads over one shared memory. */
export class WasmBackend implements CpuBackend {
  readonly kind = 'wasm' as const;
  readonly threads: number;
  readonly memory: KernelMemory;
  private readonly k: KernelExports;
  private readonly pool: ThreadPool;
  private readonly minWork: number;
  private readonly lin: Int32Array; // struct Linear
  private readonly att: Int32Array; // struct Attention
  private readonly attF: Float32Array;
  private readonly f16: Float32Array; // f16 bits → f32, for Q8_0 scales
  // scratch, grown to the largest call
  private xq: Int16Array = new Int16Array(0);
  private dx: Float32Array = new Float32Array(0);
  private xp: Float32Array = new Float32Array(0);
  private up: Float32Array = new Float32Array(0);
  private scores: Float32Array = new Float32Array(0);

  private constructor(memory: KernelMemory, k: KernelExports, pool: ThreadPool, minWork: number) {
    this.memory = memory;
    this.k = k;
    this.pool = pool;
    this.threads = pool.threads;
    this.minWork = minWork;
    this.lin = memory.i32(LIN.words);
    this.att = memory.i32(ATT.words);
    this.attF = new Float32Array(this.att.buffer, this.att.byteOffset, ATT.words);
    this.f16 = memory.f32(65536);
    this.f16.set(f16Values());
    orphans.register(this, pool, this);
  }

  static async create(opts: CpuBackendOptions & { threads: number }): Promise<WasmBackend> {
    checkInt('createCpuBackend', 'threads', opts.threads);
    const module = await kernelModule();
    // the linker's stack and heap base come first; read them from an instance over a scratch memory
    const probe = instantiate(module, new WebAssembly.Memory({ initial: 16, maximum: 65536, shared: true }));
    const memory = new KernelMemory(probe.__heap_base.value as number);
    const k = instantiate(module, memory.memory);
    const pool = await ThreadPool.create(opts.threads, module, memory, k);
    return new WasmBackend(memory, k, pool, opts.minWorkPerThread ?? 32768);
  }

  f32(n: number): Float32Array {
    checkInt('WasmBackend.f32', 'n', n, 0);
    return this.memory.f32(n);
  }

  weight(dtype: WeightStorage, rows: number, cols: number): Weight {
    checkInt('WasmBackend.weight', 'rows', rows);
    checkInt('WasmBackend.weight', 'cols', cols);
    switch (dtype) {
      case 'f32':
        return { dtype, rows, cols, data: this.memory.f32(rows * cols) };
      case 'bf16':
        return { dtype, rows, cols, data: this.memory.u16(rows * cols) };
      case 'q8_0': {
        const padded = q8_0PaddedCols(cols);
        return { dtype, rows, cols, qs: this.memory.i8(rows * padded), d: this.memory.u16((rows * padded) / QK8_0) };
      }
      default:
        throw new DTypeError(`WasmBackend.weight: dtype '${String(dtype)}' is not a weight dtype; use f32, bf16 or q8_0`);
    }
  }

  release(b: Float32Array | Weight): void {
    if (b instanceof Float32Array) this.memory.releaseView(b);
    else if (b.dtype === 'q8_0') {
      this.memory.releaseView(b.qs);
      this.memory.releaseView(b.d);
    } else this.memory.releaseView(b.data);
  }

  holds(a: ArrayBufferView): boolean {
    return this.memory.owns(a);
  }

  matmul(out: Float32Array, x: Float32Array, T: number, w: Weight): void {
    this.linear('matmul', OP_LINEAR, x, T, w.cols, 1, w, out, MODE_STORE, w, out, w, out);
  }

  matmulAdd(out: Float32Array, x: Float32Array, T: number, w: Weight): void {
    this.linear('matmulAdd', OP_LINEAR, x, T, w.cols, 1, w, out, MODE_ADD, w, out, w, out);
  }

  matmul3(x: Float32Array, T: number, a: Float32Array, wa: Weight, b: Float32Array, wb: Weight, c: Float32Array, wc: Weight): void {
    this.linear('matmul3', OP_LINEAR, x, T, wa.cols, 3, wa, a, MODE_STORE, wb, b, wc, c);
  }

  swiglu(out: Float32Array, x: Float32Array, T: number, gate: Weight, up: Weight): void {
    if (gate.rows !== up.rows) {
      throw new ShapeError(`swiglu: gate_proj has ${gate.rows} rows but up_proj ${up.rows}; both are [intermediate_size, hidden_size]`);
    }
    checkInt('swiglu', 'T', T);
    if (this.up.length < T * up.rows) {
      this.memory.releaseView(this.up);
      this.up = this.memory.f32(T * up.rows);
    }
    this.linear('swiglu', OP_SWIGLU, x, T, gate.cols, 2, gate, out, MODE_STORE, up, this.up, up, this.up);
  }

  rmsnorm(out: Float32Array, x: Float32Array, weight: Float32Array, rows: number, dim: number, eps: number): void {
    checkInt('rmsnorm', 'rows', rows);
    checkInt('rmsnorm', 'dim', dim);
    checkLength('rmsnorm', 'x', x, rows * dim, '[rows, dim]', rows, dim);
    checkLength('rmsnorm', 'out', out, rows * dim, '[rows, dim]', rows, dim);
    checkLength('rmsnorm', 'weight', weight, dim, '[dim]', dim);
    this.k.qo_rmsnorm(this.ptr('rmsnorm', 'out', out), this.ptr('rmsnorm', 'x', x), this.ptr('rmsnorm', 'weight', weight), rows, dim, eps);
  }

  attention(out: Float32Array, q: Float32Array, k: Float32Array, v: Float32Array, o: AttentionOptions): void {
    checkAttention(out, q, k, v, o);
    const pairs = o.T * o.nHeads;
    const nth = this.threadsFor(pairs * ((o.S - o.T / 2) * o.headDim * 2));
    if (this.scores.length < nth * o.S) {
      this.memory.releaseView(this.scores);
      this.scores = this.memory.f32(this.threads * o.S);
    }
    const p = this.att;
    p[ATT.T] = o.T;
    p[ATT.S] = o.S;
    p[ATT.nH] = o.nHeads;
    p[ATT.nKv] = o.nKvHeads;
    p[ATT.D] = o.headDim;
    this.attF[ATT.scale] = o.scale;
    p[ATT.q] = this.ptr('attention', 'q', q);
    p[ATT.k] = this.ptr('attention', 'k', k);
    p[ATT.v] = this.ptr('attention', 'v', v);
    p[ATT.out] = this.ptr('attention', 'out', out);
    p[ATT.scratch] = this.scores.byteOffset;
    this.pool.run(OP_ATTENTION, p.byteOffset, nth);
  }

  add(out: Float32Array, a: Float32Array, b: Float32Array, n: number): void {
    checkInt('add', 'n', n, 0);
    checkLength('add', 'out', out, n, '[n]', n);
    checkLength('add', 'a', a, n, '[n]', n);
    checkLength('add', 'b', b, n, '[n]', n);
    this.k.qo_add(this.ptr('add', 'out', out), this.ptr('add', 'a', a), this.ptr('add', 'b', b), n);
  }

  dispose(): void {
    orphans.unregister(this);
    this.pool.dispose();
  }

  /** Threads for an op of `work` multiply-adds: as many as get minWorkPerThread each, at least 1. */
  private threadsFor(work: number): number {
    if (this.minWork <= 0) return this.threads;
    return Math.max(1, Math.min(this.threads, Math.floor(work / this.minWork)));
  }

  /** Byte offset of `a` in kernel memory, or KernelMemoryError. */
  private ptr(op: string, name: string, a: ArrayBufferView): number {
    if (!this.memory.owns(a)) {
      throw new KernelMemoryError(
        `${op}: ${name} is not in kernel memory; allocate buffers the wasm backend uses with backend.f32() / backend.weight()`,
      );
    }
    return a.byteOffset;
  }

  /** Writes one Seg of struct Linear. */
  private seg(k: number, op: string, w: Weight, out: Float32Array, T: number, mode: Mode): void {
    checkWeight(op, w);
    checkLength(op, 'out', out, T * w.rows, '[T, rows]', T, w.rows);
    const p = this.lin;
    const o = LIN.seg + k * SEG.words;
    p[o + SEG.dtype] = DT[w.dtype];
    p[o + SEG.rows] = w.rows;
    if (w.dtype === 'q8_0') {
      p[o + SEG.w] = this.ptr(op, 'weight qs', w.qs);
      p[o + SEG.d] = this.ptr(op, 'weight d', w.d);
    } else {
      p[o + SEG.w] = this.ptr(op, 'weight', w.data);
      p[o + SEG.d] = 0;
    }
    p[o + SEG.out] = this.ptr(op, 'out', out);
    p[o + SEG.ostride] = w.rows;
    p[o + SEG.mode] = mode;
  }

  /**
   * One OP_LINEAR / OP_SWIGLU call over `nseg` weights that read x [T, cols]: checks, prepares x once
   * for the weights' dtype (Q8_0: int16 per 32-block; bf16: regrouped for in-register unpacking), writes the
   * parameters and runs it on as many threads as the work justifies.
   */
  private linear(
    op: string,
    code: number,
    x: Float32Array,
    T: number,
    cols: number,
    nseg: number,
    w0: Weight,
    o0: Float32Array,
    mode: Mode,
    w1: Weight,
    o1: Float32Array,
    w2: Weight,
    o2: Float32Array,
  ): void {
    checkInt(op, 'T', T);
    checkLength(op, 'x', x, T * cols, '[T, cols]', T, cols);
    this.seg(0, op, w0, o0, T, mode);
    let rows = w0.rows;
    if (nseg > 1) {
      if (w1.dtype !== w0.dtype || w1.cols !== cols) {
        throw new ShapeError(`${op}: the weights must share dtype and in_features; got ${w0.dtype} [${w0.rows}, ${cols}] and ${w1.dtype} [${w1.rows}, ${w1.cols}]`);
      }
      this.seg(1, op, w1, o1, T, mode);
      rows += w1.rows;
    }
    if (nseg > 2) {
      if (w2.dtype !== w0.dtype || w2.cols !== cols) {
        throw new ShapeError(`${op}: the weights must share dtype and in_features; got ${w0.dtype} [${w0.rows}, ${cols}] and ${w2.dtype} [${w2.rows}, ${w2.cols}]`);
      }
      this.seg(2, op, w2, o2, T, mode);
      rows += w2.rows;
    }
    const p = this.lin;
    p[LIN.T] = T;
    p[LIN.cols] = cols;
    p[LIN.nseg] = nseg;
    p[LIN.f16] = this.f16.byteOffset;
    const xp = this.ptr(op, 'x', x);
    if (w0.dtype === 'q8_0') {
      const padded = q8_0PaddedCols(cols);
      if (this.xq.length < T * padded) {
        this.memory.releaseView(this.xq);
        this.memory.releaseView(this.dx);
        this.xq = this.memory.i16(T * padded);
        this.dx = this.memory.f32((T * padded) / QK8_0);
      }
      this.k.qo_quantize_q16(xp, T, cols, cols, this.xq.byteOffset, this.dx.byteOffset);
      p[LIN.x] = this.xq.byteOffset;
      p[LIN.dx] = this.dx.byteOffset;
    } else if (w0.dtype === 'bf16') {
      if (this.xp.length < T * cols) {
        this.memory.releaseView(this.xp);
        this.xp = this.memory.f32(T * cols);
      }
      this.k.qo_pack_bf16(xp, T, cols, cols, this.xp.byteOffset);
      p[LIN.x] = this.xp.byteOffset;
    } else {
      p[LIN.x] = xp;
    }
    this.pool.run(code, p.byteOffset, this.threadsFor(T * rows * cols));
  }
}
