import { acquireDevice, Recorder, type GpuContext } from '@qo/gpu';
import type { Qwen3MoeTextConfig } from '@qo/loader';
import { createCpuBackend, f32ToBf16, quantizeQ8_0, rmsnorm as cpuRmsnorm, type CpuBackend, type Weight } from '@qo/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { GpuMoeArgumentError, GpuMoeConfigError, GpuSparseMoe, recordSparseMoe, uploadSparseMoe } from '../src/gpu-moe/index.js';
import { makeMoeState, sparseMoeBlock } from '../src/moe.js';
import type { SparseMoeWeights } from '../src/weights.js';

// The GPU sparse block against the CPU one (src/moe.ts, on the plain 'js' backend: double
// accumulation) on the same weights: f32 / bf16 / q8_0 experts, a bf16 router (as loaded), odd sizes
// (rows that are no multiple of 8, q8_0 blocks padded), T = 1 (the decode kernels) and T > 1 (the
// grouped prefill kernels), with and without subgroups, with experts split across bindings, ties
// in the router and both settings of norm_topk_prob. Routing must agree exactly; values to f32
// rounding (the GPU accumulates in f32).
const BOUND = 1e-5;

async function testContext(opts: Parameters<typeof acquireDevice>[0] = {}): Promise<GpuContext | undefined> {
  try {
    return await acquireDevice(opts);
  } catch (e) {
    if (process.env.CI) throw e;
    console.error(`\n!!! GPU MoE tests SKIPPED: no WebGPU adapter (${String(e)})\n!!! With CI set this is a failure.\n`);
    return undefined;
  }
}

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
  for (let i = 0; i < b.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / (den || 1));
}

type DType = 'f32' | 'bf16' | 'q8_0';
interface Shape {
  H: number;
  I: number;
  E: number;
  k: number;
  renorm: boolean;
}

function config(s: Shape): Qwen3MoeTextConfig {
  return {
    hidden_size: s.H,
    moe_intermediate_size: s.I,
    num_experts: s.E,
    num_experts_per_tok: s.k,
    norm_topk_prob: s.renorm,
  } as Qwen3MoeTextConfig;
}

function weight(dtype: DType, rows: number, cols: number, r: () => number, scale: number): Weight {
  const v = randn(r, rows * cols, scale);
  if (dtype === 'f32') return { dtype, rows, cols, data: v };
  return dtype === 'bf16' ? { dtype, rows, cols, data: f32ToBf16(v) } : quantizeQ8_0(rows, cols, v);
}

/**
 * Random layer weights. `tie` lists experts whose router rows are one shared row (4 at column 0,
 * else 0): with x[t, 0] = 4 their logits are exactly 16, above every other expert's.
 */
function layer(dtype: DType, s: Shape, seed: number, tie: number[] = []): SparseMoeWeights {
  const r = rng(seed);
  const router = randn(r, s.E * s.H, 0.5);
  for (const e of tie) {
    router.fill(0, e * s.H, (e + 1) * s.H);
    router[e * s.H] = 4;
  }
  const experts = [];
  for (let e = 0; e < s.E; e++) {
    experts.push({ gate_proj: weight(dtype, s.I, s.H, r, 0.5), up_proj: weight(dtype, s.I, s.H, r, 0.5), down_proj: weight(dtype, s.H, s.I, r, 0.5) });
  }
  return { gate: { dtype: 'bf16', rows: s.E, cols: s.H, data: f32ToBf16(router) }, experts };
}

interface Want {
  out: Float32Array;
  logits: Float32Array;
  ids: Int32Array;
}

/** The CPU block: out = resid + moe(rmsnorm(resid)) with a norm, else moe(x). */
function cpu(b: CpuBackend, s: Shape, w: SparseMoeWeights, x: Float32Array, T: number, norm?: Float32Array): Want {
  const c = config(s);
  const st = makeMoeState(b, c, T);
  const h = b.f32(T * s.H);
  if (norm) cpuRmsnorm(h, x, norm, T, s.H, 1e-6);
  else h.set(x);
  const out = b.f32(T * s.H);
  let logits = new Float32Array(0);
  sparseMoeBlock(b, out, h, T, w, c, st, (d) => {
    logits = d.slice();
  });
  if (norm) for (let i = 0; i < T * s.H; i++) out[i] += x[i];
  return { out: out.slice(), logits, ids: st.topIds.slice(0, T * s.k) };
}

interface Case {
  name: string;
  dtype: DType;
  s: Shape;
  T: number;
  norm?: boolean;
  tie?: number[];
}

const odd: Shape = { H: 40, I: 20, E: 7, k: 3, renorm: true }; // x8.wgsl rows, q8_0 rows padded to 64
const aligned: Shape = { H: 64, I: 32, E: 8, k: 2, renorm: true }; // the qwen3-moe fixture's sizes (vec4 loads)
// Every kernel variant is a shader compile (seconds on lavapipe), so the cases reuse variants: per
// dtype and shape four expert kernels; T = 1 runs the decode ones, T > 1 the prefill ones.
const all: Case[] = [];
for (const dtype of ['bf16', 'q8_0'] as const) for (const T of [1, 5, 37]) all.push({ name: 'odd', dtype, s: odd, T });
all.push({ name: 'odd', dtype: 'f32', s: odd, T: 1 });
for (const T of [1, 33]) all.push({ name: 'aligned', dtype: 'q8_0', s: aligned, T });
for (const [dtype, s] of [['bf16', odd], ['q8_0', aligned]] as const) {
  all.push({ name: 'fused input norm, residual accumulate', dtype, s, T: 1, norm: true }, { name: 'input norm, residual accumulate', dtype, s, T: 9, norm: true });
}
// experts 1, 2, 4 and 6 share the leading router row: top-3 must take 1, 2 and 4 (ties to the lower id)
const tie = [1, 2, 4, 6];
all.push({ name: 'router ties', dtype: 'bf16', s: odd, T: 1, tie }, { name: 'router ties', dtype: 'bf16', s: odd, T: 6, tie });
// without norm_topk_prob the weights are the softmax probabilities themselves
all.push({ name: 'norm_topk_prob false', dtype: 'q8_0', s: { ...odd, renorm: false }, T: 1 }, { name: 'norm_topk_prob false', dtype: 'q8_0', s: { ...odd, renorm: false }, T: 11 });
// ties resolved through workgroup memory (no subgroups) and experts split across bindings (several
// dispatches per projection) share one context: the two paths are independent
const otherCases = all.filter((c) => c.dtype === 'bf16' && (c.name === 'odd' || c.tie !== undefined) && c.T < 37);

const contexts: [string, GpuContext | undefined, Case[]][] = [
  ['default', await testContext(), all],
  ['no subgroups, experts split across 4 KiB bindings', await testContext({ subgroups: false, splitBytes: 4096 }), otherCases],
];
const backend = await createCpuBackend({ kind: 'js' });

afterAll(() => {
  for (const [, c] of contexts) c?.destroy();
  backend.dispose();
});

describe.each(contexts)('GPU sparse MoE block (%s) matches the CPU block', (_ctxName, ctx, cases) => {
  it.skipIf(ctx === undefined).each(cases)('$name: $dtype T=$T', async ({ dtype, s, T, norm, tie }) => {
    const c = ctx as GpuContext;
    const w = layer(dtype, s, s.H * 7 + T, tie);
    const r = rng(T * 13 + 1);
    const x = randn(r, T * s.H);
    if (tie !== undefined) for (let t = 0; t < T; t++) x[t * s.H] = 4;
    const normW = norm ? randn(r, s.H, 1).map((v) => 1 + 0.5 * v) : undefined;
    const want = cpu(backend, s, w, x, T, normW);
    if (tie !== undefined) for (let t = 0; t < T; t++) expect([...want.ids.subarray(t * s.k, (t + 1) * s.k)]).toEqual(tie.slice(0, s.k));

    const gw = await uploadSparseMoe(c, w, 'model.layers.0.mlp');
    if (c.splitBytes === 4096) expect(gw.gate_up_proj.chunks.length).toBeGreaterThan(1);
    const moe = await GpuSparseMoe.create(c, config(s), { maxTokens: Math.max(T, 2), dtype });
    const gx = await c.upload(x, [T, s.H], 'x');
    const out = norm ? gx : await c.tensor('f32', [T, s.H], 'out');
    const probe = await c.tensor('f32', [T, s.E], 'layers.0.router_logits');
    const rec = new Recorder(c).begin();
    const normArg = normW ? { weight: await c.upload(normW, [s.H], 'post_attention_layernorm'), eps: 1e-6 } : undefined;
    recordSparseMoe(rec, moe, gw, gx, out, T, { norm: normArg, accumulate: norm, routerLogits: probe });
    expect(rec.dispatches).toBe(moe.dispatches(gw, T, normArg !== undefined));
    rec.submit();

    expect(relL2(await c.read(probe), want.logits)).toBeLessThanOrEqual(BOUND);
    const route = (await c.read(moe.route, 0, 2 * T * s.k)) as Uint32Array;
    expect([...route.filter((_, i) => i % 2 === 0)]).toEqual([...want.ids]);
    expect(relL2(await c.read(out), want.out)).toBeLessThanOrEqual(BOUND);
    moe.destroy();
  });
});

describe.skipIf(contexts[0][1] === undefined)('GPU sparse MoE block: plan and errors', () => {
  const c = contexts[0][1] as GpuContext;

  it('records again without creating anything on the GPU (decode and prefill)', async () => {
    const s = aligned;
    const w = await uploadSparseMoe(c, layer('q8_0', s, 5), 'l');
    const moe = await GpuSparseMoe.create(c, config(s), { maxTokens: 8, dtype: 'q8_0' });
    const x = await c.upload(randn(rng(1), 8 * s.H), [8, s.H], 'x');
    const out = await c.tensor('f32', [8, s.H], 'out');
    const rec = new Recorder(c);
    const step = async (): Promise<void> => {
      rec.begin();
      recordSparseMoe(rec, moe, w, x, out, 1);
      recordSparseMoe(rec, moe, w, x, out, 8);
      rec.submit();
      await c.sync();
    };
    await step();
    const before = { ...c.stats };
    await step();
    expect({ ...c.stats, dispatches: 0 }).toEqual({ ...before, dispatches: 0 });
    moe.destroy();
  });

  it.each([[64, 256]])('gives the same block with %i lanes a gate/up row and %i a down row', async (gateUp, down) => {
    const s = odd;
    const w = layer('q8_0', s, 8);
    const x = randn(rng(9), s.H);
    const want = cpu(backend, s, w, x, 1);
    const gw = await uploadSparseMoe(c, w, 'l');
    const moe = await GpuSparseMoe.create(c, config(s), { maxTokens: 1, dtype: 'q8_0', lanes: { gateUp, down } });
    const gx = await c.upload(x, [1, s.H], 'x');
    const out = await c.tensor('f32', [1, s.H], 'out');
    const rec = new Recorder(c).begin();
    recordSparseMoe(rec, moe, gw, gx, out, 1);
    rec.submit();
    expect(relL2(await c.read(out), want.out)).toBeLessThanOrEqual(BOUND);
    moe.destroy();
  });

  it('refuses configs beyond the kernels and arguments of the wrong shape', async () => {
    await expect(GpuSparseMoe.create(c, config(aligned), { maxTokens: 1, dtype: 'bf16', lanes: { down: 48 } })).rejects.toThrow(/lanes.down must be 32, 64, 128 or 256/);
    await expect(GpuSparseMoe.create(c, config({ ...aligned, E: 513 }), { maxTokens: 1, dtype: 'bf16' })).rejects.toThrow(GpuMoeConfigError);
    await expect(GpuSparseMoe.create(c, config({ ...aligned, k: 9 }), { maxTokens: 1, dtype: 'bf16' })).rejects.toThrow(/at most num_experts \(8\)/);
    const s = aligned;
    const w = await uploadSparseMoe(c, layer('bf16', s, 6), 'model.layers.3.mlp');
    const moe = await GpuSparseMoe.create(c, config(s), { maxTokens: 4, dtype: 'q8_0' });
    const x = await c.tensor('f32', [4, s.H], 'x');
    const rec = new Recorder(c).begin();
    expect(() => recordSparseMoe(rec, moe, w, x, x, 5)).toThrow(/T = 5 tokens is outside \[1, 4\]/);
    expect(() => recordSparseMoe(rec, moe, w, x, x, 1)).toThrow(/model.layers.3.mlp.experts.gate_up_proj is bf16, but this GpuSparseMoe was made for q8_0/);
    const small = await c.tensor('f32', [s.H - 1], 'small');
    expect(() => recordSparseMoe(rec, moe, w, small, x, 1)).toThrow(GpuMoeArgumentError);
    rec.submit();
    moe.destroy();
  });
});
