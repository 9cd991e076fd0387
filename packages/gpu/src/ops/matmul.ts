import { checkInt, checkDistinct, checkTensor } from '../check.js';
import type { GpuContext } from '../context.js';
import { GpuShapeError } from '../errors.js';
import { Recorder } from '../recorder.js';
import type { GpuTensor } from '../tensor.js';
import { weightVariant, type GpuWeight } from '../weights.js';
import { grid, reduceInclude } from './common.js';
import { gemv } from './gemv.js';

export interface MatmulArgs {
  /** [T, rows] (or rows written at `outOffset` with row stride `outStride`). */
  out: GpuTensor;
  /** [T, cols] activations (row t at xOffset + t · xStride); [T, 2 · cols] gate|up halves with `siluMulInput`. */
  x: GpuTensor;
  w: GpuWeight;
  T: number;
  /** Element index of activation row 0 (default 0): T = 1 with xOffset = (T' − 1) · cols reads only the last token. */
  xOffset?: number;
  /** Elements between activation rows (default cols, or 2 · cols with `siluMulInput`). */
  xStride?: number;
  /** Element index of out[0, 0] (default 0), e.g. the k part of a fused qkv buffer. */
  outOffset?: number;
  /** Elements between output rows (default rows). */
  outStride?: number;
  /** out += x · wᵀ (a residual add fused in). */
  accumulate?: boolean;
  /**
   * Multiply by RMSNorm(x) (this weight, eps) instead of x (the layer's input norm fused in): T = 1, or T > 1
   * on the tensor cores (`mma`), where the norm happens in the activation quantization pass.
   */
  norm?: { weight: GpuTensor; eps: number };
  /** Each activation row is [gate, up] (2 · cols values) and the matmul reads silu(gate) · up (down_proj fused with the MLP activation). */
  siluMulInput?: boolean;
  /** T > 1 only: the tile of matmul.wgsl (default DEFAULT_TILE, 64×64/32/1); for benchmarks and tests. */
  tile?: MatmulTile;
  /**
   * T > 1, bf16 or q8_0 weights, no `tile`: run on the int8 tensor cores (matmul_mma.wgsl), the activations
   * quantized into this scratch first (createMmaScratch: undefined where the device has no tensor cores).
   */
  mma?: MmaScratch;
  /**
   * With `mma`: tokens a workgroup of matmul_mma.wgsl, 64 or 128 (default: 128 where that still makes 256
   * workgroups, so a taller tile stages each weight for more tokens without idling SMs); for benchmarks and tests.
   */
  mmaTokens?: 64 | 128;
  /**
   * With `mma` (T > 1 on the tensor cores): the weight's rows are [gate; up] (2 · I of them, one chunk), and
   * out [T, I] gets silu(x · gateᵀ) · (x · upᵀ), the Qwen3 MLP's activation, instead of both halves.
   */
  siluMulOutput?: boolean;
}

/**
 * Scratch of the tensor-core matmul: up to `tokens` activation rows of up to `cols` values as
 * mma_quantize.wgsl writes them (each row in 32-column blocks of 64 bytes, two int8 planes, and one f32
 * scale a row).
 */
export interface MmaScratch {
  readonly tokens: number;
  readonly cols: number;
  readonly q: GpuTensor;
  readonly s: GpuTensor;
}

/** Scratch for matmuls of up to `tokens` rows of up to `cols` inputs on the tensor cores; undefined where the device has none (GpuFeatures.mma). */
export async function createMmaScratch(ctx: GpuContext, tokens: number, cols: number): Promise<MmaScratch | undefined> {
  checkInt('createMmaScratch', 'tokens', tokens, 1);
  checkInt('createMmaScratch', 'cols', cols, 1);
  if (!ctx.features.mma) return undefined;
  const blocks = Math.ceil(cols / 32);
  return {
    tokens,
    cols,
    q: await ctx.tensor('u32', [tokens * blocks * 16], 'mma activations'),
    s: await ctx.tensor('f32', [tokens], 'mma activation scales'),
  };
}

export function destroyMmaScratch(m: MmaScratch | undefined): void {
  m?.q.buffer.destroy();
  m?.s.buffer.destroy();
}

/** Columns a row may have on the tensor cores: its i32 sums stay exact up to here (matmul_mma.wgsl). */
export const MMA_MAX_COLS = 65536;

/**
 * Readies bf16 and q8_0 weights for the tensor-core matmul, once at load: each row's largest magnitude
 * (mma_row_max.wgsl, one submit for all of them), the scale the kernel splits that row at. Skips f32
 * weights, weights already prepared and rows too long for the kernel; does nothing where the device
 * has no tensor-core path.
 */
export async function prepareMmaWeights(ctx: GpuContext, weights: readonly GpuWeight[]): Promise<void> {
  if (!ctx.features.mma) return;
  const todo = weights.filter((w) => w.dtype !== 'f32' && w.mmaRowMax === undefined && w.cols <= MMA_MAX_COLS);
  if (todo.length === 0) return;
  const rec = new Recorder(ctx).begin();
  for (const w of todo) {
    const m = await ctx.tensor('f32', [w.rows], `${w.label} row max`);
    const wv = weightVariant(w.dtype);
    const p = ctx.pipeline({ file: 'mma_row_max.wgsl', includes: { WEIGHT: wv.include }, bindings: [undefined, 'rw', 'read', wv.scales ? 'read' : undefined] });
    for (const c of w.chunks) rec.dispatch(p, [undefined, m, c.w, c.d], 'uuu', [c.rows, w.k8s, c.row0], grid(ctx, Math.ceil(c.rows / 64)));
    w.mmaRowMax = m;
  }
  rec.submit();
  await ctx.settle();
}

/** Override constants of matmul.wgsl: WX × WY invocations, 4·TM4 × 4·TN4 tokens × rows each, BK columns per step, NBUF buffers. */
export interface MatmulTile {
  WX: number;
  WY: number;
  TN4: 1 | 2;
  TM4: 1 | 2;
  BK: 8 | 16 | 32;
  NBUF: 1 | 2;
}

/** Candidate tiles, named rows×tokens/BK/buffers. */
export const MATMUL_TILES: Readonly<Record<string, MatmulTile>> = {
  '64x64/32/1': { WX: 16, WY: 16, TN4: 1, TM4: 1, BK: 32, NBUF: 1 },
  '64x64/16/2': { WX: 16, WY: 16, TN4: 1, TM4: 1, BK: 16, NBUF: 2 },
  '128x64/16/2': { WX: 16, WY: 16, TN4: 2, TM4: 1, BK: 16, NBUF: 2 },
  '64x128/16/2': { WX: 16, WY: 16, TN4: 1, TM4: 2, BK: 16, NBUF: 2 },
  '128x128/16/2': { WX: 16, WY: 16, TN4: 2, TM4: 2, BK: 16, NBUF: 2 },
  '128x128/32/1': { WX: 16, WY: 16, TN4: 2, TM4: 2, BK: 32, NBUF: 1 },
  '64x64/16/2 8x8': { WX: 8, WY: 8, TN4: 2, TM4: 2, BK: 16, NBUF: 2 },
  // half-height tiles: twice the workgroups where the rows are few (1,024 rows × 512 tokens: 256, not 128)
  '64x32/32/1': { WX: 16, WY: 8, TN4: 1, TM4: 1, BK: 32, NBUF: 1 },
  '32x64/32/1': { WX: 8, WY: 16, TN4: 1, TM4: 1, BK: 32, NBUF: 1 },
};

/**
 * The prefill tile: 64 rows × 64 tokens, BK 32, one buffer (16 KiB, WebGPU's minimum workgroup
 * storage). On an H100 it beat every other candidate on 10 of the 12 Qwen3 shapes × dtypes in
 * bench/gpu/micro/matmul.ts, and the previous kernel (same tile, scalar workgroup reads) on all 12
 * by 15–25% (bench/gpu/results/h100-micro-matmul.txt).
 */
const DEFAULT_TILE = MATMUL_TILES['64x64/32/1'];

/** Workgroup bytes a tile needs. */
export function matmulTileBytes(t: MatmulTile): number {
  return 4 * t.NBUF * t.BK * 4 * (t.TN4 * t.WX + t.TM4 * t.WY);
}

/** The X8 include: how activations are read. */
function x8Include(a: MatmulArgs, cols: number, xOffset: number, xStride: number): string {
  if (a.siluMulInput === true) return 'x8_silu_mul.wgsl';
  return cols % 8 === 0 && xOffset % 4 === 0 && (a.T === 1 || xStride % 4 === 0) ? 'x8_vec4.wgsl' : 'x8.wgsl';
}

/**
 * out (+)= x · wᵀ (nn.Linear without bias), f32 accumulation: a GEMV kernel for T = 1 (decode) and a
 * tiled kernel for T > 1 (prefill); one dispatch per weight chunk. Optional fusions: the input
 * RMSNorm (decode), the MLP activation on the input, the residual add on the output.
 */
export function matmul(rec: Recorder, a: MatmulArgs): void {
  const { out, x, w, T } = a;
  checkInt('matmul', 'T', T);
  if (a.siluMulOutput === true) {
    if (!usesMma(a)) throw new GpuShapeError(`matmul: siluMulOutput (${w.label}) is for T > 1 on the tensor cores (mma, bf16 or q8_0 weights); run siluMul after the matmul instead`);
    if (w.rows % 2 !== 0 || w.chunks.length !== 1) {
      throw new GpuShapeError(`matmul: siluMulOutput needs [gate; up] rows in one binding; ${w.label} has ${w.rows} rows in ${w.chunks.length} chunk(s): run siluMul after the matmul instead`);
    }
    if (a.accumulate === true || a.siluMulInput === true) throw new GpuShapeError(`matmul: siluMulOutput (${w.label}) does not combine with accumulate or siluMulInput`);
  }
  const width = a.siluMulInput === true ? 2 * w.cols : w.cols; // values per activation row
  const xOffset = a.xOffset ?? 0;
  const xStride = a.xStride ?? width;
  const outRows = a.siluMulOutput === true ? w.rows / 2 : w.rows; // values per output row
  const outOffset = a.outOffset ?? 0;
  const outStride = a.outStride ?? outRows;
  checkInt('matmul', 'xOffset', xOffset, 0);
  checkInt('matmul', 'xStride', xStride, width);
  checkInt('matmul', 'outOffset', outOffset, 0);
  checkInt('matmul', 'outStride', outStride, outRows);
  checkTensor('matmul', 'x', x, xOffset + (T - 1) * xStride + width, `x [T=${T}, ${width}] of ${w.label}`);
  checkTensor('matmul', 'out', out, outOffset + (T - 1) * outStride + outRows, `out [T=${T}, rows=${outRows}] of ${w.label}`);
  checkDistinct('matmul', ['out', out], ['x', x]);
  if (a.norm !== undefined) {
    if (T !== 1 && !usesMma(a)) {
      throw new GpuShapeError(`matmul: the fused input norm of ${w.label} is for decode (T = 1) and the tensor-core path (mma); for T = ${T} without it, run rmsnorm first`);
    }
    if (a.siluMulInput === true) throw new GpuShapeError(`matmul: ${w.label} cannot fuse both the input norm and the MLP activation`);
    checkTensor('matmul', 'norm.weight', a.norm.weight, w.cols, `the norm weight [${w.cols}] of ${w.label}`);
  }
  const ctx = rec.ctx;
  const wv = weightVariant(w.dtype);
  const X8 = x8Include(a, w.cols, xOffset, xStride);
  const acc = a.accumulate === true ? 1 : 0;
  if (T === 1) return gemv(rec, { out, x, w, xOffset, outOffset, accumulate: acc === 1, norm: a.norm, siluMulInput: a.siluMulInput === true, x8: X8 });
  if (usesMma(a)) return matmulMma(rec, a, a.mma, X8, xOffset, xStride, outStride, outOffset, acc);
  const tile = a.tile ?? DEFAULT_TILE;
  if (matmulTileBytes(tile) > ctx.maxWorkgroupStorageBytes) {
    throw new GpuShapeError(
      `matmul: tile ${JSON.stringify(tile)} for ${w.label} needs ${matmulTileBytes(tile)} bytes of workgroup storage, the device has ${ctx.maxWorkgroupStorageBytes}; pick a smaller tile`,
    );
  }
  const p = ctx.pipeline({
    file: 'matmul.wgsl',
    includes: { WEIGHT: wv.include, X8 },
    constants: { ...tile },
    bindings: ['read', 'rw', 'read', wv.scales ? 'read' : undefined],
  });
  const br = 4 * tile.TN4 * tile.WX;
  const bt = 4 * tile.TM4 * tile.WY;
  for (const c of w.chunks) {
    rec.dispatch(p, [x, out, c.w, c.d], 'uuuuuuuuu', [T, c.rows, w.cols, w.k8s, xOffset, xStride, outStride, outOffset + c.row0, acc], [
      Math.ceil(c.rows / br),
      Math.ceil(T / bt),
    ]);
  }
}

/** Whether matmul runs on the tensor cores: T > 1, scratch given, no tile asked for, bf16 or q8_0 weights, rows it can sum. */
function usesMma(a: MatmulArgs): a is MatmulArgs & { mma: MmaScratch } {
  return a.T > 1 && a.mma !== undefined && a.tile === undefined && a.w.dtype !== 'f32' && a.w.cols <= MMA_MAX_COLS;
}

/**
 * The tensor-core path: mma_quantize.wgsl turns each activation row into 16-bit fixed point at one scale
 * (two int8 planes), then matmul_mma.wgsl splits each weight row the same way while staging it and sums
 * whole rows on the int8 tensor cores, one dispatch per weight chunk. Error against the f32 kernel: at most
 * 1/65024 of the row's largest activation (and weight) a value; DECISIONS.md has the reasoning.
 */
function matmulMma(rec: Recorder, a: MatmulArgs, m: MmaScratch, X8: string, xOffset: number, xStride: number, outStride: number, outOffset: number, acc: number): void {
  const { out, x, w, T } = a;
  const ctx = rec.ctx;
  if (!ctx.features.mma) throw new GpuShapeError(`matmul: ${w.label} was given tensor-core scratch, but this device has no tensor-core path (GpuFeatures.mma)`);
  if (T > m.tokens || w.cols > m.cols) {
    throw new GpuShapeError(`matmul: the tensor-core scratch holds ${m.tokens} rows of ${m.cols} values, ${w.label} needs ${T} of ${w.cols}; create it for the largest matmul`);
  }
  if (w.mmaRowMax === undefined) {
    throw new GpuShapeError(`matmul: ${w.label} has no row scales for the tensor cores; call prepareMmaWeights(ctx, [weight]) once after uploading it${w.cols > MMA_MAX_COLS ? ` (rows of more than ${MMA_MAX_COLS} columns cannot run there)` : ''}`);
  }
  const blocks = Math.ceil(w.cols / 32);
  const wg = w.cols > 2048 ? 256 : 128;
  const norm = a.norm;
  const quantize = ctx.pipeline({
    file: 'mma_quantize.wgsl',
    includes: { X8, REDUCE: reduceInclude(ctx, wg), NORM: norm === undefined ? 'mma_norm_none.wgsl' : 'mma_norm_rms.wgsl' },
    constants: { WG: wg },
    bindings: ['read', 'rw', 'rw', norm === undefined ? undefined : 'read'],
  });
  rec.dispatch(quantize, [x, m.q, m.s, norm?.weight], 'uuuuuf', [T, w.cols, blocks, xOffset, xStride, norm?.eps ?? 0], grid(ctx, T));
  const wv = weightVariant(w.dtype);
  const bm = a.mmaTokens ?? (Math.ceil(w.rows / 64) * Math.ceil(T / 128) >= 256 ? 128 : 64);
  if (bm !== 64 && bm !== 128) throw new GpuShapeError(`matmul: mmaTokens is ${String(bm)}; the tensor-core kernel takes 64 or 128 tokens a workgroup`);
  const silu = a.siluMulOutput === true;
  const p = ctx.pipeline({
    file: 'matmul_mma.wgsl',
    includes: { WEIGHT: wv.include },
    constants: { TOK_SG: bm / 32, SILU: silu ? 1 : 0 },
    bindings: ['read', 'rw', 'read', wv.scales ? 'read' : undefined, 'read', 'read'],
  });
  for (const c of w.chunks) {
    // SILU: rows = I output columns, 32 a workgroup (its 32 gate rows and their 32 up rows)
    const rows = silu ? c.rows / 2 : c.rows;
    rec.dispatch(p, [m.q, out, c.w, c.d, m.s, w.mmaRowMax], 'uuuuuuuu', [T, rows, w.k8s, blocks, outStride, outOffset + c.row0, acc, c.row0], [
      Math.ceil(rows / (silu ? 32 : 64)),
      Math.ceil(T / bm),
    ]);
  }
}
