// What only the backends have: Q8_0 × int16 activations (bit-exact against a JS model of the kernel's
// arithmetic), fused ops against their compositions, the same bits on 1 and 2 threads and whatever the
// tiling, kernel memory, and errors. The shared ops are also run per backend in ops.test.ts / fixture.test.ts.
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { describe, expect, test } from 'vitest';
import {
  BackendStateError,
  createCpuBackend,
  dequantize,
  f16ToF32,
  f32ToBf16,
  KernelMemoryError,
  matmul as plainMatmul,
  quantizeQ8_0,
  ShapeError,
  TensorError,
  type CpuBackend,
  type Weight,
} from '../src/index.js';
import type { WasmBackend } from '../src/wasm/backend.js';
import { BACKENDS, stage, stageWeight, useBackend } from './backends.js';
import { relL2 } from './safetensors.js';

function rand(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s ^ (s >>> 15), 2246822519) + 0x9e3779b9) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) * 2 * scale * (1 + (i % 5)); // uneven magnitudes across blocks
  }
  return out;
}

function weightOf(dtype: 'f32' | 'bf16' | 'q8_0', rows: number, cols: number, seed: number): Weight {
  const w = rand(rows * cols, seed, 0.3);
  if (dtype === 'f32') return { dtype, rows, cols, data: w };
  if (dtype === 'bf16') return { dtype, rows, cols, data: f32ToBf16(w) };
  return quantizeQ8_0(rows, cols, w);
}

const f = Math.fround;

/**
 * The wasm Q8_0 kernel's arithmetic written out (csrc/prepare.c, csrc/linear.c): each activation 32-block
 * quantized to int16 (d = amax/32767, q = roundf(x/d), f32), S = exact integer dot per block, and per
 * block p = f32(f32(S) · f32(dw · dx)). T > 1: acc = f32(acc + p) over the blocks in order. T = 1 (decode):
 * four lanes, lane j summing blocks 4i + j, then (l0 + l1) + (l2 + l3), then the last nb % 4 blocks.
 */
function q8Model(x: Float32Array, T: number, w: Extract<Weight, { dtype: 'q8_0' }>): Float32Array {
  const { rows, cols } = w;
  const nb = Math.ceil(cols / 32);
  const dw = f16ToF32(w.d);
  const out = new Float32Array(T * rows);
  for (let t = 0; t < T; t++) {
    const q = new Int32Array(nb * 32);
    const dx = new Float32Array(nb);
    for (let b = 0; b < nb; b++) {
      let amax = 0;
      for (let j = b * 32; j < Math.min(cols, b * 32 + 32); j++) amax = Math.max(amax, Math.abs(x[t * cols + j]));
      const d = f(amax / 32767);
      const id = d !== 0 ? f(1 / d) : 0;
      dx[b] = d;
      for (let j = b * 32; j < Math.min(cols, b * 32 + 32); j++) {
        const v = f(x[t * cols + j] * id);
        q[j] = v < 0 ? -Math.floor(0.5 - v) : Math.floor(v + 0.5);
      }
    }
    for (let r = 0; r < rows; r++) {
      const p = (b: number) => {
        let S = 0;
        for (let j = b * 32; j < b * 32 + 32; j++) S += w.qs[r * nb * 32 + j] * q[j];
        return f(f(S) * f(dw[r * nb + b] * dx[b]));
      };
      let acc = 0;
      let b = 0;
      if (T === 1) {
        const lanes = [0, 0, 0, 0];
        for (; b + 4 <= nb; b += 4) for (let j = 0; j < 4; j++) lanes[j] = f(lanes[j] + p(b + j));
        acc = f(f(lanes[0] + lanes[1]) + f(lanes[2] + lanes[3]));
      }
      for (; b < nb; b++) acc = f(acc + p(b));
      out[t * rows + r] = acc;
    }
  }
  return out;
}

const SIZES: [number, number, number][] = [
  [1, 1, 1],
  [1, 5, 33],
  [3, 13, 70],
  [4, 3, 64],
  [5, 9, 100],
  [9, 6, 31],
  [2, 17, 160],
];

describe.each(BACKENDS.filter(([, o]) => o.kind === 'wasm'))('%s backend', (_name, opts) => {
  const backend = useBackend(opts);
  const b = () => backend.get();

  test.each(SIZES)('q8_0 matmul T=%i rows=%i cols=%i equals the model of its arithmetic bit for bit', (T, rows, cols) => {
    const w = weightOf('q8_0', rows, cols, rows + cols) as Extract<Weight, { dtype: 'q8_0' }>;
    const x = rand(T * cols, T * 7 + cols);
    const out = stage(b(), new Float32Array(T * rows).fill(NaN));
    b().matmul(out, stage(b(), x), T, stageWeight(b(), w));
    expect(out).toEqual(q8Model(x, T, w));
    // and close to f32 compute on the dequantized weight (the activation rounding is 2^-16 of a block's max)
    const ref = new Float32Array(T * rows);
    plainMatmul(ref, x, T, { dtype: 'f32', rows, cols, data: dequantize(w) });
    expect(relL2(out, ref)).toBeLessThanOrEqual(1e-4);
  });

  test.each(['f32', 'bf16', 'q8_0'] as const)('%s: T rows at once give the bits of one row at a time (q8_0: up to the decode order)', (dtype) => {
    const [T, rows, cols] = [11, 23, 72];
    const w = stageWeight(b(), weightOf(dtype, rows, cols, 3));
    const x = stage(b(), rand(T * cols, 4));
    const all = stage(b(), new Float32Array(T * rows));
    b().matmul(all, x, T, w);
    const one = stage(b(), new Float32Array(rows));
    for (let t = 0; t < T; t++) {
      b().matmul(one, x.subarray(t * cols, (t + 1) * cols), 1, w);
      if (dtype === 'q8_0') expect(relL2(one, all.subarray(t * rows, (t + 1) * rows)), `t=${t}`).toBeLessThan(1e-6);
      else expect(one, `t=${t}`).toEqual(all.subarray(t * rows, (t + 1) * rows));
    }
  });
});

describe('1 and 2 threads give the same bits', () => {
  const one = useBackend({ kind: 'wasm', threads: 1 });
  const two = useBackend({ kind: 'wasm', threads: 2, minWorkPerThread: 0 });

  function both(run: (b: CpuBackend) => Float32Array): void {
    const a = run(one.get());
    const c = run(two.get());
    expect(c).toEqual(a);
    expect(a.some((v) => v !== 0)).toBe(true);
  }

  test.each(['f32', 'bf16', 'q8_0'] as const)('%s matmul, matmulAdd, matmul3 and swiglu', (dtype) => {
    for (const [T, rows, cols] of SIZES) {
      const ws = [0, 1, 2].map((k) => weightOf(dtype, rows + k, cols, 10 * k + rows));
      const x = rand(T * cols, cols);
      both((b) => {
        const sw = ws.map((w) => stageWeight(b, w));
        const xs = stage(b, x);
        const outs = [0, 1, 2].map((k) => stage(b, rand(T * (rows + k), k)));
        b.matmul(outs[0], xs, T, sw[0]);
        b.matmulAdd(outs[1], xs, T, sw[1]);
        const q = stage(b, new Float32Array(T * rows));
        const k = stage(b, new Float32Array(T * (rows + 1)));
        const v = stage(b, new Float32Array(T * (rows + 2)));
        b.matmul3(xs, T, q, sw[0], k, sw[1], v, sw[2]);
        const h = stage(b, new Float32Array(T * rows));
        b.swiglu(h, xs, T, sw[0], { ...sw[1], rows } as Weight);
        return Float32Array.from([...outs[0], ...outs[1], ...q, ...k, ...v, ...h]);
      });
    }
  });

  test('attention (prefill and decode) and rmsnorm', () => {
    for (const [T, S, H, KV, D] of [
      [7, 7, 6, 2, 12],
      [1, 33, 4, 1, 5],
      [3, 10, 8, 4, 128],
    ]) {
      const q = rand(T * H * D, 1);
      const k = rand(S * KV * D, 2);
      const v = rand(S * KV * D, 3);
      both((b) => {
        const out = stage(b, new Float32Array(T * H * D));
        b.attention(out, stage(b, q), stage(b, k), stage(b, v), { T, S, nHeads: H, nKvHeads: KV, headDim: D, scale: D ** -0.5 });
        const n = stage(b, new Float32Array(T * H * D));
        b.rmsnorm(n, out, stage(b, rand(D, 5)), T * H, D, 1e-6);
        return Float32Array.from([...out, ...n]);
      });
    }
  });
});

describe.each(BACKENDS)('fused ops on the %s backend equal their compositions', (_name, opts) => {
  const backend = useBackend(opts);

  test.each(['f32', 'bf16', 'q8_0'] as const)('%s', (dtype) => {
    const b = backend.get();
    const [T, rows, cols] = [5, 21, 40];
    const [wa, wb, wc] = [0, 1, 2].map((k) => stageWeight(b, weightOf(dtype, rows + k, cols, k + 1)));
    const x = stage(b, rand(T * cols, 9));
    const ref = (w: Weight) => {
      const o = stage(b, new Float32Array(T * w.rows));
      b.matmul(o, x, T, w);
      return o;
    };
    const [a, c, d] = [wa, wb, wc].map((w) => stage(b, new Float32Array(T * w.rows)));
    b.matmul3(x, T, a, wa, c, wb, d, wc);
    expect(a).toEqual(ref(wa));
    expect(c).toEqual(ref(wb));
    expect(d).toEqual(ref(wc));

    const res = stage(b, rand(T * rows, 3));
    const expected = Float32Array.from(res, (v, i) => f(v + ref(wa)[i]));
    b.matmulAdd(res, x, T, wa);
    expect(res).toEqual(expected);

    const up = { ...wb, rows } as Weight;
    const h = stage(b, new Float32Array(T * rows));
    b.swiglu(h, x, T, wa, up);
    const g = ref(wa);
    const u = ref(up);
    expect(relL2(h, Array.from(g, (v, i) => (v / (1 + Math.exp(-v))) * u[i]))).toBeLessThanOrEqual(1e-6);
    expect(() => b.swiglu(h, x, T, wa, wc)).toThrow(ShapeError);
  });
});

describe('kernel memory', () => {
  const backend = useBackend({ kind: 'wasm', threads: 2 });
  const wasm = () => backend.get() as WasmBackend;

  test('ops refuse arrays outside kernel memory and name them', () => {
    const b = wasm();
    const w = stageWeight(b, weightOf('f32', 2, 3, 1));
    expect(() => b.matmul(b.f32(2), new Float32Array(3), 1, w)).toThrow(KernelMemoryError);
    expect(() => b.matmul(b.f32(2), new Float32Array(3), 1, w)).toThrow(/matmul: x is not in kernel memory/);
    expect(() => b.rmsnorm(new Float32Array(3), b.f32(3), b.f32(3), 1, 3, 1e-6)).toThrow(/rmsnorm: out is not in kernel memory/);
    expect(b.holds(b.f32(1))).toBe(true);
    expect(b.holds(new Float32Array(1))).toBe(false);
  });

  test('released blocks are reused zero-filled; views stay valid when memory grows', () => {
    const m = wasm().memory;
    const a = m.f32(1000);
    a.fill(7);
    const off = a.byteOffset;
    m.releaseView(a);
    const b = m.f32(1000);
    expect(b.byteOffset).toBe(off);
    expect(b.every((v) => v === 0)).toBe(true);
    b[999] = 3;
    const before = m.memory.buffer.byteLength;
    const big = m.u8(before); // forces a grow
    expect(m.memory.buffer.byteLength).toBeGreaterThan(before);
    expect(b[999]).toBe(3);
    expect(m.owns(b) && m.owns(big)).toBe(true);
    m.releaseView(big);
    m.releaseView(b);
  });

  test('a buffer is still recognised after another shared memory grows (V8 then hands out new buffer objects)', async () => {
    const m = wasm().memory;
    const v = m.f32(8);
    const other = await createCpuBackend({ threads: 1 });
    (other as WasmBackend).memory.u8(64 << 20);
    expect(m.owns(v)).toBe(true);
    expect(m.owns(m.f32(8))).toBe(true);
    expect(m.owns((other as WasmBackend).memory.f32(8))).toBe(false);
    other.dispose();
  });

  test('more than a wasm32 memory holds is refused with what to do', () => {
    expect(() => wasm().memory.u8(2 ** 32)).toThrow(/4 GiB a wasm32 memory holds/);
  });
});

describe('backend lifecycle and options', () => {
  test('a disposed backend refuses ops', async () => {
    const b = await createCpuBackend({ threads: 2, minWorkPerThread: 0 });
    const w = stageWeight(b, weightOf('f32', 4, 8, 1));
    const x = b.f32(8);
    b.matmul(b.f32(4), x, 1, w); // starts the worker
    b.dispose();
    b.dispose();
    expect(() => b.matmul(b.f32(4), x, 1, w)).toThrow(BackendStateError);
  });

  test('the js backend is one thread; unknown kinds are refused', async () => {
    await expect(createCpuBackend({ kind: 'js', threads: 2 })).rejects.toThrow(/one thread/);
    await expect(createCpuBackend({ kind: 'gpu' as never })).rejects.toThrow(TensorError);
    await expect(createCpuBackend({ threads: 0 })).rejects.toThrow(ShapeError);
    expect((await createCpuBackend({ kind: 'js' })).threads).toBe(1);
  });
});

test('a wasm decode step (T = 1, two threads) allocates nothing', async () => {
  const b = await createCpuBackend({ threads: 2, minWorkPerThread: 0 });
  const [H, I, nH, nKv, D, S] = [64, 96, 4, 2, 16, 9];
  const ws = (['q8_0', 'bf16'] as const).map((dt) => ({
    qkv: [nH * D, nKv * D, nKv * D].map((r, k) => stageWeight(b, weightOf(dt, r, H, k))),
    o: stageWeight(b, weightOf(dt, H, nH * D, 4)),
    gate: stageWeight(b, weightOf(dt, I, H, 5)),
    up: stageWeight(b, weightOf(dt, I, H, 6)),
    down: stageWeight(b, weightOf(dt, H, I, 7)),
  }));
  const x = stage(b, rand(H, 1));
  const h = b.f32(H);
  const norm = stage(b, rand(H, 2));
  const [q, k, v] = [nH * D, nKv * D, nKv * D].map((n) => b.f32(n));
  const kc = stage(b, rand(S * nKv * D, 3));
  const attn = b.f32(nH * D);
  const act = b.f32(I);
  const o = { T: 1, S, nHeads: nH, nKvHeads: nKv, headDim: D, scale: D ** -0.5 };
  const step = () => {
    for (const w of ws) {
      b.rmsnorm(h, x, norm, 1, H, 1e-6);
      b.matmul3(h, 1, q, w.qkv[0], k, w.qkv[1], v, w.qkv[2]);
      b.attention(attn, q, kc, kc, o);
      b.matmulAdd(x, attn, 1, w.o);
      b.swiglu(act, h, 1, w.gate, w.up);
      b.matmulAdd(x, act, 1, w.down);
      b.rmsnorm(x, x, norm, 1, H, 1e-6);
    }
  };
  for (let i = 0; i < 500; i++) step();
  let gcs = 0;
  const observer = new PerformanceObserver((list) => (gcs += list.getEntries().length));
  observer.observe({ entryTypes: ['gc'] });
  let grown = Infinity;
  for (let attempt = 0; attempt < 3 && grown > 0; attempt++) {
    gcs = 0;
    const before = getHeapStatistics().used_heap_size;
    for (let i = 0; i < 3000; i++) step();
    const after = getHeapStatistics().used_heap_size;
    await new Promise((r) => setTimeout(r, 20));
    if (gcs === 0) grown = after - before;
  }
  observer.disconnect();
  b.dispose();
  expect(grown).toBeLessThan(16 * 1024);
});
