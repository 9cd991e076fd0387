// A synthetic Qwen3-30B-A3B forward pass on the GPU: @qo/gpu's dense ops (fused qkv with the input
// norm, qk-norm + RoPE + KV write, split-K decode attention, o_proj into the residual) and
// @qo/qwen3's sparse block (gpu-moe) in all 48 layers, random weights of the real shapes (q8_0
// blocks made from random int8 and scales, no float quantizing; bf16 from random floats). Times
// a 512-token prefill and greedy decode steps after it (the sampled token feeds the next step's
// embedding on the GPU: one 4-byte readback per token), counts dispatches, and splits a decode
// step into its attention and MoE halves. Checks nothing; it shows speed and where the time goes.
// Layer 0's experts are uploaded from the CPU; the other layers' are GPU copies of them (same
// bytes, separate buffers: speed does not depend on the values). DTYPE=q8_0|bf16 (default q8_0),
// SMOKE=1 runs a tiny model (lavapipe). Bundle with `node bench/moe/build.mjs`; run
// bench/moe/dist/synthetic-30b-a3b.mjs where the `webgpu` package resolves.
import { f32ToBf16, f32ToF16, ropeInit, type Weight } from '../../packages/gpu/node_modules/@qo/tensor/dist/index.js';
import {
  Recorder,
  TokenReader,
  acquireDevice,
  argmax,
  attention,
  attentionPartialsSize,
  embedding,
  matmul,
  rmsnorm,
  ropeQk,
  ropeTable,
  uploadWeight,
  type GpuContext,
  type GpuTensor,
  type GpuWeight,
} from '../../packages/gpu/src/index.js';
import { GpuSparseMoe, recordSparseMoe, uploadExperts, type GpuExperts, type GpuSparseMoeWeights } from '../../packages/qwen3/src/gpu-moe/index.js';

// SMOKE=1: a tiny model; SMOKE=2: the real layer shapes, 2 layers, a small vocabulary, a 64-token prompt
const SMOKE = process.env.SMOKE === '1' || process.env.SMOKE === '2';
const SMOKE_SHAPES = process.env.SMOKE === '2';
const DTYPE = (process.env.DTYPE ?? 'q8_0') as 'q8_0' | 'bf16';
// Qwen3-30B-A3B's config.json (SMOKE: a small model of the same structure)
const C = !SMOKE
  ? { H: 2048, L: 48, NH: 32, NKV: 4, HD: 128, E: 128, k: 8, I: 768, V: 151936 }
  : SMOKE_SHAPES
    ? { H: 2048, L: 2, NH: 32, NKV: 4, HD: 128, E: 128, k: 8, I: 768, V: 1000 }
    : { H: 256, L: 2, NH: 4, NKV: 2, HD: 64, E: 16, k: 4, I: 96, V: 1000 };
const PROMPT = SMOKE_SHAPES ? 64 : SMOKE ? 40 : 512;
const GEN = SMOKE ? 3 : 64;
const MAXS = PROMPT + GEN + 64;
const EPS = 1e-6;
const log = (...a: unknown[]): void => console.log(...a);

/** A fast deterministic byte stream (xorshift32), for random int8 / bf16 pools. */
function randomWords(n: number, seed: number): Uint32Array {
  const out = new Uint32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = s >>> 0;
  }
  return out;
}

const POOL_BYTES = 1 << 26;
const pool = new Int8Array(randomWords(POOL_BYTES / 4, 12345).buffer); // random int8 values
const bf16Pool = f32ToBf16(Float32Array.from(new Int8Array(pool.buffer, 0, 1 << 23), (q) => q * (0.02 / 73))); // ~U(−0.035, 0.035)
let cursor = 0;

/** A [rows, cols] weight of random values of std ~0.02: q8_0 from random int8 and one f16 scale, bf16 from the pool. */
function randomWeight(dtype: 'q8_0' | 'bf16', rows: number, cols: number): Weight {
  const n = rows * cols;
  cursor = (cursor + 7919 * 64) % (1 << 20);
  if (dtype === 'bf16') {
    const data = new Uint16Array(n);
    for (let at = 0; at < n; at += bf16Pool.length - cursor) data.set(bf16Pool.subarray(cursor, cursor + Math.min(n - at, bf16Pool.length - cursor)), at);
    return { dtype, rows, cols, data };
  }
  const padded = Math.ceil(cols / 32) * 32;
  const qs = new Int8Array(rows * padded);
  for (let at = 0; at < qs.length; at += pool.length - cursor) qs.set(pool.subarray(cursor, cursor + Math.min(qs.length - at, pool.length - cursor)), at);
  const d = new Uint16Array((rows * padded) / 32).fill(f32ToF16(Float32Array.of(0.02 / 73))[0]);
  return { dtype, rows, cols, qs, d };
}

/** A GPU copy of stacked experts (new buffers, same bytes). */
async function cloneExperts(c: GpuContext, x: GpuExperts, label: string): Promise<GpuExperts> {
  const enc = c.device.createCommandEncoder();
  const usage = 0x0080 | 0x0008 | 0x0004;
  const chunks = [];
  for (const ch of x.chunks) {
    const w = await c.createBuffer(ch.w.size, usage, label);
    enc.copyBufferToBuffer(ch.w, 0, w, 0, ch.w.size);
    const d = ch.d === undefined ? undefined : await c.createBuffer(ch.d.size, usage, `${label}.scales`);
    if (ch.d !== undefined && d !== undefined) enc.copyBufferToBuffer(ch.d, 0, d, 0, ch.d.size);
    chunks.push({ e0: ch.e0, n: ch.n, w, d });
  }
  c.device.queue.submit([enc.finish()]);
  return { ...x, chunks, label };
}

interface Layer {
  qkv: GpuWeight;
  o: GpuWeight;
  ln1: GpuTensor;
  ln2: GpuTensor;
  qn: GpuTensor;
  kn: GpuTensor;
  kc: GpuTensor;
  vc: GpuTensor;
  moe: GpuSparseMoeWeights;
}

async function main(): Promise<void> {
  const c = await acquireDevice();
  log(`${c.adapterInfo.vendor} ${c.adapterInfo.architecture} ${c.adapterInfo.description} ${JSON.stringify(c.features)}`);
  log(`synthetic Qwen3-30B-A3B${SMOKE ? ' (SMOKE)' : ''}: ${JSON.stringify(C)}, ${DTYPE} weights, bf16 router`);
  const { H, L, NH, NKV, HD, E, k, I, V } = C;
  const t0 = performance.now();
  const ones = new Float32Array(H).fill(1);
  const qkvW = randomWeight(DTYPE, (NH + 2 * NKV) * HD, H);
  const oW = randomWeight(DTYPE, H, NH * HD);
  const router = randomWeight('bf16', E, H);
  const layers: Layer[] = [];
  let experts: [GpuExperts, GpuExperts] | undefined;
  for (let l = 0; l < L; l++) {
    const p = `model.layers.${l}`;
    if (experts === undefined) {
      experts = [
        await uploadExperts(c, E, () => [randomWeight(DTYPE, I, H), randomWeight(DTYPE, I, H)], `${p}.mlp.experts.gate_up_proj`),
        await uploadExperts(c, E, () => [randomWeight(DTYPE, H, I)], `${p}.mlp.experts.down_proj`),
      ];
    }
    const gate_up_proj = l === 0 ? experts[0] : await cloneExperts(c, experts[0], `${p}.mlp.experts.gate_up_proj`);
    const down_proj = l === 0 ? experts[1] : await cloneExperts(c, experts[1], `${p}.mlp.experts.down_proj`);
    const gate = await uploadWeight(c, router, `${p}.mlp.gate.weight`);
    layers.push({
      qkv: await uploadWeight(c, qkvW, `${p}.self_attn.qkv_proj.weight`),
      o: await uploadWeight(c, oW, `${p}.self_attn.o_proj.weight`),
      ln1: await c.upload(ones, [H], 'ln1'),
      ln2: await c.upload(ones, [H], 'ln2'),
      qn: await c.upload(ones.subarray(0, HD), [HD], 'qn'),
      kn: await c.upload(ones.subarray(0, HD), [HD], 'kn'),
      kc: await c.tensor('f32', [MAXS, NKV, HD], `kv cache k ${l}`),
      vc: await c.tensor('f32', [MAXS, NKV, HD], `kv cache v ${l}`),
      moe: { gate, gate_up_proj, down_proj, bytes: gate.bytes + gate_up_proj.bytes + down_proj.bytes },
    });
    await c.sync();
  }
  const embed = await uploadWeight(c, randomWeight(DTYPE, V, H), 'model.embed_tokens.weight');
  const head = await uploadWeight(c, randomWeight(DTYPE, V, H), 'lm_head.weight');
  const fnorm = await c.upload(ones, [H], 'model.norm.weight');
  const { invFreq, attentionScaling } = ropeInit({ rope_type: 'default', rope_theta: 1e6 }, HD, 40960);
  const rope = await ropeTable(c, invFreq, attentionScaling, MAXS);
  const shape = { hidden_size: H, moe_intermediate_size: I, num_experts: E, num_experts_per_tok: k, norm_topk_prob: true };
  const moeDefault = await GpuSparseMoe.create(c, shape, { maxTokens: PROMPT, dtype: DTYPE });
  // the decode kernels' lanes per row, compared on the MoE half of a decode step
  const moeLanes: [string, GpuSparseMoe][] = [['default (32/32)', moeDefault]];
  for (const [g, d] of [[64, 64], [128, 128], [64, 128]] as const) {
    moeLanes.push([`${g}/${d}`, await GpuSparseMoe.create(c, shape, { maxTokens: 1, dtype: DTYPE, lanes: { gateUp: g, down: d } })]);
  }
  let moe = moeDefault;
  const T = PROMPT;
  const ids = await c.upload(new Uint32Array(T).map((_, i) => (i * 7919 + 13) % V), [T], 'ids');
  const h = await c.tensor('f32', [T, H], 'h');
  const xn = await c.tensor('f32', [T, H], 'xn');
  const qkv = await c.tensor('f32', [T, (NH + 2 * NKV) * HD], 'qkv');
  const q = await c.tensor('f32', [T, NH * HD], 'q');
  const att = await c.tensor('f32', [T, NH * HD], 'att');
  const logits = await c.tensor('f32', [V], 'logits');
  const next = await c.tensor('u32', [1], 'next');
  const partials = await c.tensor('f32', [attentionPartialsSize(1, NH, HD, 32)], 'partials');
  await c.sync();
  const loadMs = performance.now() - t0;
  log(`weights on the GPU in ${(loadMs / 1000).toFixed(1)} s: ${(c.stats.bytes / 2 ** 30).toFixed(2)} GiB in all (experts ${((L * (layers[0].moe.bytes)) / 2 ** 30).toFixed(2)} GiB)`);

  const rec = new Recorder(c);
  const reader = await TokenReader.create(c);
  const attn = (w: Layer, S: number): void => {
    matmul(rec, { out: qkv, x: h, w: w.qkv, T: 1, norm: { weight: w.ln1, eps: EPS } });
    ropeQk(rec, { qkv, qOut: q, qNorm: w.qn, kNorm: w.kn, rope, kCache: w.kc, vCache: w.vc, T: 1, nHeads: NH, nKvHeads: NKV, headDim: HD, pos0: S - 1, eps: EPS });
    attention(rec, { out: att, q, kCache: w.kc, vCache: w.vc, T: 1, S, nHeads: NH, nKvHeads: NKV, headDim: HD, scale: HD ** -0.5, split: { partials, maxSplits: 32, minSplitLen: 64 } });
    matmul(rec, { out: h, x: att, w: w.o, T: 1, accumulate: true });
  };
  const sparse = (w: Layer): void => recordSparseMoe(rec, moe, w.moe, h, h, 1, { norm: { weight: w.ln2, eps: EPS }, accumulate: true });
  let dispatches = 0;
  let recordMs = 0; // JavaScript time spent recording (dawn.node calls included) in the timed steps
  /** One decode step at position S − 1; parts: which halves of each layer run; chunk > 0: submit every `chunk` layers. */
  const decode = (S: number, chunk: number, parts: 'all' | 'attention' | 'moe' = 'all'): void => {
    const r0 = performance.now();
    rec.begin();
    let n = 0;
    embedding(rec, { out: h, ids: next, table: embed, T: 1 });
    for (const [li, w] of layers.entries()) {
      if (chunk > 0 && li > 0 && li % chunk === 0) {
        n += rec.dispatches;
        rec.submit();
        rec.begin();
      }
      if (parts !== 'moe') attn(w, S);
      if (parts !== 'attention') sparse(w);
    }
    matmul(rec, { out: logits, x: h, w: head, T: 1, norm: { weight: fnorm, eps: EPS } });
    argmax(rec, { out: next, x: logits, rows: 1, n: V });
    dispatches = n + rec.dispatches;
    const enc = rec.end();
    reader.copy(enc, next);
    c.device.queue.submit([enc.finish()]);
    recordMs += performance.now() - r0;
  };
  const prefill = (parts: 'all' | 'attention' | 'moe' = 'all'): void => {
    rec.begin();
    embedding(rec, { out: h, ids, table: embed, T });
    for (const w of layers) {
      if (parts !== 'moe') {
        rmsnorm(rec, { out: xn, x: h, weight: w.ln1, rows: T, dim: H, eps: EPS });
        matmul(rec, { out: qkv, x: xn, w: w.qkv, T });
        ropeQk(rec, { qkv, qOut: q, qNorm: w.qn, kNorm: w.kn, rope, kCache: w.kc, vCache: w.vc, T, nHeads: NH, nKvHeads: NKV, headDim: HD, pos0: 0, eps: EPS });
        attention(rec, { out: att, q, kCache: w.kc, vCache: w.vc, T, S: T, nHeads: NH, nKvHeads: NKV, headDim: HD, scale: HD ** -0.5 });
        matmul(rec, { out: h, x: att, w: w.o, T, accumulate: true });
      }
      if (parts !== 'attention') recordSparseMoe(rec, moe, w.moe, h, h, T, { norm: { weight: w.ln2, eps: EPS }, accumulate: true });
    }
    matmul(rec, { out: logits, x: h, w: head, T: 1, xOffset: (T - 1) * H, norm: { weight: fnorm, eps: EPS } });
    argmax(rec, { out: next, x: logits, rows: 1, n: V });
    dispatches = rec.dispatches;
    const enc = rec.end();
    reader.copy(enc, next);
    c.device.queue.submit([enc.finish()]);
  };

  prefill();
  await reader.read(); // warm (pipelines, bind groups)
  const np = SMOKE ? 1 : 3;
  const tp = performance.now();
  for (let i = 0; i < np; i++) {
    prefill();
    await reader.read();
  }
  const prefillMs = (performance.now() - tp) / np;
  log(`prefill T=${T}: ${prefillMs.toFixed(1)} ms (${((T / prefillMs) * 1000).toFixed(0)} tok/s), ${dispatches} dispatches`);
  for (const parts of ['attention', 'moe'] as const) {
    const tq = performance.now();
    for (let i = 0; i < np; i++) {
      prefill(parts);
      await reader.read();
    }
    log(`  prefill ${parts} only: ${((performance.now() - tq) / np).toFixed(1)} ms`);
  }

  const results: Record<string, number> = {};
  const tokens: number[] = [];
  for (const [chunk, parts] of [[0, 'all'], [4, 'all'], [8, 'all'], [4, 'attention'], [4, 'moe']] as const) {
    decode(PROMPT + 1, chunk, parts);
    await reader.read(); // warm
    recordMs = 0;
    const t = performance.now();
    for (let i = 0; i < GEN; i++) {
      decode(PROMPT + 1 + i, chunk, parts);
      const [tok] = await reader.read();
      if (parts === 'all' && chunk === 4) tokens.push(tok);
    }
    const ms = (performance.now() - t) / GEN;
    results[`${parts}/${chunk}`] = ms;
    log(`decode ${parts === 'all' ? 'step' : `${parts} only`}, S=${PROMPT + 1}..${PROMPT + GEN}, ${chunk ? `submit every ${chunk} layers` : 'one submit'}: ` +
      `${ms.toFixed(2)} ms/token (${(1000 / ms).toFixed(1)} tok/s), ${dispatches} dispatches, JS recording + submits ${(recordMs / GEN).toFixed(2)} ms`);
  }
  for (const [name, m] of moeLanes) {
    moe = m;
    const ms: string[] = [];
    for (const parts of ['all', 'moe'] as const) {
      decode(PROMPT + 1, 4, parts);
      await reader.read();
      const t = performance.now();
      for (let i = 0; i < GEN; i++) {
        decode(PROMPT + 1 + i, 4, parts);
        await reader.read();
      }
      const v = (performance.now() - t) / GEN;
      if (parts === 'all') results[`lanes ${name}`] = v;
      ms.push(`${parts === 'all' ? 'step' : 'moe only'} ${v.toFixed(2)} ms/token (${(1000 / v).toFixed(1)} tok/s)`);
    }
    log(`decode, submit every 4 layers, lanes gate_up/down ${name}: ${ms.join(', ')}`);
  }
  moe = moeDefault;
  const best = Math.min(results['all/0'], results['all/4'], results['all/8'], results['lanes default (32/32)']);
  log(`greedy tokens (chained on the GPU): ${tokens.slice(0, 12).join(' ')} …`);
  log(
    JSON.stringify({
      model: 'synthetic qwen3-30b-a3b',
      dtype: DTYPE,
      prompt: PROMPT,
      gen: GEN,
      prefill_tps: (T / prefillMs) * 1000,
      decode_tps: 1000 / best,
      ttft_ms: prefillMs,
      load_ms: loadMs,
      peak_rss_bytes: process.memoryUsage().rss,
      gpu_bytes: c.stats.bytes,
      adapter: `${c.adapterInfo.vendor} ${c.adapterInfo.description}`,
    }),
  );
  c.destroy();
}

await main();
