import { attention, type AttentionOptions } from './attention.js';
import type { CpuBackend, WeightStorage } from './backend.js';
import { checkInt } from './check.js';
import { add, siluMul } from './elementwise.js';
import { DTypeError, ShapeError } from './errors.js';
import { matmul } from './matmul.js';
import { q8_0PaddedCols, QK8_0 } from './q8_0-layout.js';
import { rmsnorm } from './rmsnorm.js';
import type { Weight } from './weight.js';

/** The plain TypeScript ops behind the CpuBackend interface: one thread, double accumulation, no quantized activations. */
export class JsBackend implements CpuBackend {
  readonly kind = 'js' as const;
  readonly threads = 1;
  private scratch = new Float32Array(0);
  private scores = new Float32Array(0);

  f32(n: number): Float32Array {
    checkInt('JsBackend.f32', 'n', n, 0);
    return new Float32Array(n);
  }

  weight(dtype: WeightStorage, rows: number, cols: number): Weight {
    checkInt('JsBackend.weight', 'rows', rows);
    checkInt('JsBackend.weight', 'cols', cols);
    switch (dtype) {
      case 'f32':
        return { dtype, rows, cols, data: new Float32Array(rows * cols) };
      case 'bf16':
        return { dtype, rows, cols, data: new Uint16Array(rows * cols) };
      case 'q8_0': {
        const padded = q8_0PaddedCols(cols);
        return { dtype, rows, cols, qs: new Int8Array(rows * padded), d: new Uint16Array((rows * padded) / QK8_0) };
      }
      default:
        throw new DTypeError(`JsBackend.weight: dtype '${String(dtype)}' is not a weight dtype; use f32, bf16 or q8_0`);
    }
  }

  release(): void {
    // garbage collected
  }

  holds(): boolean {
    return true;
  }

  matmul(out: Float32Array, x: Float32Array, T: number, w: Weight): void {
    matmul(out, x, T, w);
  }

  matmulAdd(out: Float32Array, x: Float32Array, T: number, w: Weight): void {
    const n = T * w.rows;
    const tmp = this.tmp(n);
    matmul(tmp, x, T, w);
    add(out, out, tmp, n);
  }

  matmul3(x: Float32Array, T: number, a: Float32Array, wa: Weight, b: Float32Array, wb: Weight, c: Float32Array, wc: Weight): void {
    matmul(a, x, T, wa);
    matmul(b, x, T, wb);
    matmul(c, x, T, wc);
  }

  swiglu(out: Float32Array, x: Float32Array, T: number, gate: Weight, up: Weight): void {
    if (gate.rows !== up.rows) {
      throw new ShapeError(`swiglu: gate_proj has ${gate.rows} rows but up_proj ${up.rows}; both are [intermediate_size, hidden_size]`);
    }
    const n = T * gate.rows;
    const u = this.tmp(n);
    matmul(out, x, T, gate);
    matmul(u, x, T, up);
    siluMul(out, out, u, n);
  }

  rmsnorm(out: Float32Array, x: Float32Array, weight: Float32Array, rows: number, dim: number, eps: number): void {
    rmsnorm(out, x, weight, rows, dim, eps);
  }

  attention(out: Float32Array, q: Float32Array, k: Float32Array, v: Float32Array, o: AttentionOptions): void {
    if (this.scores.length < o.S) this.scores = new Float32Array(o.S);
    attention(out, q, k, v, o, this.scores);
  }

  add(out: Float32Array, a: Float32Array, b: Float32Array, n: number): void {
    add(out, a, b, n);
  }

  dispose(): void {
    // no threads
  }

  private tmp(n: number): Float32Array {
    if (this.scratch.length < n) this.scratch = new Float32Array(n);
    return this.scratch;
  }
}
