import { matmul, packedK8s, rmsnorm, type GpuContext, type GpuTensor, type GpuWeightDType, type Pipeline, type Recorder } from '@qo/gpu';
import type { Qwen3MoeTextConfig } from '@qo/loader';
import { GpuMoeArgumentError, GpuMoeConfigError } from './errors.js';
import type { GpuExperts } from './layout.js';
import { moePipeline } from './pipelines.js';
import type { GpuSparseMoeWeights } from './weights.js';

/** The config keys the sparse block reads. */
export type SparseMoeShape = Pick<Qwen3MoeTextConfig, 'hidden_size' | 'moe_intermediate_size' | 'num_experts' | 'num_experts_per_tok' | 'norm_topk_prob'>;

export interface GpuSparseMoeOptions {
  /** Most tokens one recorded call may take (the prefill length); the scratch is sized for it. */
  maxTokens: number;
  /** The expert weights' dtype (its kernels are compiled now). */
  dtype: GpuWeightDType;
  /**
   * Invocations sharing one output row in the decode gate/up and down kernels (powers of two from
   * 32 to 256; default 32, and 128 for bf16 down: the fastest measured on an H100, BENCHMARKS.md).
   */
  lanes?: { gateUp?: number; down?: number };
  /**
   * Decode kernel choices (the `override` constants of moe_gate_up.wgsl / moe_down.wgsl): `wide: 2`
   * reads 16 weights per load step (`x16`: q8_0 values as one 16-byte load), `unroll` units of each
   * gate/up row in flight (1 to 4, default 2), `stage` the normalized input in workgroup memory once
   * per workgroup (default: when it fits). Default for q8_0: `wide: 2, x16: true` where the widths
   * allow, else `wide: 1`. Defaults as benchmarked in bench/gpu/micro/moe.ts.
   */
  decode?: { wide?: 1 | 2; x16?: boolean; unroll?: number; stage?: boolean };
}

export interface SparseMoeCallOptions {
  /** out += block(x): the block's output added to the residual stream in its last dispatch. */
  accumulate?: boolean;
  /**
   * x is the residual stream and the block's input is RMSNorm(x) with this weight
   * (post_attention_layernorm): fused into the router and expert kernels for T = 1, one rmsnorm
   * dispatch for T > 1.
   */
  norm?: { weight: GpuTensor; eps: number };
  /** [≥ T, E] f32: where this call's router logits go (a probe's own tensor, `layers.{i}.router_logits`); default the shared `routerLogits`. */
  routerLogits?: GpuTensor;
}

/** Kernel limits: workgroup arrays in moe_route.wgsl and moe_topk_*.wgsl. */
const MAX_EXPERTS = 512;
const MAX_TOP_K = 32;
/** Decode kernels: invocations per workgroup (WG / lanes rows each). */
const WG = 256;
/** Grouped rows per tile of the prefill kernels (BT in moe_*_tiled.wgsl). */
const TILE_ROWS = 32;
/** Invocations per workgroup of moe_topk.wgsl (one token each). */
const TOPK_WG = 64;
/** Workgroup memory of moe_gate_up.wgsl besides the staged input: top-k scratch (≤ 2 KiB + 2 · WG words) and the reduction's WG floats. */
const STAGE_SLACK = 2048 + 4 * MAX_TOP_K * 2 + 12 * WG;

interface Kernels {
  gateUp: Pipeline;
  down: Pipeline;
  topk: Pipeline;
  route: Pipeline;
  gateUpTiled: Pipeline;
  downTiled: Pipeline;
  combine: Pipeline;
  gateUpLanes: number;
  downLanes: number;
}

/** Sections of the prefill plan for T tokens (moe_route.wgsl): u32 offsets and the total size. */
export function planLayout(s: SparseMoeShape, T: number): { maxTiles: number; tilesAt: number; rowsAt: number; slotRowAt: number; size: number } {
  const E = s.num_experts;
  const slots = T * s.num_experts_per_tok;
  // Σ_e ceil(c_e / TILE_ROWS) over the m ≤ min(E, slots) experts that get rows is at most slots / TILE_ROWS + m
  const maxTiles = Math.min(E, slots) + Math.floor(slots / TILE_ROWS);
  const tilesAt = E + 2;
  const rowsAt = tilesAt + 2 * maxTiles;
  const slotRowAt = rowsAt + slots;
  return { maxTiles, tilesAt, rowsAt, slotRowAt, size: slotRowAt + slots };
}

/**
 * The Qwen3-MoE sparse block on the GPU (transformers' Qwen3MoeSparseMoeBlock): compiled kernels and
 * scratch made once per model (shared by its sparse layers), recorded into a command encoder by
 * `recordSparseMoe` with no readback, routing included.
 */
export class GpuSparseMoe {
  readonly ctx: GpuContext;
  readonly shape: SparseMoeShape;
  readonly maxTokens: number;
  readonly dtype: GpuWeightDType;
  /** [maxTokens, E] router logits of the last call that was given no `routerLogits` tensor. */
  readonly routerLogits: GpuTensor;
  /** [maxTokens · k, 2] u32: per (token, slot) the expert id and its routing weight (f32 bits). */
  readonly route: GpuTensor;
  private readonly act: GpuTensor; // [maxTokens · k, I] silu(gate) · up of each slot
  private readonly xn: GpuTensor | undefined; // [maxTokens, H] normalized input (T > 1 with norm)
  private readonly y: GpuTensor | undefined; // [maxTokens · k, H] expert outputs (T > 1)
  private readonly plan: GpuTensor | undefined; // u32, planLayout(maxTokens)
  private readonly k: Kernels;

  private constructor(
    ctx: GpuContext,
    shape: SparseMoeShape,
    o: GpuSparseMoeOptions,
    t: { routerLogits: GpuTensor; route: GpuTensor; act: GpuTensor; xn?: GpuTensor; y?: GpuTensor; plan?: GpuTensor },
    k: Kernels,
  ) {
    this.ctx = ctx;
    this.shape = shape;
    this.maxTokens = o.maxTokens;
    this.dtype = o.dtype;
    this.routerLogits = t.routerLogits;
    this.route = t.route;
    this.act = t.act;
    this.xn = t.xn;
    this.y = t.y;
    this.plan = t.plan;
    this.k = k;
  }

  /** Compiles the kernels for `o.dtype` experts (ShaderError if one fails) and allocates the scratch for `o.maxTokens` tokens. */
  static async create(ctx: GpuContext, shape: SparseMoeShape, o: GpuSparseMoeOptions): Promise<GpuSparseMoe> {
    const { hidden_size: H, moe_intermediate_size: I, num_experts: E, num_experts_per_tok: k } = shape;
    for (const [name, v] of [['hidden_size', H], ['moe_intermediate_size', I], ['num_experts', E], ['num_experts_per_tok', k], ['maxTokens', o.maxTokens]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new GpuMoeConfigError(`GpuSparseMoe: ${name} must be a positive integer, got ${v}`);
    }
    if (E > MAX_EXPERTS) throw new GpuMoeConfigError(`GpuSparseMoe: num_experts ${E} is above the ${MAX_EXPERTS} the GPU routing kernels hold; run this model on the CPU`);
    if (k > MAX_TOP_K || k > E) {
      throw new GpuMoeConfigError(`GpuSparseMoe: num_experts_per_tok ${k} must be at most num_experts (${E}) and ${MAX_TOP_K} (the GPU top-k kernels' limit)`);
    }
    const T = o.maxTokens;
    const t = {
      routerLogits: await ctx.tensor('f32', [T, E], 'moe router_logits'),
      route: await ctx.tensor('u32', [T * k, 2], 'moe route'),
      act: await ctx.tensor('f32', [T * k, I], 'moe act'),
      xn: T > 1 ? await ctx.tensor('f32', [T, H], 'moe input norm') : undefined,
      y: T > 1 ? await ctx.tensor('f32', [T * k, H], 'moe expert out') : undefined,
      plan: T > 1 ? await ctx.tensor('u32', [planLayout(shape, T).size], 'moe plan') : undefined,
    };
    // defaults from bench/gpu/micro/moe.ts on an H100 (BENCHMARKS.md ## MoE): bf16 down rows over 128 lanes
    const lanes = { gateUp: o.lanes?.gateUp ?? 32, down: o.lanes?.down ?? (o.dtype === 'bf16' ? 128 : 32) };
    for (const [name, v] of Object.entries(lanes)) {
      if (![32, 64, 128, 256].includes(v)) throw new GpuMoeConfigError(`GpuSparseMoe: lanes.${name} must be 32, 64, 128 or 256, got ${v}`);
    }
    const dc = o.decode ?? {};
    if (dc.unroll !== undefined && ![1, 2, 3, 4].includes(dc.unroll)) throw new GpuMoeConfigError(`GpuSparseMoe: decode.unroll must be 1 to 4, got ${dc.unroll}`);
    if (dc.x16 === true && (o.dtype !== 'q8_0' || dc.wide !== 2)) throw new GpuMoeConfigError(`GpuSparseMoe: decode.x16 is for q8_0 experts with decode.wide = 2`);
    const stageFits = 32 * packedK8s(o.dtype, H) + STAGE_SLACK <= ctx.maxWorkgroupStorageBytes;
    if (dc.stage === true && !stageFits) throw new GpuMoeConfigError(`GpuSparseMoe: decode.stage needs more workgroup memory than the device's ${ctx.maxWorkgroupStorageBytes} bytes`);
    const wideFits = packedK8s(o.dtype, H) % 2 === 0 && packedK8s(o.dtype, I) % 2 === 0;
    if (dc.wide === 2 && !wideFits) {
      throw new GpuMoeConfigError(`GpuSparseMoe: decode.wide = 2 needs hidden_size and moe_intermediate_size in whole groups of 16 columns`);
    }
    // default for q8_0 experts: 16 weights a step as one 16-byte load (the fastest q8_0 choice on an H100)
    const q8Wide = o.dtype === 'q8_0' && wideFits && dc.wide === undefined && dc.x16 === undefined;
    const wide = dc.wide ?? (q8Wide ? 2 : 1);
    const decode = { wide, x16: dc.x16 ?? q8Wide, unroll: dc.unroll ?? 2, stage: dc.stage ?? stageFits };
    return new GpuSparseMoe(ctx, shape, o, t, await kernels(ctx, shape, o.dtype, lanes, decode));
  }

  /** Frees the scratch (the weights belong to the caller). */
  destroy(): void {
    for (const t of [this.routerLogits, this.route, this.act, this.xn, this.y, this.plan]) t?.buffer.destroy();
  }

  /** Dispatches `recordSparseMoe` records for T tokens with these weights (for `Recorder.reserve`). */
  dispatches(w: GpuSparseMoeWeights, T: number, norm: boolean): number {
    const c = w.gate.chunks.length + w.gate_up_proj.chunks.length + w.down_proj.chunks.length;
    return T === 1 ? c : c + (norm ? 1 : 0) + 3;
  }

  /** See recordSparseMoe. */
  record(rec: Recorder, w: GpuSparseMoeWeights, x: GpuTensor, out: GpuTensor, T: number, o: SparseMoeCallOptions = {}): void {
    this.check(w, x, out, T, o);
    const s = this.shape;
    const H = s.hidden_size;
    const E = s.num_experts;
    const I = s.moe_intermediate_size;
    const k = s.num_experts_per_tok;
    const logits = o.routerLogits ?? this.routerLogits;
    const gu = w.gate_up_proj;
    const dn = w.down_proj;
    const acc = o.accumulate === true ? 1 : 0;
    const renorm = s.norm_topk_prob ? 1 : 0;
    if (T === 1) {
      // router logits (input norm fused), then per chunk the active experts' gate/up with the top-k
      // taken in every workgroup, then their down projections summed into out
      matmul(rec, { out: logits, x, w: w.gate, T: 1, norm: o.norm });
      for (const [i, c] of gu.chunks.entries()) {
        rec.dispatch(
          this.k.gateUp,
          [x, this.act, c.w, c.d, o.norm?.weight ?? x, logits, this.route],
          'uuuuuuuufuu',
          [I, H, gu.k8s, E, k, c.e0, c.n, o.norm === undefined ? 0 : 1, o.norm?.eps ?? 0, renorm, i === 0 ? 1 : 0],
          grid(this.ctx, Math.ceil((k * I) / (WG / this.k.gateUpLanes))),
        );
      }
      for (const [i, c] of dn.chunks.entries()) {
        rec.dispatch(this.k.down, [this.act, out, c.w, c.d, this.route], 'uuuuuuu', [H, I, dn.k8s, k, c.e0, c.n, i === 0 ? acc : 1], grid(this.ctx, Math.ceil(H / (WG / this.k.downLanes))));
      }
      return;
    }
    const plan = this.plan as GpuTensor;
    const y = this.y as GpuTensor;
    let input = x;
    if (o.norm !== undefined) {
      input = this.xn as GpuTensor;
      rmsnorm(rec, { out: input, x, weight: o.norm.weight, rows: T, dim: H, eps: o.norm.eps });
    }
    matmul(rec, { out: logits, x: input, w: w.gate, T });
    rec.dispatch(this.k.topk, [logits, this.route], 'uuuu', [T, E, k, renorm], grid(this.ctx, T));
    const L = planLayout(s, T);
    rec.dispatch(this.k.route, [this.route, plan], 'uuuuuu', [T * k, E, TILE_ROWS, L.tilesAt, L.rowsAt, L.slotRowAt], [1]);
    for (const c of gu.chunks) {
      rec.dispatch(this.k.gateUpTiled, [input, this.act, c.w, c.d, plan], 'uuuuuuuu', [I, H, gu.k8s, k, c.e0, c.n, L.tilesAt, L.rowsAt], [
        Math.ceil(I / 32),
        L.maxTiles,
      ]);
    }
    for (const c of dn.chunks) {
      rec.dispatch(this.k.downTiled, [this.act, y, c.w, c.d, plan], 'uuuuuu', [H, I, dn.k8s, c.e0, c.n, L.tilesAt], [Math.ceil(H / 64), L.maxTiles]);
    }
    rec.dispatch(this.k.combine, [y, out, this.route, plan], 'uuuuu', [T, H, k, acc, L.slotRowAt], grid(this.ctx, Math.ceil((T * H) / 256)));
  }

  private check(w: GpuSparseMoeWeights, x: GpuTensor, out: GpuTensor, T: number, o: SparseMoeCallOptions): void {
    const s = this.shape;
    const H = s.hidden_size;
    const E = s.num_experts;
    const I = s.moe_intermediate_size;
    if (!Number.isInteger(T) || T < 1 || T > this.maxTokens) {
      throw new GpuMoeArgumentError(`recordSparseMoe: T = ${T} tokens is outside [1, ${this.maxTokens}]; make the GpuSparseMoe with a larger maxTokens`);
    }
    const need = (name: string, t: GpuTensor, n: number, layout: string, dtype = 'f32'): void => {
      if (t.dtype !== dtype || t.size < n) {
        throw new GpuMoeArgumentError(`recordSparseMoe: ${name} ('${t.label}', ${t.dtype}, ${t.size} elements) must be ${dtype} ${layout} (${n} elements)`);
      }
    };
    need('x', x, T * H, `[T=${T}, hidden_size=${H}]`);
    need('out', out, T * H, `[T=${T}, hidden_size=${H}]`);
    if (o.routerLogits !== undefined) need('routerLogits', o.routerLogits, T * E, `[T=${T}, num_experts=${E}]`);
    if (o.norm !== undefined) need('norm.weight', o.norm.weight, H, `[hidden_size=${H}]`);
    if (w.gate.rows !== E || w.gate.cols !== H) {
      throw new GpuMoeArgumentError(`recordSparseMoe: router ${w.gate.label} is [${w.gate.rows}, ${w.gate.cols}], the config needs [${E}, ${H}]`);
    }
    const experts = (x: GpuExperts, rows: number, cols: number): void => {
      if (x.experts !== E || x.rows !== rows || x.cols !== cols) {
        throw new GpuMoeArgumentError(`recordSparseMoe: ${x.label} is [${x.experts}, ${x.rows}, ${x.cols}], the config needs [${E}, ${rows}, ${cols}]`);
      }
      if (x.dtype !== this.dtype) {
        throw new GpuMoeArgumentError(`recordSparseMoe: ${x.label} is ${x.dtype}, but this GpuSparseMoe was made for ${this.dtype} experts; create it with dtype '${x.dtype}'`);
      }
    };
    experts(w.gate_up_proj, 2 * I, H);
    experts(w.down_proj, H, I);
  }
}

/**
 * Records the sparse block for T tokens into `rec`'s compute pass: out (+)= Σ_j w_j · SwiGLU_{e_j}(x)
 * over each token's top-k experts. Routing stays on the GPU. T = 1 (decode): 3 dispatches (router
 * GEMV with the input norm fused; the k experts' gate/up GEMV with top-k and SiLU·mul fused; their
 * down GEMV summed into out). T > 1 (prefill): router matmul, top-k, grouping of tokens by expert,
 * a tiled gate/up and down matmul per expert over its rows, and the weighted combine (plus an
 * rmsnorm with `norm`). `out` may be `x` (the residual stream, with `accumulate` and `norm`).
 * Router logits land in `o.routerLogits` or `moe.routerLogits`.
 */
export function recordSparseMoe(
  rec: Recorder,
  moe: GpuSparseMoe,
  w: GpuSparseMoeWeights,
  x: GpuTensor,
  out: GpuTensor,
  T: number,
  o: SparseMoeCallOptions = {},
): void {
  moe.record(rec, w, x, out, T, o);
}

/** Subgroup reductions when the adapter has them and they fit a group of `lanes`. */
function subgroupsFit(ctx: GpuContext, lanes: number): boolean {
  const f = ctx.features;
  return f.subgroups && f.subgroupMaxSize > 0 && f.subgroupMaxSize <= lanes;
}

function x8For(cols: number): string {
  return cols % 8 === 0 ? 'x8_vec4.wgsl' : 'x8.wgsl';
}

async function kernels(
  ctx: GpuContext,
  s: SparseMoeShape,
  dtype: GpuWeightDType,
  want: { gateUp: number; down: number },
  dc: { wide: 1 | 2; x16: boolean; unroll: number; stage: boolean },
): Promise<Kernels> {
  const H = s.hidden_size;
  const I = s.moe_intermediate_size;
  // a group of lanes holds whole subgroups (reduce_subgroup.wgsl); the shared-memory reductions take any power of two
  const gateUpLanes = Math.max(want.gateUp, ctx.features.subgroups ? ctx.features.subgroupMaxSize : 0);
  const downLanes = Math.max(want.down, ctx.features.subgroups ? ctx.features.subgroupMaxSize : 0);
  const reduce = (lanes: number): string => (subgroupsFit(ctx, lanes) ? 'reduce_subgroup.wgsl' : 'reduce_shared.wgsl');
  const subTopk = subgroupsFit(ctx, TOPK_WG);
  const WEIGHT = dc.x16 ? 'weight_q8_0_x16.wgsl' : `weight_${dtype}.wgsl`;
  const XS = dc.stage ? 2 * packedK8s(dtype, H) : 0;
  const d = dtype === 'q8_0' ? ('read' as const) : undefined;
  const [gateUp, down, topk, route, gateUpTiled, downTiled, combine] = await Promise.all([
    moePipeline(ctx, {
      file: 'moe_gate_up.wgsl',
      includes: { WEIGHT, REDUCE: reduce(gateUpLanes), TOPK: subgroupsFit(ctx, gateUpLanes) ? 'moe_topk_subgroup.wgsl' : 'moe_topk_shared.wgsl', X8: x8For(H) },
      constants: { WG, LANES: gateUpLanes, UNROLL: dc.unroll, WIDE: dc.wide, XS },
      bindings: ['read', 'rw', 'read', d, 'read', 'read', 'rw'],
    }),
    moePipeline(ctx, { file: 'moe_down.wgsl', includes: { WEIGHT, REDUCE: reduce(downLanes), X8: x8For(I) }, constants: { WG, LANES: downLanes, WIDE: dc.wide }, bindings: ['read', 'rw', 'read', d, 'read'] }),
    moePipeline(ctx, {
      file: 'moe_topk.wgsl',
      includes: { REDUCE: subTopk ? 'reduce_subgroup.wgsl' : 'reduce_shared.wgsl', TOPK: subTopk ? 'moe_topk_subgroup.wgsl' : 'moe_topk_shared.wgsl' },
      constants: { WG: TOPK_WG, LANES: TOPK_WG },
      bindings: ['read', 'rw'],
    }),
    moePipeline(ctx, { file: 'moe_route.wgsl', bindings: ['read', 'rw'] }),
    moePipeline(ctx, { file: 'moe_gate_up_tiled.wgsl', includes: { WEIGHT: `weight_${dtype}.wgsl`, X8: x8For(H) }, bindings: ['read', 'rw', 'read', d, 'read'] }),
    moePipeline(ctx, { file: 'moe_down_tiled.wgsl', includes: { WEIGHT: `weight_${dtype}.wgsl`, X8: x8For(I) }, bindings: ['read', 'rw', 'read', d, 'read'] }),
    moePipeline(ctx, { file: 'moe_combine.wgsl', constants: { WG: 256 }, bindings: ['read', 'rw', 'read', 'read'] }),
  ]);
  return { gateUp, down, topk, route, gateUpTiled, downTiled, combine, gateUpLanes, downLanes };
}

/** n workgroups as [x, y] within the per-dimension limit (the kernels use wid.x + wid.y · nwg.x). */
function grid(ctx: GpuContext, n: number): [number, number] {
  const max = ctx.maxWorkgroupsPerDimension;
  if (n <= max) return [n, 1];
  const y = Math.ceil(n / max);
  return [Math.ceil(n / y), y];
}
