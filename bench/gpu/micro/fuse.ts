// Micro-benchmark suite 'fuse': a decode layer's attention part (T = 1) as the shipped unfused
// dispatches (ropeQk, split-K attention, combine, o_proj GEMV + residual: 4 dispatches) against the
// fused ones (decodeAttention: norms + RoPE + KV write + split attention; attentionOutProj: combine
// + o_proj + residual: 2 dispatches) and variants of the fused o_proj kernel. Each variant's
// sequence is recorded 28 times in one pass over LAYERS distinct layers (weights and caches, so
// they do not all sit in L2), as a model's layers would be; the time is per layer. One line per
// variant and shape: µs per layer, GB/s (o_proj weights + the K/V rows read, per layer), and the
// max relative difference of the residual stream after one layer to the shipped path's.
// Shapes: Qwen3-0.6B (16/8 heads, hidden 1024) and 30B-A3B (32/4 heads, hidden 2048), head_dim 128,
// S = 513 and 4096, o_proj bf16 and q8_0. QO_MICRO_SMALL=1: S = 65, 2 layers, fewer passes (lavapipe).
import {
  GpuShapeError,
  Recorder,
  attention,
  attentionOutProj,
  attentionPartialsSize,
  decodeAttention,
  destroyWeight,
  matmul,
  ropeQk,
  ropeTable,
  uploadWeight,
  type AttnOutConfig,
  type GpuContext,
  type GpuTensor,
  type GpuWeight,
  type RopeTable,
} from '@qo/gpu';
import { f32ToBf16, quantizeQ8_0, ropeInit, type Weight } from '@qo/tensor';
import { fmt, timeOp } from './time.js';

const HEAD_DIM = 128;
const SPLITS = { maxSplits: 32, minSplitLen: 32 }; // @qo/qwen3's DECODE_SPLITS
const RECORDED = 28; // layer sequences recorded per pass

interface Layer {
  w: GpuWeight;
  qn: GpuTensor;
  kn: GpuTensor;
  k: GpuTensor;
  v: GpuTensor;
}

interface Bufs {
  qkv: GpuTensor;
  q: GpuTensor;
  attn: GpuTensor;
  partials: GpuTensor;
  h: GpuTensor;
  rope: RopeTable;
  dims: { nHeads: number; nKvHeads: number; headDim: number };
}

interface Shape {
  name: string;
  nHeads: number;
  nKvHeads: number;
  hidden: number;
}

type Record = (rec: Recorder, l: Layer, b: Bufs, S: number) => void;

/** The shipped way first (the reference), then the fused path and its o_proj variants. */
function variants(): { name: string; dispatches: number; run: Record }[] {
  const unfused: Record = (rec, l, b, S) => {
    ropeQk(rec, { qkv: b.qkv, qOut: b.q, qNorm: l.qn, kNorm: l.kn, rope: b.rope, kCache: l.k, vCache: l.v, T: 1, ...b.dims, pos0: S - 1, eps: 1e-6 });
    attention(rec, { out: b.attn, q: b.q, kCache: l.k, vCache: l.v, T: 1, S, ...b.dims, scale: HEAD_DIM ** -0.5, split: { partials: b.partials, ...SPLITS } });
    matmul(rec, { out: b.h, x: b.attn, w: l.w, T: 1, accumulate: true });
  };
  const attn: Record = (rec, l, b, S) => {
    decodeAttention(rec, { qkv: b.qkv, partials: b.partials, qNorm: l.qn, kNorm: l.kn, rope: b.rope, kCache: l.k, vCache: l.v, S, ...b.dims, scale: HEAD_DIM ** -0.5, eps: 1e-6, ...SPLITS });
  };
  const out =
    (cfg?: AttnOutConfig | 'unfused'): Record =>
    (rec, l, b) =>
      attentionOutProj(rec, { out: b.h, partials: b.partials, w: l.w, nHeads: b.dims.nHeads, headDim: HEAD_DIM, maxSplits: SPLITS.maxSplits, accumulate: true, attn: b.attn }, cfg);
  const fused = (cfg?: AttnOutConfig | 'unfused'): Record => {
    const o = out(cfg);
    return (rec, l, b, S) => {
      attn(rec, l, b, S);
      o(rec, l, b, S);
    };
  };
  const c = (wg: number, lanes: number, unroll = 2, wide: 1 | 2 = 1, x16 = false): AttnOutConfig => ({ wg, lanes, unroll, wide, x16, subgroups: true });
  return [
    { name: 'shipped: rope+split+combine+gemv', dispatches: 4, run: unfused },
    { name: 'fused attn, combine+gemv', dispatches: 3, run: fused('unfused') },
    { name: 'fused (default)', dispatches: 2, run: fused() },
    { name: 'fused wg256 l32', dispatches: 2, run: fused(c(256, 32)) },
    { name: 'fused wg256 l64', dispatches: 2, run: fused(c(256, 64)) },
    { name: 'fused wg512 l32', dispatches: 2, run: fused(c(512, 32)) },
    { name: 'fused wg1024 l32', dispatches: 2, run: fused(c(1024, 32)) },
    { name: 'fused wg512 l64', dispatches: 2, run: fused(c(512, 64)) },
    { name: 'fused wg1024 l64', dispatches: 2, run: fused(c(1024, 64)) },
    { name: 'fused wg1024 l32 u4', dispatches: 2, run: fused(c(1024, 32, 4)) },
    { name: 'fused wg1024 l32 wide', dispatches: 2, run: fused(c(1024, 32, 2, 2)) },
    { name: 'fused wg1024 l32 wide x16', dispatches: 2, run: fused(c(1024, 32, 2, 2, true)) },
    { name: 'fused wg512 l32 u4', dispatches: 2, run: fused(c(512, 32, 4)) },
    { name: 'fused wg512 l32 wide', dispatches: 2, run: fused(c(512, 32, 2, 2)) },
    { name: 'fused wg512 l32 wide x16', dispatches: 2, run: fused(c(512, 32, 2, 2, true)) },
  ];
}

function random(n: number, seed: number, scale = 1): Float32Array<ArrayBuffer> {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    out[i] = (a / 2 ** 31 - 1) * scale;
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

function makeWeight(dtype: 'bf16' | 'q8_0', rows: number, cols: number): Weight {
  const v = random(rows * cols, rows + cols, 0.05);
  return dtype === 'bf16' ? { dtype, rows, cols, data: f32ToBf16(v) } : quantizeQ8_0(rows, cols, v);
}

/** Micro-benchmark suite 'fuse' (bench/gpu/micro/index.ts). */
export default async function fuseSuite(ctx: GpuContext, log: (line: string) => void): Promise<void> {
  const small = process.env.QO_MICRO_SMALL === '1';
  const LAYERS = small ? 2 : 8;
  const seqs = small ? [65] : [513, 4096];
  const reps = small ? 2 : 5;
  const all: Shape[] = [
    { name: '0.6B', nHeads: 16, nKvHeads: 8, hidden: 1024 },
    { name: '30B-A3B', nHeads: 32, nKvHeads: 4, hidden: 2048 },
  ];
  log(
    `fuse (decode attention part of a layer, T = 1): ${RECORDED} layer sequences a pass over ${LAYERS} layers, µs per layer; ` +
      `workgroup memory ${ctx.maxWorkgroupStorageBytes} B; err: max|h − shipped| / max|shipped| after one layer`,
  );
  const { invFreq, attentionScaling } = ropeInit({ rope_type: 'default', rope_theta: 1_000_000 }, HEAD_DIM, 4096);
  const rope = await ropeTable(ctx, invFreq, attentionScaling, Math.max(...seqs));
  for (const sh of all) {
    const qd = sh.nHeads * HEAD_DIM;
    const kd = sh.nKvHeads * HEAD_DIM;
    const maxS = Math.max(...seqs);
    const kPast = random(maxS * kd, 5);
    const vPast = random(maxS * kd, 6);
    const h0 = random(sh.hidden, 7);
    const b: Bufs = {
      qkv: await ctx.upload(random(qd + 2 * kd, 1, 2), [qd + 2 * kd], 'qkv'),
      q: await ctx.tensor('f32', [qd], 'q'),
      attn: await ctx.tensor('f32', [qd], 'attn'),
      partials: await ctx.tensor('f32', [attentionPartialsSize(1, sh.nHeads, HEAD_DIM, SPLITS.maxSplits)], 'partials'),
      h: await ctx.upload(h0, [sh.hidden], 'h'),
      rope,
      dims: { nHeads: sh.nHeads, nKvHeads: sh.nKvHeads, headDim: HEAD_DIM },
    };
    for (const dtype of ['bf16', 'q8_0'] as const) {
      const wt = makeWeight(dtype, sh.hidden, qd);
      const layers: Layer[] = [];
      for (let i = 0; i < LAYERS; i++) {
        const l: Layer = {
          w: await uploadWeight(ctx, wt, `o_proj ${i}`),
          qn: await ctx.upload(random(HEAD_DIM, 10 + i), [HEAD_DIM], 'q_norm'),
          kn: await ctx.upload(random(HEAD_DIM, 20 + i), [HEAD_DIM], 'k_norm'),
          k: await ctx.upload(kPast, [maxS, kd], 'k cache'),
          v: await ctx.upload(vPast, [maxS, kd], 'v cache'),
        };
        layers.push(l);
      }
      for (const S of seqs) {
        const bytes = layers[0].w.bytes + 2 * S * kd * 4;
        let shipped: Float32Array | undefined;
        const tag = `${sh.name.padEnd(7)} ${dtype.padEnd(4)} S=${String(S).padStart(4)}`;
        for (const v of variants()) {
          try {
            // one layer from h0: the result to compare
            ctx.device.queue.writeBuffer(b.h.buffer, 0, h0);
            const rec = new Recorder(ctx).begin();
            v.run(rec, layers[0], b, S);
            rec.submit();
            const got = (await ctx.read(b.h)) as Float32Array;
            shipped ??= got;
            const err = maxRel(got, shipped);
            let i = 0;
            const { ms, clock } = await timeOp(ctx, (r) => v.run(r, layers[i++ % LAYERS], b, S), RECORDED, reps);
            const us = ms * 1000;
            log(`  ${tag}  ${v.name.padEnd(27)} ${v.dispatches} disp ${fmt(us, 2, 8)} µs/layer (${clock}) ${fmt(bytes / ms / 1e6, 1, 7)} GB/s  err ${err.toExponential(1)}`);
          } catch (e) {
            if (!(e instanceof GpuShapeError)) throw e;
            log(`  ${tag}  ${v.name.padEnd(27)} not run: ${e.message}`);
          }
        }
      }
      for (const l of layers) {
        for (const t of [l.qn, l.kn, l.k, l.v]) t.buffer.destroy();
        destroyWeight(l.w);
      }
      ctx.clearBindGroups();
    }
    for (const t of [b.qkv, b.q, b.attn, b.partials, b.h]) t.buffer.destroy();
  }
  rope.tensor.buffer.destroy();
}
