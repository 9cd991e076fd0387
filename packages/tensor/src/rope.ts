import { checkInt, checkLength } from './check.js';
import { RopeParametersError } from './errors.js';

/** `config.rope_parameters` as transformers 5.x standardizes it (Qwen3: default or yarn). */
export type RopeParameters =
  | { rope_type: 'default'; rope_theta: number }
  | {
      rope_type: 'yarn';
      rope_theta: number;
      factor: number;
      original_max_position_embeddings: number;
      beta_fast?: number;
      beta_slow?: number;
      attention_factor?: number;
      mscale?: number;
      mscale_all_dim?: number;
      truncate?: boolean;
    };

const f = Math.fround;

function positiveNumber(key: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new RopeParametersError(`ropeInit: rope_parameters.${key} must be a positive number, got ${String(v)}; check config.json`);
  }
  return v;
}

/** base ** (arange(0, dim, 2) / dim) in f32, as torch computes it (f32 exponent, f32 result). */
function posFreqs(base: number, dim: number): Float32Array {
  const out = new Float32Array(dim / 2);
  const b = f(base);
  for (let i = 0; i < dim / 2; i++) out[i] = b ** f((2 * i) / dim);
  return out;
}

/** transformers `_compute_default_rope_parameters`: inv_freq = 1 / base^(2i/dim), attention scaling 1. */
function defaultInvFreq(base: number, dim: number): Float32Array {
  const pos = posFreqs(base, dim);
  for (let i = 0; i < pos.length; i++) pos[i] = 1 / pos[i];
  return pos;
}

function getMscale(scale: number, mscale = 1): number {
  return scale <= 1 ? 1 : 0.1 * mscale * Math.log(scale) + 1;
}

/** transformers `_compute_yarn_parameters` (5.x): ramp-blended inv_freq and the attention factor. */
function yarn(p: Extract<RopeParameters, { rope_type: 'yarn' }>, dim: number): { invFreq: Float32Array; attentionScaling: number } {
  const base = positiveNumber('rope_theta', p.rope_theta);
  const factor = positiveNumber('factor', p.factor);
  if (factor < 1) throw new RopeParametersError(`ropeInit: yarn factor must be >= 1, got ${factor}; check config.json`);
  const originalMax = positiveNumber('original_max_position_embeddings', p.original_max_position_embeddings);
  let attentionScaling = p.attention_factor;
  if (attentionScaling === undefined || attentionScaling === null) {
    attentionScaling = p.mscale && p.mscale_all_dim ? getMscale(factor, p.mscale) / getMscale(factor, p.mscale_all_dim) : getMscale(factor);
  }
  // `or` in Python: 0 and null both fall back to the paper's defaults
  const betaFast = p.beta_fast || 32;
  const betaSlow = p.beta_slow || 1;
  const truncate = p.truncate ?? true;
  const correctionDim = (rotations: number): number =>
    (dim * Math.log(originalMax / (rotations * 2 * Math.PI))) / (2 * Math.log(base));
  let low = correctionDim(betaFast);
  let high = correctionDim(betaSlow);
  if (truncate) {
    low = Math.floor(low);
    high = Math.ceil(high);
  }
  low = Math.max(low, 0);
  high = Math.min(high, dim - 1);
  if (low === high) high += 0.001; // transformers: prevent a zero-width ramp

  const pos = posFreqs(base, dim);
  const invFreq = new Float32Array(dim / 2);
  const lowF = f(low);
  const spanF = f(high - low);
  for (let i = 0; i < dim / 2; i++) {
    const extrapolation = f(1 / pos[i]);
    const interpolation = f(1 / f(f(factor) * pos[i]));
    const ramp = Math.min(Math.max(f(f(i - lowF) / spanF), 0), 1);
    const extrapolationFactor = f(1 - ramp);
    invFreq[i] = f(f(interpolation * f(1 - extrapolationFactor)) + f(extrapolation * extrapolationFactor));
  }
  return { invFreq, attentionScaling };
}

/**
 * Inverse frequencies [headDim / 2] and the cos/sin scaling of transformers 5.x `ROPE_INIT_FUNCTIONS`
 * (default and yarn), computed in f32 where torch does. `base ** (2i / dim)` is rounded correctly to f32;
 * torch's vectorized CPU powf is not always, so an entry can differ from torch's `inv_freq` by 1 ulp
 * (seen: θ = 1e6, headDim = 128, i = 37), which moves cos/sin by ~3e-6 at position 131071. `maxPositionEmbeddings` is the config's
 * `max_position_embeddings`; yarn takes its own `factor`, as transformers 5.x does when `factor` is set.
 */
export function ropeInit(
  p: RopeParameters,
  headDim: number,
  maxPositionEmbeddings: number,
): { invFreq: Float32Array; attentionScaling: number } {
  checkInt('ropeInit', 'headDim', headDim, 2);
  checkInt('ropeInit', 'maxPositionEmbeddings', maxPositionEmbeddings);
  if (headDim % 2 !== 0) throw new RopeParametersError(`ropeInit: headDim must be even for rotate-half RoPE, got ${headDim}`);
  const partial = (p as { partial_rotary_factor?: unknown }).partial_rotary_factor;
  if (partial !== undefined && partial !== null && partial !== 1) {
    throw new RopeParametersError(
      `ropeInit: partial_rotary_factor ${String(partial)} is not implemented (only 1: RoPE over the whole head); this model cannot run until it is`,
    );
  }
  switch (p.rope_type) {
    case 'default':
      return { invFreq: defaultInvFreq(positiveNumber('rope_theta', p.rope_theta), headDim), attentionScaling: 1 };
    case 'yarn':
      return yarn(p, headDim);
    default:
      throw new RopeParametersError(
        `ropeInit: rope_type '${(p as { rope_type: string }).rope_type}' is not implemented (only 'default' and 'yarn'); ` +
          'this model cannot run until it is',
      );
  }
}

/**
 * Rotary position embedding in place, rotate-half convention (HF `apply_rotary_pos_emb`):
 * for i < D/2 with angle = f32(invFreq[i] · pos), c = cos(angle) · scaling, s = sin(angle) · scaling:
 *   x[i] ← x[i]·c − x[i + D/2]·s,   x[i + D/2] ← x[i + D/2]·c + x[i]·s.
 * x: [T, nHeads, headDim]; positions: [T]. cos/sin are computed once per (t, i) and shared by the heads.
 */
export function rope(
  x: Float32Array,
  positions: ArrayLike<number>,
  T: number,
  nHeads: number,
  headDim: number,
  invFreq: Float32Array,
  attentionScaling: number,
): void {
  checkInt('rope', 'T', T);
  checkInt('rope', 'nHeads', nHeads);
  checkInt('rope', 'headDim', headDim, 2);
  const half = headDim >> 1;
  if (headDim % 2 !== 0) throw new RopeParametersError(`rope: headDim must be even, got ${headDim}`);
  checkLength('rope', 'x', x, T * nHeads * headDim, '[T, nHeads, headDim]', T, nHeads, headDim);
  checkLength('rope', 'positions', positions, T, '[T]', T);
  checkLength('rope', 'invFreq', invFreq, half, '[headDim / 2]', half);
  const scale = f(attentionScaling);
  for (let t = 0; t < T; t++) {
    const pos = f(positions[t]);
    const rowOff = t * nHeads * headDim;
    for (let i = 0; i < half; i++) {
      const angle = f(invFreq[i] * pos);
      const c = f(f(Math.cos(angle)) * scale);
      const s = f(f(Math.sin(angle)) * scale);
      for (let h = 0; h < nHeads; h++) {
        const o = rowOff + h * headDim + i;
        const x1 = x[o];
        const x2 = x[o + half];
        x[o] = x1 * c - x2 * s;
        x[o + half] = x2 * c + x1 * s;
      }
    }
  }
}
