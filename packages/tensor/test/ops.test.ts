// The ops against plain double-precision references written out here, at odd sizes (nothing a multiple of 4).
// matmul, rmsnorm, add and attention run on every CPU backend (test/backends.ts); the rest are plain ops.
import { describe, expect, test } from 'vitest';
import {
  add as plainAdd,
  attention as plainAttention,
  DTypeError,
  embedding,
  f32ToBf16,
  IndexOutOfRangeError,
  rope,
  ropeInit,
  RopeParametersError,
  ShapeError,
  silu,
  siluMul,
  softmax,
  type Weight,
} from '../src/index.js';
import { BACKENDS, opsOf, useBackend } from './backends.js';
import { relL2 } from './safetensors.js';

function rand(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s ^ (s >>> 15), 2246822519) + 0x9e3779b9) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) * 2 * scale;
  }
  return out;
}

describe('embedding', () => {
  test('gathers f32 and bf16 rows; refuses ids outside the table', () => {
    const data = rand(4 * 3, 11);
    const bf = f32ToBf16(data);
    const out = new Float32Array(2 * 3);
    embedding(out, { dtype: 'f32', rows: 4, cols: 3, data }, [3, 1]);
    expect(Array.from(out)).toEqual([...data.subarray(9, 12), ...data.subarray(3, 6)]);
    embedding(out, { dtype: 'bf16', rows: 4, cols: 3, data: bf }, new Int32Array([0, 2]));
    expect(Array.from(f32ToBf16(out))).toEqual([...bf.subarray(0, 3), ...bf.subarray(6, 9)]);
    expect(() => embedding(out, { dtype: 'f32', rows: 4, cols: 3, data }, [4])).toThrow(IndexOutOfRangeError);
    expect(() => embedding(out, { dtype: 'f32', rows: 4, cols: 3, data }, [-1])).toThrow(/vocab_size/);
  });
});

describe('softmax, silu, siluMul', () => {
  test('softmax rows sum to 1, survive large logits, and match exp / Σ exp', () => {
    const x = new Float32Array([1000, 999, -1000, 3, 1, 2, 0.5, -0.5, 0]);
    const ref = [
      [1000, 999, -1000],
      [3, 1, 2],
      [0.5, -0.5, 0],
    ].flatMap((row) => {
      const m = Math.max(...row);
      const e = row.map((v) => Math.exp(v - m));
      const s = e.reduce((a, b) => a + b);
      return e.map((v) => v / s);
    });
    softmax(x, 3, 3);
    expect(relL2(x, ref)).toBeLessThanOrEqual(1e-7);
    expect(() => softmax(x, 4, 3)).toThrow(ShapeError);
  });

  test('silu and siluMul match their definitions (in place too)', () => {
    const n = 13;
    const g = rand(n, 1, 8);
    const u = rand(n, 2);
    const out = new Float32Array(n);
    silu(out, g, n);
    expect(relL2(out, Array.from(g, (v) => v / (1 + Math.exp(-v))))).toBeLessThanOrEqual(1e-7);
    siluMul(out, g, u, n);
    expect(relL2(out, Array.from(g, (v, i) => (v / (1 + Math.exp(-v))) * u[i]))).toBeLessThanOrEqual(1e-7);
    const a = Float32Array.from(g);
    plainAdd(a, a, u, n);
    expect(Array.from(a)).toEqual(Array.from(g, (v, i) => Math.fround(v + u[i])));
    expect(() => silu(out, g, 1.5)).toThrow(ShapeError);
  });
});

describe('ropeInit', () => {
  test('default: inv_freq[i] = θ^(-2i/d) in f32, scaling 1', () => {
    const { invFreq, attentionScaling } = ropeInit({ rope_type: 'default', rope_theta: 1e6 }, 128, 40960);
    expect(invFreq.length).toBe(64);
    expect(attentionScaling).toBe(1);
    expect(relL2(invFreq, Array.from(invFreq, (_, i) => 1e6 ** (-(2 * i) / 128)))).toBeLessThanOrEqual(1e-7);
  });

  test('yarn: attention factor from factor, mscale / mscale_all_dim, or given; ramp between the correction dims', () => {
    const base = { rope_type: 'yarn', rope_theta: 10000, factor: 8, original_max_position_embeddings: 64 } as const;
    expect(ropeInit(base, 16, 512).attentionScaling).toBe(0.1 * Math.log(8) + 1);
    expect(ropeInit({ ...base, mscale: 2, mscale_all_dim: 1 }, 16, 512).attentionScaling).toBe(
      (0.2 * Math.log(8) + 1) / (0.1 * Math.log(8) + 1),
    );
    expect(ropeInit({ ...base, attention_factor: 1.5 }, 16, 512).attentionScaling).toBe(1.5);
    // correction dims (truncated): low = floor(16 ln(64 / (32·2π)) / (2 ln 1e4)) = floor(-1.05) → 0,
    // high = ceil(16 ln(64 / 2π) / (2 ln 1e4)) = ceil(2.02) = 3: i = 0 extrapolates (θ^0 = 1), i >= 3 interpolates (/8)
    const { invFreq } = ropeInit(base, 16, 512);
    const plain = ropeInit({ rope_type: 'default', rope_theta: 10000 }, 16, 512).invFreq;
    expect(invFreq[0]).toBe(1);
    for (let i = 3; i < 8; i++) expect(invFreq[i]).toBeCloseTo(plain[i] / 8, 9);
    const ramp1 = 1 / 3; // (1 - low) / (high - low): weight of interpolation at i = 1
    expect(invFreq[1]).toBeCloseTo(plain[1] / 8 * ramp1 + plain[1] * (1 - ramp1), 7);
    // without truncation the range ends are fractional and the ramp changes
    const loose = ropeInit({ ...base, truncate: false }, 16, 512).invFreq;
    expect(loose[1]).not.toBe(invFreq[1]);
  });

  test('refuses unknown rope types, odd head dims and bad values', () => {
    expect(() => ropeInit({ rope_type: 'longrope', rope_theta: 1e4 } as never, 16, 512)).toThrow(RopeParametersError);
    expect(() => ropeInit({ rope_type: 'default', rope_theta: 1e4 }, 15, 512)).toThrow(/even/);
    expect(() => ropeInit({ rope_type: 'default', rope_theta: 1e4, partial_rotary_factor: 0.5 } as never, 16, 512)).toThrow(
      /partial_rotary_factor/,
    );
    expect(ropeInit({ rope_type: 'default', rope_theta: 1e4, partial_rotary_factor: 1 } as never, 16, 512).invFreq.length).toBe(8);
    expect(() => ropeInit({ rope_type: 'default', rope_theta: -1 }, 16, 512)).toThrow(/rope_theta/);
    expect(() =>
      ropeInit({ rope_type: 'yarn', rope_theta: 1e4, factor: 0.5, original_max_position_embeddings: 64 }, 16, 512),
    ).toThrow(/factor/);
  });
});

describe('rope', () => {
  test('rotate-half at odd sizes, per head, per position', () => {
    const T = 3;
    const nHeads = 5;
    const D = 6; // half = 3
    const positions = [0, 7, 1234];
    const invFreq = new Float32Array([1, 0.1, 0.01]);
    const scaling = 1.25;
    const x = rand(T * nHeads * D, 9);
    const ref = new Float64Array(x.length);
    for (let t = 0; t < T; t++) {
      for (let h = 0; h < nHeads; h++) {
        const o = (t * nHeads + h) * D;
        for (let i = 0; i < 3; i++) {
          const a = Math.fround(invFreq[i] * positions[t]);
          const [c, s] = [Math.cos(a) * scaling, Math.sin(a) * scaling];
          ref[o + i] = x[o + i] * c - x[o + i + 3] * s;
          ref[o + i + 3] = x[o + i + 3] * c + x[o + i] * s;
        }
      }
    }
    rope(x, positions, T, nHeads, D, invFreq, scaling);
    expect(relL2(x, ref)).toBeLessThanOrEqual(1e-6);
    expect(() => rope(x, [0, 1], T, nHeads, D, invFreq, 1)).toThrow(ShapeError);
  });
});

function naiveAttention(q: Float32Array, k: Float32Array, v: Float32Array, T: number, S: number, H: number, KV: number, D: number, scale: number) {
  const out = new Float64Array(T * H * D);
  for (let t = 0; t < T; t++) {
    for (let h = 0; h < H; h++) {
      const kvh = Math.floor(h / (H / KV));
      const n = S - T + t + 1;
      const w: number[] = [];
      for (let s = 0; s < n; s++) {
        let d = 0;
        for (let i = 0; i < D; i++) d += q[(t * H + h) * D + i] * k[(s * KV + kvh) * D + i];
        w.push(d * scale);
      }
      const m = Math.max(...w);
      const e = w.map((x) => Math.exp(x - m));
      const sum = e.reduce((a, b) => a + b);
      for (let s = 0; s < n; s++) {
        for (let i = 0; i < D; i++) out[(t * H + h) * D + i] += (e[s] / sum) * v[(s * KV + kvh) * D + i];
      }
    }
  }
  return out;
}

describe('attention (plain op)', () => {
  test('refuses a short scratch', () => {
    const o = { T: 2, S: 3, nHeads: 4, nKvHeads: 2, headDim: 3, scale: 1 };
    const [q, kv, out] = [new Float32Array(24), new Float32Array(18), new Float32Array(24)];
    expect(() => plainAttention(out, q, kv, kv, o, new Float32Array(2))).toThrow(/scratch/);
  });
});

describe.each(BACKENDS)('%s backend', (_name, opts) => {
  const backend = useBackend(opts);
  const matmul: ReturnType<typeof opsOf>['matmul'] = (...a) => opsOf(backend.get()).matmul(...a);
  const rmsnorm: ReturnType<typeof opsOf>['rmsnorm'] = (...a) => opsOf(backend.get()).rmsnorm(...a);
  const attention: ReturnType<typeof opsOf>['attention'] = (...a) => opsOf(backend.get()).attention(...a);
  const add: ReturnType<typeof opsOf>['add'] = (...a) => opsOf(backend.get()).add(...a);

  describe('matmul', () => {
    test.each([
      [1, 1, 1],
      [3, 5, 37],
      [1, 7, 131],
      [6, 2, 3],
    ])('T=%i rows=%i cols=%i, f32 and bf16', (T, rows, cols) => {
      const x = rand(T * cols, T + cols);
      const wf = rand(rows * cols, rows, 0.5);
      const bf = f32ToBf16(wf);
      const wb = new Float32Array(new Uint32Array(Array.from(bf, (h) => h << 16)).buffer); // the bf16 values as f32
      for (const [w, vals] of [
        [{ dtype: 'f32', rows, cols, data: wf } as Weight, wf],
        [{ dtype: 'bf16', rows, cols, data: bf } as Weight, wb],
      ] as const) {
        const ref = new Float64Array(T * rows);
        for (let t = 0; t < T; t++) {
          for (let r = 0; r < rows; r++) {
            for (let c = 0; c < cols; c++) ref[t * rows + r] += x[t * cols + c] * vals[r * cols + c];
          }
        }
        const out = new Float32Array(T * rows);
        matmul(out, x, T, w);
        expect(relL2(out, ref)).toBeLessThanOrEqual(1e-6);
      }
    });

    test('checks buffer sizes and dtypes with errors that name the op and the layout', () => {
      const w: Weight = { dtype: 'f32', rows: 3, cols: 5, data: new Float32Array(15) };
      expect(() => matmul(new Float32Array(5), new Float32Array(10), 2, w)).toThrow(/matmul: out \[T, rows\] = \[2, 3\] needs 6/);
      expect(() => matmul(new Float32Array(6), new Float32Array(9), 2, w)).toThrow(ShapeError);
      expect(() => matmul(new Float32Array(6), new Float32Array(10), 2, { ...w, data: new Float32Array(14) })).toThrow(ShapeError);
      const bad = { dtype: 'f16', rows: 3, cols: 5, data: new Uint16Array(15) } as unknown as Weight;
      expect(() => matmul(new Float32Array(6), new Float32Array(10), 2, bad)).toThrow(DTypeError);
    });
  });


  describe('rmsnorm', () => {
    test('matches the definition and may run in place', () => {
      const rows = 3;
      const dim = 7;
      const x = rand(rows * dim, 5, 3);
      const w = rand(dim, 6);
      const eps = 1e-6;
      const ref = new Float64Array(rows * dim);
      for (let r = 0; r < rows; r++) {
        let ss = 0;
        for (let i = 0; i < dim; i++) ss += x[r * dim + i] ** 2;
        for (let i = 0; i < dim; i++) ref[r * dim + i] = (w[i] * x[r * dim + i]) / Math.sqrt(ss / dim + eps);
      }
      const out = new Float32Array(rows * dim);
      rmsnorm(out, x, w, rows, dim, eps);
      expect(relL2(out, ref)).toBeLessThanOrEqual(1e-6);
      rmsnorm(x, x, w, rows, dim, eps);
      expect(x).toEqual(out);
      expect(() => rmsnorm(out, x, w, rows, dim + 1, eps)).toThrow(ShapeError);
    });
  });


  describe('add', () => {
    test('matches the definition, in place too', () => {
      const n = 13;
      const g = rand(n, 1, 8);
      const u = rand(n, 2);
      const a = Float32Array.from(g);
      add(a, a, u, n);
      expect(Array.from(a)).toEqual(Array.from(g, (v, i) => Math.fround(v + u[i])));
      expect(() => add(a, a, new Float32Array(n - 1), n)).toThrow(ShapeError);
    });
  });

  describe('attention', () => {
    test.each([
      [3, 7, 6, 2, 5], // GQA, queries at the end of a longer cache
      [5, 5, 3, 3, 7], // MHA prefill
      [1, 9, 3, 1, 3], // MQA decode step
    ])('T=%i S=%i nHeads=%i nKvHeads=%i headDim=%i', (T, S, H, KV, D) => {
      const q = rand(T * H * D, 1, 2);
      const k = rand(S * KV * D, 2, 2);
      const v = rand(S * KV * D, 3);
      const o = { T, S, nHeads: H, nKvHeads: KV, headDim: D, scale: D ** -0.5 };
      const out = new Float32Array(T * H * D);
      attention(out, q, k, v, o, new Float32Array(S + 3));
      expect(relL2(out, naiveAttention(q, k, v, T, S, H, KV, D, o.scale))).toBeLessThanOrEqual(1e-6);
    });

    test('a decode step equals the last row of the prefill over the same cache', () => {
      const [S, H, KV, D] = [6, 4, 2, 5];
      const q = rand(S * H * D, 4);
      const k = rand(S * KV * D, 5);
      const v = rand(S * KV * D, 6);
      const full = new Float32Array(S * H * D);
      attention(full, q, k, v, { T: S, S, nHeads: H, nKvHeads: KV, headDim: D, scale: 0.4 }, new Float32Array(S));
      const step = new Float32Array(H * D);
      attention(step, q.subarray((S - 1) * H * D), k, v, { T: 1, S, nHeads: H, nKvHeads: KV, headDim: D, scale: 0.4 }, new Float32Array(S));
      expect(step).toEqual(full.subarray((S - 1) * H * D));
    });

    test('refuses T > S and heads that do not group', () => {
      const o = { T: 2, S: 3, nHeads: 4, nKvHeads: 2, headDim: 3, scale: 1 };
      const [q, kv, out] = [new Float32Array(24), new Float32Array(18), new Float32Array(24)];
      expect(() => attention(out, q, kv, kv, { ...o, T: 4 }, new Float32Array(3))).toThrow(/T=4/);
      expect(() => attention(out, q, kv, kv, { ...o, nKvHeads: 3 }, new Float32Array(3))).toThrow(/num_key_value_heads/);
    });
  });
});
