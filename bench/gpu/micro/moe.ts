// Micro-benchmark suite 'moe' (issues #5, #7): the decode GEMV (kernels/gemv.wgsl, matmul's T = 1 path)
// at Qwen3-0.6B and Qwen3-30B-A3B shapes, and the MoE decode kernels (moe_gate_up.wgsl, moe_down.wgsl) for
// 8 active experts of H 2048, I 768, each in bf16 and q8_0: the shipped config and its variants (lanes
// per row, rows per workgroup, units in flight, 16-weight units / 16-byte q8_0 loads, staged input,
// workgroup-memory reductions). One line per variant and shape: µs per op, GB/s of weights streamed,
// max relative error against the shipped config. Weights are random (speed does not depend on the
// values); each op rotates over enough copies of its weights that they do not stay in the 50 MB L2.
// Then 48 layers' worth in one pass: the 30B attention GEMVs (qkv + o_proj) and the MoE half
// (router, gate/up, down), as decode records them. QO_MICRO_SMALL=1: reduced shapes (lavapipe).
// Run from the repo root (the MoE kernels are read from kernels/): node bench/gpu/dist/main.mjs micro moe
import { readFileSync } from 'node:fs';
import { PARAMS_BYTES, Recorder, kernelSources, preprocessWgsl, type GpuContext, type GpuTensor, type GpuWeight, type KernelVariant, type Pipeline } from '@qo/gpu';
import { fmt, timeOp } from './time.js';

type DType = 'bf16' | 'q8_0';
const SMALL = process.env.QO_MICRO_SMALL === '1';
const STORAGE = 0x80 | 0x08; // GPUBufferUsage.STORAGE | COPY_DST
const COMPUTE = 0x4;

// ---- weights and inputs

/** A random buffer of `bytes` (bf16 words in ±[2⁻⁸, 1), or random int8 for 'i8', or f32 scales in [0.005, 0.015)). */
function randomBuffer(ctx: GpuContext, bytes: number, kind: 'bf16' | 'i8' | 'scale', label: string): GPUBuffer {
  const size = Math.ceil(bytes / 4) * 4;
  const buf = ctx.device.createBuffer({ size, usage: STORAGE, label });
  const block = new Uint32Array(Math.min(size, 1 << 22) / 4);
  let s = 0x9e3779b9 ^ size;
  const next = (): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
  const bf = (r: number): number => ((r & 1) << 15) | ((119 + ((r >>> 1) % 8)) << 7) | ((r >>> 4) & 0x7f);
  const f = new Float32Array(block.buffer);
  for (let i = 0; i < block.length; i++) {
    const r = next();
    if (kind === 'bf16') block[i] = (bf(r) | (bf(r >>> 12 ^ next()) << 16)) >>> 0;
    else if (kind === 'i8') block[i] = r;
    else f[i] = 0.005 + (r / 2 ** 32) * 0.01;
  }
  for (let off = 0; off < size; off += block.byteLength) ctx.device.queue.writeBuffer(buf, off, block, 0, Math.min(block.length, (size - off) / 4));
  return buf;
}

/** A random [rows, cols] weight in the packed layout uploadWeight makes, split into chunks that fit a binding. */
function randomWeight(ctx: GpuContext, dtype: DType, rows: number, cols: number, label: string): GpuWeight {
  const k8s = dtype === 'q8_0' ? Math.ceil(cols / 32) * 4 : Math.ceil(cols / 8);
  const rowBytes = dtype === 'q8_0' ? k8s * 8 : k8s * 16;
  const per = Math.max(1, Math.floor(ctx.splitBytes / rowBytes));
  const chunks = [];
  let bytes = 0;
  for (let row0 = 0; row0 < rows; row0 += per) {
    const n = Math.min(per, rows - row0);
    const w = randomBuffer(ctx, n * rowBytes, dtype === 'q8_0' ? 'i8' : 'bf16', `${label}[${row0}]`);
    const d = dtype === 'q8_0' ? randomBuffer(ctx, n * (k8s / 4) * 4, 'scale', `${label}[${row0}].d`) : undefined;
    bytes += w.size + (d?.size ?? 0);
    chunks.push({ row0, rows: n, w, d });
  }
  return { dtype, rows, cols, k8s, chunks, label, bytes };
}

async function vec(ctx: GpuContext, n: number, label: string, f: (i: number) => number = (i) => Math.sin(i * 12.9898) * 0.9): Promise<GpuTensor> {
  return ctx.upload(Float32Array.from({ length: n }, (_, i) => f(i)), [n], label);
}

function maxRelErr(a: Float32Array, ref: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < ref.length; i++) {
    num = Math.max(num, Math.abs(a[i] - ref[i]));
    den = Math.max(den, Math.abs(ref[i]));
  }
  return den === 0 ? num : num / den;
}

function grid(ctx: GpuContext, n: number): [number, number] {
  const max = ctx.maxWorkgroupsPerDimension;
  if (n <= max) return [n, 1];
  const y = Math.ceil(n / max);
  return [Math.ceil(n / y), y];
}

// ---- GEMV (kernels/gemv.wgsl; packages/gpu/src/ops/gemv.ts holds the default config)

interface GemvCfg {
  name: string;
  wg: number;
  lanes: number;
  unroll: number;
  wide: 1 | 2;
  x16?: boolean;
  stage?: boolean;
  shared?: boolean;
}

interface GemvShape {
  name: string;
  rows: number;
  cols: number;
  fuse: 'norm' | 'acc' | 'silu';
}

function gemvShapes(): GemvShape[] {
  const s = (name: string, rows: number, cols: number, fuse: GemvShape['fuse']): GemvShape =>
    SMALL ? { name, rows: Math.max(7, Math.floor(rows / 64) + 3), cols: cols / 4, fuse } : { name, rows, cols, fuse };
  return [
    s('0.6B qkv +norm', 4096, 1024, 'norm'),
    s('0.6B o_proj +res', 1024, 2048, 'acc'),
    s('0.6B gate_up +norm', 6144, 1024, 'norm'),
    s('0.6B down silu +res', 1024, 3072, 'silu'),
    s('0.6B lm_head +norm', 151936, 1024, 'norm'),
    s('30B qkv +norm', 5120, 2048, 'norm'),
    s('30B o_proj +res', 2048, 4096, 'acc'),
    s('30B router +norm', 128, 2048, 'norm'),
  ];
}

function gemvVariants(ctx: GpuContext, sh: GemvShape, dtype: DType): GemvCfg[] {
  const sg = ctx.features.subgroups ? ctx.features.subgroupMaxSize : 0;
  const l0 = Math.max(sh.cols >= 4096 ? 64 : 32, sg);
  const fused = sh.fuse !== 'acc';
  const v: GemvCfg[] = [
    { name: 'shipped', wg: 256, lanes: l0, unroll: 2, wide: 1 },
    { name: 'default', wg: 256, lanes: l0, unroll: 2, wide: 1, stage: fused },
    { name: 'stage', wg: 256, lanes: l0, unroll: 2, wide: 1, stage: true },
    { name: 'lanes64', wg: 256, lanes: Math.max(64, sg), unroll: 2, wide: 1, stage: fused },
    { name: 'lanes128', wg: 256, lanes: 128, unroll: 2, wide: 1, stage: fused },
    { name: 'wg128', wg: 128, lanes: l0, unroll: 2, wide: 1, stage: fused },
    { name: 'wg512', wg: 512, lanes: l0, unroll: 2, wide: 1, stage: fused },
    { name: 'unroll1', wg: 256, lanes: l0, unroll: 1, wide: 1, stage: fused },
    { name: 'unroll4', wg: 256, lanes: l0, unroll: 4, wide: 1, stage: fused },
    { name: 'wide2', wg: 256, lanes: l0, unroll: 2, wide: 2, stage: fused },
    { name: 'wide2 unroll4', wg: 256, lanes: l0, unroll: 4, wide: 2, stage: fused },
    { name: 'shared-reduce', wg: 256, lanes: l0, unroll: 2, wide: 1, stage: fused, shared: true },
  ];
  if (dtype === 'q8_0') {
    v.push({ name: 'wide2 x16', wg: 256, lanes: l0, unroll: 2, wide: 2, x16: true, stage: fused });
    v.push({ name: 'wide2 x16 unroll4', wg: 256, lanes: l0, unroll: 4, wide: 2, x16: true, stage: fused });
    v.push({ name: 'wide2 x16 lanes64', wg: 256, lanes: Math.max(64, sg), unroll: 2, wide: 2, x16: true, stage: fused });
  }
  return v;
}

function gemvFits(ctx: GpuContext, w: GpuWeight, c: GemvCfg): boolean {
  const wgMem = (c.stage === true ? 32 * w.k8s : 16) + 4 * c.wg;
  return wgMem <= ctx.maxWorkgroupStorageBytes && c.wg <= ctx.device.limits.maxComputeInvocationsPerWorkgroup && (c.wide === 1 || w.k8s % 2 === 0);
}

function gemvPipeline(ctx: GpuContext, w: GpuWeight, c: GemvCfg, silu: boolean): Pipeline {
  const sgFits = ctx.features.subgroups && ctx.features.subgroupMaxSize > 0 && ctx.features.subgroupMaxSize <= c.lanes;
  const X8 = silu ? 'x8_silu_mul.wgsl' : w.cols % 8 === 0 ? 'x8_vec4.wgsl' : 'x8.wgsl';
  return ctx.pipeline({
    file: 'gemv.wgsl',
    includes: {
      WEIGHT: c.x16 === true ? 'weight_q8_0_x16.wgsl' : `weight_${w.dtype}.wgsl`,
      REDUCE: sgFits && c.shared !== true ? 'reduce_subgroup.wgsl' : 'reduce_shared.wgsl',
      X8,
    },
    constants: { WG: c.wg, LANES: c.lanes, UNROLL: c.unroll, WIDE: c.wide, XS: c.stage === true ? 2 * w.k8s : 0 },
    bindings: ['read', 'rw', 'read', w.dtype === 'q8_0' ? 'read' : undefined, 'read'],
  });
}

function recordGemv(rec: Recorder, p: Pipeline, c: GemvCfg, w: GpuWeight, x: GpuTensor, out: GpuTensor, normW: GpuTensor, fuse: GemvShape['fuse']): void {
  for (const ch of w.chunks) {
    rec.dispatch(p, [x, out, ch.w, ch.d, normW], 'uuuuuuuf', [ch.rows, w.cols, w.k8s, 0, ch.row0, fuse === 'acc' ? 1 : 0, fuse === 'norm' ? 1 : 0, 1e-6], grid(rec.ctx, Math.ceil(ch.rows / (c.wg / c.lanes))));
  }
}

async function gemvSuite(ctx: GpuContext, log: (line: string) => void): Promise<void> {
  log(`moe: decode GEMV (gemv.wgsl), ${SMALL ? 'SMALL shapes' : 'real shapes'}; µs/op, GB/s of weights, max rel err vs shipped`);
  for (const dtype of ['bf16', 'q8_0'] as const) {
    for (const sh of gemvShapes()) {
      const w0 = randomWeight(ctx, dtype, sh.rows, sh.cols, `${sh.name} ${dtype}`);
      // copies so that the rotation streams ≥ 128 MB (L2 is 50 MB)
      const copies = [w0];
      while (copies.length < 16 && copies.length * w0.bytes < 128e6) copies.push(randomWeight(ctx, dtype, sh.rows, sh.cols, `${sh.name} ${dtype} #${copies.length}`));
      const width = sh.fuse === 'silu' ? 2 * sh.cols : sh.cols;
      const x = await vec(ctx, width, 'x');
      const normW = await vec(ctx, sh.cols, 'norm', (i) => 1 + 0.1 * Math.cos(i));
      const out = await ctx.tensor('f32', [sh.rows], 'out');
      let ref: Float32Array | undefined;
      for (const c of gemvVariants(ctx, sh, dtype)) {
        if (!gemvFits(ctx, w0, c)) continue;
        const p = gemvPipeline(ctx, w0, c, sh.fuse === 'silu');
        const once = async (): Promise<Float32Array> => {
          ctx.device.queue.writeBuffer(out.buffer, 0, new Float32Array(sh.rows).fill(0.5));
          const rec = new Recorder(ctx).begin();
          recordGemv(rec, p, c, w0, x, out, normW, sh.fuse);
          rec.submit();
          return (await ctx.read(out)) as Float32Array;
        };
        const got = await once();
        ref ??= got;
        let i = 0;
        const t = await timeOp(ctx, (rec) => recordGemv(rec, p, c, copies[i++ % copies.length], x, out, normW, sh.fuse), SMALL ? 4 : 40, SMALL ? 2 : 5);
        const us = t.ms * 1e3;
        log(`gemv ${dtype.padEnd(4)} ${sh.name.padEnd(20)} [${sh.rows}x${sh.cols}] ${c.name.padEnd(18)} ${fmt(us, 1)} us ${fmt(w0.bytes / (t.ms * 1e6), 0, 6)} GB/s  err ${maxRelErr(got, ref).toExponential(1)} (${t.clock})`);
      }
      for (const w of copies) for (const ch of w.chunks) (ch.w.destroy(), ch.d?.destroy());
      for (const b of [x, normW, out]) b.buffer.destroy();
      ctx.clearBindGroups();
    }
  }
}

// ---- MoE decode kernels (moe_gate_up.wgsl, moe_down.wgsl; packages/qwen3/src/gpu-moe/block.ts)

const moeFiles = ['moe_gate_up.wgsl', 'moe_down.wgsl', 'moe_topk_subgroup.wgsl', 'moe_topk_shared.wgsl'];
let sources: Record<string, string> | undefined;

/** The MoE kernels are @qo/qwen3's, which does not export its pipeline builder: compiled here from kernels/ (same layout as moePipeline). */
function moePipe(ctx: GpuContext, v: KernelVariant): Pipeline {
  sources ??= { ...kernelSources, ...Object.fromEntries(moeFiles.map((f) => [f, readFileSync(`kernels/${f}`, 'utf8')])) };
  const key = `${v.file}|${JSON.stringify(v.includes)}|${JSON.stringify(v.constants)}`;
  const label = v.file.replace(/\.wgsl$/, '');
  const entries: GPUBindGroupLayoutEntry[] = [
    { binding: 0, visibility: COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true, minBindingSize: PARAMS_BYTES } },
    ...v.bindings.flatMap((kind, i) => (kind === undefined ? [] : [{ binding: i + 1, visibility: COMPUTE, buffer: { type: kind === 'read' ? ('read-only-storage' as const) : ('storage' as const) } }])),
  ];
  const device = ctx.device;
  const module = device.createShaderModule({ code: preprocessWgsl(v.file, sources, v.includes), label });
  const layout = device.createBindGroupLayout({ entries, label });
  const pipeline = device.createComputePipeline({ label, layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }), compute: { module, entryPoint: 'main', constants: { ...v.constants } } });
  return { key, label, pipeline, layout };
}

interface MoeCfg {
  name: string;
  guLanes: number;
  downLanes: number;
  unroll: number;
  wide: 1 | 2;
  x16?: boolean;
  stage?: boolean;
}

const MOE = SMALL ? { H: 512, I: 192, E: 128, k: 8, layers: 4 } : { H: 2048, I: 768, E: 128, k: 8, layers: 48 };
const WG = 256;

interface MoeLayer {
  router: GpuWeight;
  gu: { w: GPUBuffer; d?: GPUBuffer; bytes: number };
  down: { w: GPUBuffer; d?: GPUBuffer; bytes: number };
}

/** One layer's router and the k active experts' stacked weights (experts 0 .. k − 1: the logits select them). */
function moeLayer(ctx: GpuContext, dtype: DType, i: number): MoeLayer {
  const { H, I, E, k } = MOE;
  const stack = (rows: number, cols: number, label: string): MoeLayer['gu'] => {
    const k8s = dtype === 'q8_0' ? Math.ceil(cols / 32) * 4 : Math.ceil(cols / 8);
    const n = k * rows;
    const w = randomBuffer(ctx, n * k8s * (dtype === 'q8_0' ? 8 : 16), dtype === 'q8_0' ? 'i8' : 'bf16', label);
    const d = dtype === 'q8_0' ? randomBuffer(ctx, n * k8s, 'scale', `${label}.d`) : undefined;
    return { w, d, bytes: w.size + (d?.size ?? 0) };
  };
  return { router: randomWeight(ctx, dtype, E, H, `router ${i}`), gu: stack(2 * I, H, `gate_up ${i}`), down: stack(H, I, `down ${i}`) };
}

async function moeSuite(ctx: GpuContext, log: (line: string) => void): Promise<void> {
  const { H, I, E, k, layers } = MOE;
  const sg = ctx.features.subgroups ? ctx.features.subgroupMaxSize : 0;
  const sgFits = (lanes: number): boolean => ctx.features.subgroups && sg > 0 && sg <= lanes;
  log(`moe: decode experts (moe_gate_up / moe_down), k ${k} of ${E}, H ${H}, I ${I}; per op over ${Math.min(layers, 8)} layers' weights, then ${layers} layers in one pass`);
  for (const dtype of ['bf16', 'q8_0'] as const) {
    const L: MoeLayer[] = [];
    for (let i = 0; i < layers; i++) L.push(moeLayer(ctx, dtype, i));
    const k8sH = dtype === 'q8_0' ? Math.ceil(H / 32) * 4 : Math.ceil(H / 8);
    const k8sI = dtype === 'q8_0' ? Math.ceil(I / 32) * 4 : Math.ceil(I / 8);
    const x = await vec(ctx, H, 'x');
    const normW = await vec(ctx, H, 'norm', (i) => 1 + 0.1 * Math.cos(i));
    const logits = await vec(ctx, E, 'logits', (e) => (e < k ? 4 - 0.3 * e : -4 - Math.sin(e)));
    const scratch = await ctx.tensor('f32', [E], 'router out');
    const route = await ctx.tensor('u32', [k, 2], 'route');
    const act = await ctx.tensor('f32', [k, I], 'act');
    const out = await ctx.tensor('f32', [H], 'out');
    const variants: MoeCfg[] = [
      { name: 'shipped', guLanes: Math.max(32, sg), downLanes: Math.max(32, sg), unroll: 2, wide: 1 },
      { name: 'default (stage)', guLanes: Math.max(32, sg), downLanes: Math.max(32, sg), unroll: 2, wide: 1, stage: true },
      { name: 'lanes64', guLanes: 64, downLanes: 64, unroll: 2, wide: 1, stage: true },
      { name: 'down lanes128', guLanes: Math.max(32, sg), downLanes: 128, unroll: 2, wide: 1, stage: true },
      { name: 'unroll1', guLanes: Math.max(32, sg), downLanes: Math.max(32, sg), unroll: 1, wide: 1, stage: true },
      { name: 'unroll4', guLanes: Math.max(32, sg), downLanes: Math.max(32, sg), unroll: 4, wide: 1, stage: true },
      { name: 'wide2', guLanes: Math.max(32, sg), downLanes: Math.max(32, sg), unroll: 2, wide: 2, stage: true },
      { name: 'wide2 lanes64', guLanes: 64, downLanes: 64, unroll: 2, wide: 2, stage: true },
    ];
    if (dtype === 'q8_0') {
      variants.push({ name: 'wide2 x16', guLanes: Math.max(32, sg), downLanes: Math.max(32, sg), unroll: 2, wide: 2, x16: true, stage: true });
      variants.push({ name: 'wide2 x16 unroll1', guLanes: Math.max(32, sg), downLanes: Math.max(32, sg), unroll: 1, wide: 2, x16: true, stage: true });
      variants.push({ name: 'wide2 x16 lanes64', guLanes: 64, downLanes: 64, unroll: 2, wide: 2, x16: true, stage: true });
    }
    let refAct: Float32Array | undefined;
    let refOut: Float32Array | undefined;
    for (const c of variants) {
      if (c.stage === true && 32 * k8sH + 2048 + 256 + 12 * WG > ctx.maxWorkgroupStorageBytes) continue;
      const WEIGHT = c.x16 === true ? 'weight_q8_0_x16.wgsl' : `weight_${dtype}.wgsl`;
      const d = dtype === 'q8_0' ? ('read' as const) : undefined;
      const gu = moePipe(ctx, {
        file: 'moe_gate_up.wgsl',
        includes: { WEIGHT, REDUCE: sgFits(c.guLanes) ? 'reduce_subgroup.wgsl' : 'reduce_shared.wgsl', TOPK: sgFits(c.guLanes) ? 'moe_topk_subgroup.wgsl' : 'moe_topk_shared.wgsl', X8: 'x8_vec4.wgsl' },
        constants: { WG, LANES: c.guLanes, UNROLL: c.unroll, WIDE: c.wide, XS: c.stage === true ? 2 * k8sH : 0 },
        bindings: ['read', 'rw', 'read', d, 'read', 'read', 'rw'],
      });
      const dn = moePipe(ctx, {
        file: 'moe_down.wgsl',
        includes: { WEIGHT, REDUCE: sgFits(c.downLanes) ? 'reduce_subgroup.wgsl' : 'reduce_shared.wgsl', X8: 'x8_vec4.wgsl' },
        constants: { WG, LANES: c.downLanes, WIDE: c.wide },
        bindings: ['read', 'rw', 'read', d, 'read'],
      });
      const router = gemvPipeline(ctx, L[0].router, { name: '', wg: 256, lanes: Math.max(32, sg), unroll: 2, wide: 1, stage: true }, false);
      const recGu = (rec: Recorder, l: MoeLayer): void =>
        rec.dispatch(gu, [x, act, l.gu.w, l.gu.d, normW, logits, route], 'uuuuuuuufuu', [I, H, k8sH, E, k, 0, E, 1, 1e-6, 1, 1], grid(ctx, Math.ceil((k * I) / (WG / c.guLanes))));
      const recDown = (rec: Recorder, l: MoeLayer): void =>
        rec.dispatch(dn, [act, out, l.down.w, l.down.d, route], 'uuuuuuu', [H, I, k8sI, k, 0, E, 1], grid(ctx, Math.ceil(H / (WG / c.downLanes))));
      const recRouter = (rec: Recorder, l: MoeLayer): void => {
        const rc = { name: '', wg: 256, lanes: Math.max(32, sg), unroll: 2, wide: 1 as const, stage: true };
        recordGemv(rec, router, rc, l.router, x, scratch, normW, 'norm');
      };
      // outputs of one layer, against the shipped config
      ctx.device.queue.writeBuffer(out.buffer, 0, new Float32Array(H));
      const rec = new Recorder(ctx).begin();
      recGu(rec, L[0]);
      recDown(rec, L[0]);
      rec.submit();
      const gotAct = (await ctx.read(act)) as Float32Array;
      const gotOut = (await ctx.read(out)) as Float32Array;
      refAct ??= gotAct;
      refOut ??= gotOut;
      const rot = Math.min(layers, 8);
      let i = 0;
      const tGu = await timeOp(ctx, (r) => recGu(r, L[i++ % rot]), SMALL ? 4 : 40, SMALL ? 2 : 5);
      i = 0;
      const tDn = await timeOp(ctx, (r) => recDown(r, L[i++ % rot]), SMALL ? 4 : 40, SMALL ? 2 : 5);
      const tAll = await timeOp(
        ctx,
        (r) => {
          for (const l of L) (recRouter(r, l), recGu(r, l), recDown(r, l));
        },
        1,
        SMALL ? 2 : 5,
      );
      const perLayer = L[0].gu.bytes + L[0].down.bytes + L[0].router.bytes;
      const tag = `moe  ${dtype.padEnd(4)} ${c.name.padEnd(18)}`;
      log(`${tag} gate_up ${fmt(tGu.ms * 1e3, 1)} us ${fmt(L[0].gu.bytes / (tGu.ms * 1e6), 0, 6)} GB/s err ${maxRelErr(gotAct, refAct).toExponential(1)} | down ${fmt(tDn.ms * 1e3, 1)} us ${fmt(L[0].down.bytes / (tDn.ms * 1e6), 0, 6)} GB/s err ${maxRelErr(gotOut, refOut).toExponential(1)}`);
      log(`${tag} ${layers} layers [router, gate_up, down] one pass ${fmt(tAll.ms, 3)} ms ${fmt((perLayer * layers) / (tAll.ms * 1e6), 0, 6)} GB/s (${tAll.clock})`);
    }
    for (const l of L) for (const b of [l.gu.w, l.gu.d, l.down.w, l.down.d, ...l.router.chunks.flatMap((c) => [c.w, c.d])]) b?.destroy();
    for (const t of [x, normW, logits, scratch, route, act, out]) t.buffer.destroy();
    ctx.clearBindGroups();
  }
}

// ---- 48 layers of the 30B attention GEMVs (qkv + o_proj) in one pass

async function attnGemvPass(ctx: GpuContext, log: (line: string) => void): Promise<void> {
  const layers = SMALL ? 4 : 48;
  const [qkv, o] = SMALL ? [[320, 512], [128, 256]] : [[5120, 2048], [2048, 4096]];
  const sg = ctx.features.subgroups ? ctx.features.subgroupMaxSize : 0;
  for (const dtype of ['bf16', 'q8_0'] as const) {
    const W = Array.from({ length: layers }, (_, i) => [randomWeight(ctx, dtype, qkv[0], qkv[1], `qkv ${i}`), randomWeight(ctx, dtype, o[0], o[1], `o ${i}`)]);
    const x = await vec(ctx, o[1], 'x');
    const normW = await vec(ctx, qkv[1], 'norm');
    const y = await ctx.tensor('f32', [qkv[0]], 'qkv');
    const h = await ctx.tensor('f32', [o[0]], 'h');
    const cfgs: GemvCfg[] = [
      { name: 'shipped', wg: 256, lanes: Math.max(32, sg), unroll: 2, wide: 1 },
      { name: 'default', wg: 256, lanes: Math.max(32, sg), unroll: 2, wide: 1, stage: true },
      { name: 'wide2', wg: 256, lanes: Math.max(32, sg), unroll: 2, wide: 2, stage: true },
    ];
    if (dtype === 'q8_0') cfgs.push({ name: 'wide2 x16', wg: 256, lanes: Math.max(32, sg), unroll: 2, wide: 2, x16: true, stage: true });
    for (const c of cfgs) {
      if (!gemvFits(ctx, W[0][0], c)) continue;
      const cO = { ...c, stage: false, lanes: c.name === 'shipped' ? Math.max(64, sg) : c.lanes };
      const pq = gemvPipeline(ctx, W[0][0], c, false);
      const po = gemvPipeline(ctx, W[0][1], cO, false);
      const t = await timeOp(
        ctx,
        (r) => {
          for (const [wq, wo] of W) (recordGemv(r, pq, c, wq, x, y, normW, 'norm'), recordGemv(r, po, cO, wo, x, h, normW, 'acc'));
        },
        1,
        SMALL ? 2 : 5,
      );
      const bytes = W.reduce((s, [a, b]) => s + a.bytes + b.bytes, 0);
      log(`attn gemv ${dtype.padEnd(4)} ${c.name.padEnd(18)} ${layers} layers [qkv +norm, o_proj +res] one pass ${fmt(t.ms, 3)} ms ${fmt(bytes / (t.ms * 1e6), 0, 6)} GB/s (${t.clock})`);
    }
    for (const l of W) for (const w of l) for (const ch of w.chunks) (ch.w.destroy(), ch.d?.destroy());
    for (const t of [x, normW, y, h]) t.buffer.destroy();
    ctx.clearBindGroups();
  }
}

/** Micro-benchmark suite 'moe' (bench/gpu/micro/index.ts). */
export default async function moe(ctx: GpuContext, log: (line: string) => void): Promise<void> {
  await gemvSuite(ctx, log);
  await moeSuite(ctx, log);
  await attnGemvPass(ctx, log);
}
