// Kernel by kernel at Qwen3-0.6B sizes: rel L2 against @qo/tensor on the device's adapter (with and
// without subgroups), then timings of GEMV, tiled matmul, attention, argmax/sample and the cost of
// one dispatch. Bundle with `node bench/build.mjs` (from packages/gpu).
import { attention as cpuAttention, f32ToBf16, matmul as cpuMatmul, quantizeQ8_0, rmsnorm as cpuRmsnorm, type Weight } from '@qo/tensor';
import { Recorder, acquireDevice, argmax, attention, attentionPartialsSize, matmul, rmsnorm, sample, add, uploadWeight, type GpuContext } from '../src/index.js';

/** A deterministic pseudo-random stream (mulberry32) of uniform numbers in [0, 1). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randn(r: () => number, n: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (r() * 2 - 1) * scale;
  return out;
}

function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / (den || 1));
}

const log = (...a: unknown[]): void => console.log(...a);

function weight(dtype: 'f32' | 'bf16' | 'q8_0', rows: number, cols: number, seed: number): Weight {
  const v = randn(rng(seed), rows * cols, 0.05);
  if (dtype === 'f32') return { dtype, rows, cols, data: v };
  if (dtype === 'bf16') return { dtype, rows, cols, data: f32ToBf16(v) };
  return quantizeQ8_0(rows, cols, v);
}

async function time(c: GpuContext, label: string, reps: number, record: (rec: Recorder) => void, bytes = 0, flops = 0): Promise<void> {
  const rec = new Recorder(c);
  rec.begin(); record(rec); rec.submit(); await c.sync(); // warm
  const t0 = performance.now();
  rec.begin();
  for (let i = 0; i < reps; i++) record(rec);
  const n = rec.dispatches;
  rec.submit();
  const t1 = performance.now();
  await c.sync();
  const ms = (performance.now() - t0) / reps;
  const recUs = ((t1 - t0) / reps) * 1000;
  log(`${label}: ${(ms * 1000).toFixed(1)} µs/iter (${n / reps} dispatches; recording ${recUs.toFixed(1)} µs)` + (bytes ? `, ${(bytes / ms / 1e6).toFixed(0)} GB/s` : '') + (flops ? `, ${(flops / ms / 1e9).toFixed(2)} TFLOP/s` : ''));
}

async function main(): Promise<void> {
  for (const sub of [true, false]) {
    const c = await acquireDevice({ subgroups: sub });
    log(`\n=== ${c.adapterInfo.vendor} ${c.adapterInfo.architecture} ${c.adapterInfo.description} subgroups=${JSON.stringify(c.features)} maxBinding=${c.maxBindingBytes}`);
    // correctness
    for (const dtype of ['bf16', 'q8_0', 'f32'] as const) {
      for (const [T, rows, cols] of [[1, 3072, 1024], [1, 1024, 3072], [1, 100, 65], [7, 100, 65], [512, 1024, 1024]] as const) {
        const w = weight(dtype, rows, cols, rows + cols);
        const x = randn(rng(T), T * cols);
        const want = new Float32Array(T * rows);
        cpuMatmul(want, x, T, w);
        const gw = await uploadWeight(c, w, 'w');
        const gx = await c.upload(x, [T, cols], 'x');
        const out = await c.tensor('f32', [T, rows], 'out');
        const rec = new Recorder(c).begin();
        matmul(rec, { out, x: gx, w: gw, T });
        rec.submit();
        log(`matmul ${dtype} T=${T} [${rows}, ${cols}] relL2 ${relL2(await c.read(out), want).toExponential(2)}`);
      }
    }
    {
      const [rows, dim] = [512, 1024];
      const x = randn(rng(1), rows * dim, 3); const w = randn(rng(2), dim);
      const want = new Float32Array(rows * dim); cpuRmsnorm(want, x, w, rows, dim, 1e-6);
      const [gx, gw, out] = [await c.upload(x, [rows, dim], 'x'), await c.upload(w, [dim], 'w'), await c.tensor('f32', [rows, dim], 'o')];
      const rec = new Recorder(c).begin(); rmsnorm(rec, { out, x: gx, weight: gw, rows, dim, eps: 1e-6 }); rec.submit();
      log(`rmsnorm [512, 1024] relL2 ${relL2(await c.read(out), want).toExponential(2)}`);
    }
    for (const [T, S, split] of [[512, 512, 0], [1, 4096, 32], [1, 4096, 0]] as const) {
      const [nH, nKv, hd] = [16, 8, 128];
      const r = rng(S);
      const q = randn(r, T * nH * hd); const k = randn(r, S * nKv * hd); const v = randn(r, S * nKv * hd);
      const want = new Float32Array(T * nH * hd);
      cpuAttention(want, q, k, v, { T, S, nHeads: nH, nKvHeads: nKv, headDim: hd, scale: hd ** -0.5 }, new Float32Array(S));
      const [gq, kc, vc, out] = [await c.upload(q, [T, nH, hd], 'q'), await c.upload(k, [S, nKv, hd], 'k'), await c.upload(v, [S, nKv, hd], 'v'), await c.tensor('f32', [T, nH, hd], 'o')];
      const sp = split ? { partials: await c.tensor('f32', [attentionPartialsSize(T, nH, hd, split)], 'p'), maxSplits: split } : undefined;
      const args = { out, q: gq, kCache: kc, vCache: vc, T, S, nHeads: nH, nKvHeads: nKv, headDim: hd, scale: hd ** -0.5, split: sp };
      const rec = new Recorder(c).begin(); attention(rec, args); rec.submit();
      log(`attention T=${T} S=${S} splits=${split} relL2 ${relL2(await c.read(out), want).toExponential(2)}`);
      await time(c, `  attention T=${T} S=${S} splits=${split}`, 20, (rec) => attention(rec, args));
    }
    {
      const V = 151936;
      const x = randn(rng(3), V, 8);
      const gx = await c.upload(x, [V], 'logits');
      const ids = await c.tensor('u32', [64], 'ids');
      const rec = new Recorder(c).begin();
      argmax(rec, { out: ids, x: gx, rows: 1, n: V });
      for (let j = 1; j < 64; j++) sample(rec, { out: ids, x: gx, n: V, outOffset: j, temperature: 0.6, topK: 20, topP: 0.95, u: (j - 0.5) / 63 });
      rec.submit();
      const got = await c.read(ids);
      let best = 0; for (let i = 1; i < V; i++) if (x[i] > x[best]) best = i;
      const z = Array.from(x, (v) => Math.fround(v / 0.6)); const top = [...z.keys()].sort((a, b) => z[b] - z[a]).slice(0, 20);
      log(`argmax ${got[0]} want ${best}; samples in top-20: ${Array.from(got.slice(1)).every((t) => top.includes(t))}, distinct ${new Set(got.slice(1)).size}`);
      await time(c, '  argmax V=151936', 50, (rec) => argmax(rec, { out: ids, x: gx, rows: 1, n: V }));
      await time(c, '  sample V=151936 (top-k 20, top-p 0.95)', 20, (rec) => sample(rec, { out: ids, x: gx, n: V, temperature: 0.6, topK: 20, topP: 0.95, u: 0.3 }));
      await time(c, '  sample V=151936 (greedy)', 20, (rec) => sample(rec, { out: ids, x: gx, n: V, temperature: 0, u: 0.3 }));
      await time(c, '  sample V=151936 (top-p 0.9 only: bisection)', 5, (rec) => sample(rec, { out: ids, x: gx, n: V, temperature: 1, topP: 0.9, u: 0.3 }));
    }
    // timings
    for (const dtype of ['bf16', 'q8_0'] as const) {
      for (const [rows, cols] of [[2048, 1024], [6144, 1024], [1024, 3072], [151936, 1024]] as const) {
        const w = weight(dtype, rows, cols, 7);
        const gw = await uploadWeight(c, w, 'w');
        const gx = await c.upload(randn(rng(1), 512 * cols), [512, cols], 'x');
        const out = await c.tensor('f32', [512, rows], 'out');
        await time(c, `gemv ${dtype} [${rows}, ${cols}]`, 100, (rec) => matmul(rec, { out, x: gx, w: gw, T: 1 }), gw.bytes);
        if (rows < 10000) await time(c, `  matmul ${dtype} T=512 [${rows}, ${cols}]`, 10, (rec) => matmul(rec, { out, x: gx, w: gw, T: 512 }), 0, 2 * 512 * rows * cols);
      }
    }
    {
      const a = await c.tensor('f32', [1024], 'a'); const b = await c.tensor('f32', [1024], 'b');
      await time(c, 'add n=1024 (dispatch overhead)', 2000, (rec) => add(rec, { a, b, n: 1024 }));
      const a2 = await c.tensor('f32', [1024], 'a2');
      await time(c, 'add n=1024 alternating outputs (no dependency between neighbours)', 2000, (rec) => { add(rec, { a, b, n: 1024 }); add(rec, { a: a2, b, n: 1024 }); });
    }
    c.destroy();
  }
}
await main();
