// Micro-benchmark suite 'matmul': the prefill matmul (T > 1) at the shapes of Qwen3-0.6B (T = 512) and
// the 30B-A3B attention projections, bf16 and q8_0 weights: the shipped kernel and each candidate
// tile of matmul.wgsl (MATMUL_TILES), and the int8 tensor-core kernel (matmul_mma.wgsl, its activation
// quantization pass included) where the device has it; ms per op, GFLOP/s, max relative error against
// the shipped f32 kernel's output. QO_MICRO_SMALL=1: small shapes (lavapipe smoke test).
import {
  MATMUL_TILES,
  Recorder,
  createMmaScratch,
  destroyMmaScratch,
  destroyWeight,
  matmul as gpuMatmul,
  matmulTileBytes,
  prepareMmaWeights,
  siluMul,
  uploadWeight,
  type GpuContext,
  type GpuTensor,
  type MatmulTile,
  type MmaScratch,
} from '@qo/gpu';
import { f32ToBf16, quantizeQ8_0, type Weight } from '@qo/tensor';
import { fmt, timeOp } from './time.js';

const SHAPES: [name: string, cols: number, rows: number][] = [
  ['qkv_proj 1024->4096', 1024, 4096],
  ['o_proj 2048->1024', 2048, 1024],
  ['gate_up 1024->6144', 1024, 6144],
  ['down 3072->1024', 3072, 1024],
  ['30B q 2048->5120', 2048, 5120],
  ['30B o 4096->2048', 4096, 2048],
];

type Candidate = MatmulTile | { mmaTokens: 64 | 128 } | undefined;

function random(n: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    out[i] = a / 2147483648 - 1;
  }
  return out;
}

/** Micro-benchmark suite 'matmul' (bench/gpu/micro/index.ts). */
export default async function matmul(ctx: GpuContext, log: (line: string) => void): Promise<void> {
  const small = process.env.QO_MICRO_SMALL === '1';
  const T = small ? 70 : 512;
  const shapes = small ? SHAPES.slice(0, 2).map(([n, c, r]): [string, number, number] => [n, c / 16 + 3, r / 16 + 5]) : SHAPES;
  const tiles = Object.entries(MATMUL_TILES).filter(([, t]) => matmulTileBytes(t) <= ctx.maxWorkgroupStorageBytes);
  const mma = await createMmaScratch(ctx, T, Math.max(...shapes.map(([, c]) => c)));
  log(`matmul: T = ${T}, workgroup storage ${ctx.maxWorkgroupStorageBytes} B; tiles rows×tokens/BK/buffers`);
  for (const [name, cols, rows] of shapes) {
    for (const dtype of ['bf16', 'q8_0'] as const) {
      const v = random(rows * cols, rows + cols);
      for (let i = 0; i < v.length; i++) v[i] *= 0.05;
      const w: Weight = dtype === 'bf16' ? { dtype, rows, cols, data: f32ToBf16(v) } : quantizeQ8_0(rows, cols, v);
      const gw = await uploadWeight(ctx, w, name);
      await prepareMmaWeights(ctx, [gw]);
      const x = await ctx.upload(random(T * cols, 7), [T, cols], 'x');
      const outs = [await ctx.tensor('f32', [T, rows], 'ref'), await ctx.tensor('f32', [T, rows], 'out')];
      const run = (tile: Candidate, out = outs[1]) => (rec: Recorder) =>
        tile !== undefined && 'mmaTokens' in tile
          ? gpuMatmul(rec, { out, x, w: gw, T, mma, mmaTokens: tile.mmaTokens })
          : gpuMatmul(rec, { out, x, w: gw, T, tile });
      const rec = new Recorder(ctx).begin();
      run(undefined, outs[0])(rec);
      rec.submit();
      const ref = await ctx.read(outs[0]);
      let scale = 0;
      for (const r of ref) scale = Math.max(scale, Math.abs(r));
      const flop = 2 * T * rows * cols;
      const candidates: [string, Candidate][] = [['shipped 64x64/32/1', undefined], ...tiles];
      if (mma !== undefined) {
        for (const mmaTokens of [64, 128] as const) candidates.push([`int8 tc ${mmaTokens} tok`, { mmaTokens }]);
      }
      for (const [tname, tile] of candidates) {
        let err = 0;
        if (tile !== undefined) {
          const r2 = new Recorder(ctx).begin();
          run(tile)(r2);
          r2.submit();
          const got = await ctx.read(outs[1]);
          for (let i = 0; i < got.length; i++) err = Math.max(err, Math.abs(got[i] - ref[i]) / (scale || 1));
        }
        const t = await timeOp(ctx, run(tile), small ? 3 : 20, small ? 2 : 5);
        log(`${name.padEnd(22)} ${dtype.padEnd(5)} ${tname.padEnd(20)} ${fmt(t.ms)} ms ${fmt(flop / t.ms / 1e6, 0)} GFLOP/s  max rel err ${err.toExponential(1)} (${t.clock})`);
      }
      x.buffer.destroy();
      for (const o of outs) o.buffer.destroy();
      destroyWeight(gw);
    }
  }
  if (mma !== undefined) await siluEpilogue(ctx, log, T, small ? 67 : 1024, small ? 197 : 3072, mma);
  destroyMmaScratch(mma);
}

/**
 * gate_up on the tensor cores with SiLU·mul in its epilogue (siluMulOutput) against the same matmul
 * followed by the siluMul pass, and the error of both against the f32 matmul + siluMul.
 */
async function siluEpilogue(ctx: GpuContext, log: (line: string) => void, T: number, cols: number, I: number, mma: MmaScratch): Promise<void> {
  log(`gate_up + SiLU·mul, ${cols} -> 2 x ${I}`);
  for (const dtype of ['bf16', 'q8_0'] as const) {
    const rows = 2 * I;
    const v = random(rows * cols, rows + cols);
    for (let i = 0; i < v.length; i++) v[i] *= 0.05;
    const w: Weight = dtype === 'bf16' ? { dtype, rows, cols, data: f32ToBf16(v) } : quantizeQ8_0(rows, cols, v);
    const gw = await uploadWeight(ctx, w, 'gate_up');
    await prepareMmaWeights(ctx, [gw]);
    const x = await ctx.upload(random(T * cols, 7), [T, cols], 'x');
    const gu = await ctx.tensor('f32', [T, rows], 'gate_up');
    const outs = [await ctx.tensor('f32', [T, I], 'ref'), await ctx.tensor('f32', [T, I], 'out')];
    const pass = (out: GpuTensor, withMma: boolean) => (rec: Recorder) => {
      gpuMatmul(rec, { out: gu, x, w: gw, T, mma: withMma ? mma : undefined });
      siluMul(rec, { out, gate: gu, up: gu, T, I, gateStride: rows, upStride: rows, upOffset: I });
    };
    const fused = (out: GpuTensor) => (rec: Recorder) => gpuMatmul(rec, { out, x, w: gw, T, mma, siluMulOutput: true });
    const rec = new Recorder(ctx).begin();
    pass(outs[0], false)(rec);
    rec.submit();
    const ref = await ctx.read(outs[0]);
    let scale = 0;
    for (const r of ref) scale = Math.max(scale, Math.abs(r));
    for (const [name, run] of [['f32 + siluMul', pass(outs[1], false)], ['int8 tc + siluMul', pass(outs[1], true)], ['int8 tc, SiLU fused', fused(outs[1])]] as const) {
      const r2 = new Recorder(ctx).begin();
      run(r2);
      r2.submit();
      const got = await ctx.read(outs[1]);
      let err = 0;
      for (let i = 0; i < got.length; i++) err = Math.max(err, Math.abs(got[i] - ref[i]) / (scale || 1));
      const t = await timeOp(ctx, run, 20, 5);
      log(`gate_up+silu ${dtype.padEnd(5)} ${name.padEnd(22)} ${fmt(t.ms)} ms  max rel err ${err.toExponential(1)} (${t.clock})`);
    }
    for (const t of [x, gu, ...outs]) t.buffer.destroy();
    destroyWeight(gw);
  }
}
