// Micro-benchmark suite 'attention': prefill attention (T > 1) at Qwen3's shapes, the shipped
// kernel ('tiled16', attention_tiled.wgsl) against the tiles of attention_prefill.wgsl. A row of
// output per variant and shape: ms per op, GFLOP/s (4 · D · H flops per visible (query, key)
// pair: q·k and p·v; printed as GFLOP/s), and the max relative difference to the shipped kernel's output.
// QO_MICRO_SMALL=1: T = 64 (for lavapipe); the heads and head_dim stay.
import { GpuShapeError, attention, type AttentionArgs, type GpuContext, type GpuTensor } from '@qo/gpu';
import { fmt, timeOp } from './time.js';

type Variant = NonNullable<AttentionArgs['prefill']>;

const VARIANTS: [string, Variant | undefined][] = [
  ['shipped tiled16', 'tiled16'],
  ['default', undefined],
  ['q32 k32 r2', { rows: 32, keys: 32, rowsPerInvocation: 2, kvTiles: 1 }],
  ['q32 k32 r1', { rows: 32, keys: 32, rowsPerInvocation: 1, kvTiles: 1 }],
  ['q32 k16 r2', { rows: 32, keys: 16, rowsPerInvocation: 2, kvTiles: 1 }],
  ['q32 k16 r2 kv2', { rows: 32, keys: 16, rowsPerInvocation: 2, kvTiles: 2 }],
  ['q16 k16 r2', { rows: 16, keys: 16, rowsPerInvocation: 2, kvTiles: 1 }],
  ['q16 k8 r2', { rows: 16, keys: 8, rowsPerInvocation: 2, kvTiles: 1 }],
  ['q32 k32 r2 pf', { rows: 32, keys: 32, rowsPerInvocation: 2, kvTiles: 1, prefetch: true }],
  ['q32 k32 r1 pf', { rows: 32, keys: 32, rowsPerInvocation: 1, kvTiles: 1, prefetch: true }],
  ['q32 k16 r2 kv2 pf', { rows: 32, keys: 16, rowsPerInvocation: 2, kvTiles: 2, prefetch: true }],
  ['q64 k16 r4 pf', { rows: 64, keys: 16, rowsPerInvocation: 4, kvTiles: 1, prefetch: true }],
];

function random(n: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    out[i] = a / 2 ** 31 - 1;
  }
  return out;
}

/** max |a − b| / max |b|. */
function maxRel(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return Number.isNaN(d) || Number.isNaN(m) ? Number.NaN : d / m;
}

/** Micro-benchmark suite 'attention' (bench/gpu/micro/index.ts). */
export default async function attentionSuite(ctx: GpuContext, log: (line: string) => void): Promise<void> {
  const small = process.env.QO_MICRO_SMALL === '1';
  const T = small ? 64 : 512;
  const iters = small ? 3 : 20;
  const reps = small ? 3 : 5;
  const headDim = 128;
  log(`attention (prefill): T=${T}, headDim=${headDim}, workgroup memory ${ctx.maxWorkgroupStorageBytes} B; err: max|x − shipped| / max|shipped|`);
  for (const [nHeads, nKvHeads] of [
    [16, 8],
    [32, 4],
  ]) {
    for (const S of [T, 2 * T]) {
      const past = S - T;
      const flops = 4 * headDim * nHeads * (T * past + (T * (T + 1)) / 2);
      const [q, kCache, vCache] = await Promise.all([
        ctx.upload(random(T * nHeads * headDim, 1), [T, nHeads, headDim], 'q'),
        ctx.upload(random(S * nKvHeads * headDim, 2), [S, nKvHeads, headDim], 'k cache'),
        ctx.upload(random(S * nKvHeads * headDim, 3), [S, nKvHeads, headDim], 'v cache'),
      ]);
      const outs: GpuTensor[] = [];
      let shipped: Float32Array | undefined;
      const shape = `H=${nHeads}/${nKvHeads} S=${String(S).padStart(4)}`;
      for (const [name, prefill] of VARIANTS) {
        const out = await ctx.tensor('f32', [T, nHeads, headDim], `out ${name}`);
        outs.push(out);
        const args: AttentionArgs = { out, q, kCache, vCache, T, S, nHeads, nKvHeads, headDim, scale: headDim ** -0.5, prefill };
        try {
          const { ms, clock } = await timeOp(ctx, (rec) => attention(rec, args), iters, reps);
          const got = (await ctx.read(out)) as Float32Array;
          shipped ??= got;
          const err = maxRel(got, shipped);
          log(`  ${shape}  ${name.padEnd(18)} ${fmt(ms, 4)} ms (${clock}) ${fmt(flops / ms / 1e6, 1, 8)} GFLOP/s  err ${err.toExponential(1)}`);
        } catch (e) {
          if (!(e instanceof GpuShapeError)) throw e;
          log(`  ${shape}  ${name.padEnd(18)} not run: ${e.message.replace(/^.*?\} /, '')}`);
        }
      }
      for (const t of [q, kCache, vCache, ...outs]) t.buffer.destroy();
      ctx.clearBindGroups();
    }
  }
}
