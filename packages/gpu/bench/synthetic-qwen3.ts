// A synthetic Qwen3-0.6B forward pass built from the @qo/gpu ops (random weights of the real shapes,
// 28 layers, tied 151936-row head): times decode steps (fused: 6-7 dispatches a layer) and a
// 512-token prefill, counts dispatches, and times one prefill layer op by op. Not a model: it
// checks nothing; it shows where the time goes. SMOKE=1 runs one small layer (lavapipe).
// Bundle with `node bench/build.mjs` (from packages/gpu) and run bench/dist/synthetic-qwen3.mjs
// where the `webgpu` package resolves (see ../../shared/device for the device machine).
import { f32ToBf16, quantizeQ8_0, ropeInit, type Weight } from '@qo/tensor';
import { Recorder, TokenReader, acquireDevice, attention, attentionPartialsSize, embedding, matmul, rmsnorm, ropeQk, ropeTable, sample, uploadWeight, type GpuContext, type GpuTensor, type GpuWeight } from '../src/index.js';

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

const SMOKE = process.env.SMOKE === '1';
const H = 1024, NH = 16, NKV = 8, HD = 128, I = 3072, V = SMOKE ? 1000 : 151936, L = SMOKE ? 1 : 28, MAXS = 1024, EPS = 1e-6;
const log = (...a: unknown[]): void => console.log(...a);

function weight(dtype: 'bf16' | 'q8_0', rows: number, cols: number, seed: number): Weight {
  const v = randn(rng(seed), rows * cols, 0.02);
  return dtype === 'bf16' ? { dtype, rows, cols, data: f32ToBf16(v) } : quantizeQ8_0(rows, cols, v);
}

async function run(c: GpuContext, dtype: 'bf16' | 'q8_0'): Promise<void> {
  const t0 = performance.now();
  const qkvW = weight(dtype, (NH + 2 * NKV) * HD, H, 1), oW = weight(dtype, H, NH * HD, 2), guW = weight(dtype, 2 * I, H, 3), dW = weight(dtype, H, I, 4);
  const layers: { qkv: GpuWeight; o: GpuWeight; gu: GpuWeight; d: GpuWeight; ln1: GpuTensor; ln2: GpuTensor; qn: GpuTensor; kn: GpuTensor; kc: GpuTensor; vc: GpuTensor }[] = [];
  const ones = new Float32Array(H).fill(1);
  for (let l = 0; l < L; l++) {
    layers.push({
      qkv: await uploadWeight(c, qkvW, 'qkv'), o: await uploadWeight(c, oW, 'o'), gu: await uploadWeight(c, guW, 'gu'), d: await uploadWeight(c, dW, 'd'),
      ln1: await c.upload(ones, [H], 'ln1'), ln2: await c.upload(ones, [H], 'ln2'), qn: await c.upload(ones.subarray(0, HD), [HD], 'qn'), kn: await c.upload(ones.subarray(0, HD), [HD], 'kn'),
      kc: await c.upload(randn(rng(l), MAXS * NKV * HD), [MAXS, NKV, HD], 'kc'), vc: await c.upload(randn(rng(l + 99), MAXS * NKV * HD), [MAXS, NKV, HD], 'vc'),
    });
  }
  const embed = await uploadWeight(c, weight(dtype, V, H, 5), 'embed');
  const head = embed; // tied
  const fnorm = await c.upload(ones, [H], 'norm');
  const { invFreq, attentionScaling } = ropeInit({ rope_type: 'default', rope_theta: 1e6 }, HD, 40960);
  const rope = await ropeTable(c, invFreq, attentionScaling, MAXS);
  const T = 512;
  const ids = await c.upload(new Uint32Array(T).map((_, i) => (i * 7919) % V), [T], 'ids');
  const h = await c.tensor('f32', [T, H], 'h'), xn = await c.tensor('f32', [T, H], 'xn');
  const qkv = await c.tensor('f32', [T, (NH + 2 * NKV) * HD], 'qkv'), q = await c.tensor('f32', [T, NH * HD], 'q'), att = await c.tensor('f32', [T, NH * HD], 'att');
  const gu = await c.tensor('f32', [T, 2 * I], 'gu'), logits = await c.tensor('f32', [V], 'logits'), next = await c.tensor('u32', [1], 'next');
  const partials = await c.tensor('f32', [attentionPartialsSize(1, NH, HD, 32)], 'partials');
  log(`\n--- ${dtype}: weights uploaded in ${((performance.now() - t0) / 1000).toFixed(1)} s, ${(c.stats.bytes / 2 ** 30).toFixed(2)} GiB on the GPU`);
  const rec = new Recorder(c);
  const reader = await TokenReader.create(c);
  let recordMs = 0;
  // chunk > 0: submit every `chunk` layers, so the GPU starts while the rest is recorded
  const decode = (S: number, split: boolean, greedy: boolean, chunk = 0): void => {
    const r0 = performance.now();
    rec.begin();
    embedding(rec, { out: h, ids, table: embed, T: 1 });
    for (const [li, w] of layers.entries()) {
      if (chunk > 0 && li > 0 && li % chunk === 0) {
        rec.submit();
        rec.begin();
      }
      matmul(rec, { out: qkv, x: h, w: w.qkv, T: 1, norm: { weight: w.ln1, eps: EPS } });
      ropeQk(rec, { qkv, qOut: q, qNorm: w.qn, kNorm: w.kn, rope, kCache: w.kc, vCache: w.vc, T: 1, nHeads: NH, nKvHeads: NKV, headDim: HD, pos0: S - 1, eps: EPS });
      attention(rec, { out: att, q, kCache: w.kc, vCache: w.vc, T: 1, S, nHeads: NH, nKvHeads: NKV, headDim: HD, scale: HD ** -0.5, split: split ? { partials, maxSplits: 32, minSplitLen: 64 } : undefined });
      matmul(rec, { out: h, x: att, w: w.o, T: 1, accumulate: true });
      matmul(rec, { out: gu, x: h, w: w.gu, T: 1, norm: { weight: w.ln2, eps: EPS } });
      matmul(rec, { out: h, x: gu, w: w.d, T: 1, siluMulInput: true, accumulate: true });
    }
    matmul(rec, { out: logits, x: h, w: head, T: 1, norm: { weight: fnorm, eps: EPS } });
    sample(rec, { out: next, x: logits, n: V, temperature: greedy ? 0 : 0.6, topK: 20, topP: 0.95, u: 0.5 });
    recordMs += performance.now() - r0;
    const enc = rec.end();
    reader.copy(enc, next);
    c.device.queue.submit([enc.finish()]);
  };
  const prefill = (): void => {
    rec.begin();
    embedding(rec, { out: h, ids, table: embed, T });
    for (const w of layers) {
      rmsnorm(rec, { out: xn, x: h, weight: w.ln1, rows: T, dim: H, eps: EPS });
      matmul(rec, { out: qkv, x: xn, w: w.qkv, T });
      ropeQk(rec, { qkv, qOut: q, qNorm: w.qn, kNorm: w.kn, rope, kCache: w.kc, vCache: w.vc, T, nHeads: NH, nKvHeads: NKV, headDim: HD, pos0: 0, eps: EPS });
      attention(rec, { out: att, q, kCache: w.kc, vCache: w.vc, T, S: T, nHeads: NH, nKvHeads: NKV, headDim: HD, scale: HD ** -0.5 });
      matmul(rec, { out: h, x: att, w: w.o, T, accumulate: true });
      rmsnorm(rec, { out: xn, x: h, weight: w.ln2, rows: T, dim: H, eps: EPS });
      matmul(rec, { out: gu, x: xn, w: w.gu, T });
      matmul(rec, { out: h, x: gu, w: w.d, T, siluMulInput: true, accumulate: true });
    }
    matmul(rec, { out: logits, x: h, w: head, T: 1, xOffset: (T - 1) * H, norm: { weight: fnorm, eps: EPS } });
    sample(rec, { out: next, x: logits, n: V, temperature: 0, u: 0.5 });
    const enc = rec.end();
    reader.copy(enc, next);
    c.device.queue.submit([enc.finish()]);
  };
  for (const [S, split, greedy, chunk] of [[512, false, true, 0], [512, true, true, 0], [512, true, false, 0], [1024, true, true, 0], [512, true, true, 4], [512, true, true, 1]] as const) {
    decode(S, split, greedy, chunk); await reader.read(); // warm
    const n = SMOKE ? 1 : 30;
    let rs = 0;
    recordMs = 0;
    const ts = performance.now();
    for (let i = 0; i < n; i++) {
      const a = performance.now();
      decode(S, split, greedy, chunk);
      rs += performance.now() - a;
      await reader.read();
    }
    const ms = (performance.now() - ts) / n;
    log(`decode S=${S} split=${split} ${greedy ? 'greedy' : 'top-k/top-p'} ${chunk ? `submit every ${chunk} layers` : 'one submit'}: ${ms.toFixed(2)} ms/token (${(1000 / ms).toFixed(0)} tok/s), ` +
      `${28 * (split ? 7 : 6) + 3} dispatches, JS: recording ${(recordMs / n).toFixed(2)} ms, record+submit ${(rs / n).toFixed(2)} ms`);
  }
  prefill(); await reader.read();
  const tp = performance.now();
  const np = SMOKE ? 1 : 3;
  for (let i = 0; i < np; i++) { prefill(); await reader.read(); }
  const pms = (performance.now() - tp) / np;
  log(`prefill T=512: ${pms.toFixed(1)} ms (${((512 / pms) * 1000).toFixed(0)} tok/s), ${rec.dispatches} dispatches`);
  // where prefill time goes: one layer's ops, 20 times each
  const w = layers[0];
  const parts: [string, (r: Recorder) => void][] = [
    ['rmsnorm', (r) => rmsnorm(r, { out: xn, x: h, weight: w.ln1, rows: T, dim: H, eps: EPS })],
    ['qkv matmul', (r) => matmul(r, { out: qkv, x: xn, w: w.qkv, T })],
    ['ropeQk', (r) => ropeQk(r, { qkv, qOut: q, qNorm: w.qn, kNorm: w.kn, rope, kCache: w.kc, vCache: w.vc, T, nHeads: NH, nKvHeads: NKV, headDim: HD, pos0: 0, eps: EPS })],
    ['attention (tiled)', (r) => attention(r, { out: att, q, kCache: w.kc, vCache: w.vc, T, S: T, nHeads: NH, nKvHeads: NKV, headDim: HD, scale: HD ** -0.5 })],
    ['o_proj matmul', (r) => matmul(r, { out: h, x: att, w: w.o, T, accumulate: true })],
    ['gate_up matmul', (r) => matmul(r, { out: gu, x: xn, w: w.gu, T })],
    ['down matmul (silu input)', (r) => matmul(r, { out: h, x: gu, w: w.d, T, siluMulInput: true, accumulate: true })],
  ];
  for (const [name, f] of SMOKE ? [] : parts) {
    rec.begin(); f(rec); rec.submit(); await c.sync();
    const a = performance.now();
    rec.begin(); for (let i = 0; i < 20; i++) f(rec); rec.submit(); await c.sync();
    log(`  prefill ${name}: ${(((performance.now() - a) / 20) * 1000).toFixed(0)} µs`);
  }
  for (const l of layers) for (const x of [l.qkv, l.o, l.gu, l.d]) for (const ch of x.chunks) { ch.w.destroy(); ch.d?.destroy(); }
  c.clearBindGroups();
}

const c = await acquireDevice();
log(`${c.adapterInfo.vendor} ${c.adapterInfo.description} ${JSON.stringify(c.features)}`);
await run(c, 'bf16');
await run(c, 'q8_0');
c.destroy();
