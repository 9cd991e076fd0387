/**
 * Pass bounds per weight precision. apps/validate/README.md explains each number and shows what
 * the committed fixtures measure against them.
 */

/** `--dtype`: how the weights are held at load; compute is always f32. */
export type WeightDType = 'f32' | 'bf16' | 'q8_0';
export const WEIGHT_DTYPES: readonly WeightDType[] = ['f32', 'bf16', 'q8_0'];

/** Bounds for one compared tensor; a check passes when every bound given holds. */
export interface TensorBound {
  maxRelL2: number;
  minCosine?: number;
  /** logits-like tensors only: fraction of rows whose argmax agrees */
  minArgmaxAgreement?: number;
}

export interface Thresholds {
  /** what the profile is, as printed in the report header */
  name: string;
  /** embed, layers.{i}, norm */
  hidden: TensorBound;
  /** layers.{i}.router_logits */
  routerLogits: TensorBound;
  /** logits over the prompt positions */
  logits: TensorBound;
  /** each row of decode_logits */
  decodeLogits: TensorBound;
  /**
   * 'exact': every greedy id must match. { nearTieSigmas: c }: ids must match at every step whose
   * reference top-1/top-2 margin exceeds c·σ, σ = RMS of that step's logit error (measured against
   * decode_logits); a flip at a closer call is reported and tolerated. Noise-like error cannot
   * swap two logits c·σ apart; a flip beyond that means the error sits on the top candidates.
   */
  greedy: 'exact' | { nearTieSigmas: number };
}

/**
 * f32 compute over bf16 weights (held as bf16 or expanded to f32: the same numbers). The reference
 * is f32 compute from the same bf16-rounded weights, so only summation order differs (~1e-6).
 */
const F32_COMPUTE: Thresholds = {
  name: 'f32 compute on bf16 weights',
  hidden: { maxRelL2: 1e-4 },
  routerLogits: { maxRelL2: 1e-4 },
  logits: { maxRelL2: 1e-4 },
  decodeLogits: { maxRelL2: 1e-4 },
  greedy: 'exact',
};

/**
 * q8_0 weights: each weight is rounded to 1/127 of its 32-block's largest magnitude, which puts
 * ~0.5% relative error on every matmul; it accumulates over layers, and in MoE layers a router
 * near tie can send a token to another expert. Measured worst case on the committed fixtures:
 * relL2 3.7e-2, cosine 0.99933 (qwen3-moe logits); see README.md.
 */
const Q8_0: Thresholds = {
  name: 'f32 compute on q8_0 weights',
  hidden: { maxRelL2: 1e-1, minCosine: 0.998 },
  routerLogits: { maxRelL2: 1e-1, minCosine: 0.998 },
  logits: { maxRelL2: 1e-1, minCosine: 0.998, minArgmaxAgreement: 0.9 },
  decodeLogits: { maxRelL2: 1e-1, minCosine: 0.998 },
  greedy: { nearTieSigmas: 6 },
};

export const THRESHOLDS: Readonly<Record<WeightDType, Thresholds>> = { f32: F32_COMPUTE, bf16: F32_COMPUTE, q8_0: Q8_0 };

/** Why a tensor fails its bound ('' when it passes). NaN fails every bound. */
export function boundFailure(
  m: { relL2: number; cosine: number; argmaxAgreement?: number },
  b: TensorBound,
): string {
  if (!(m.relL2 <= b.maxRelL2)) return `relL2 ${fmt(m.relL2)} > ${fmt(b.maxRelL2)}`;
  if (b.minCosine !== undefined && !(m.cosine >= b.minCosine)) return `cosine ${m.cosine.toFixed(6)} < ${b.minCosine}`;
  if (b.minArgmaxAgreement !== undefined && !((m.argmaxAgreement ?? NaN) >= b.minArgmaxAgreement)) {
    return `argmax agreement ${(m.argmaxAgreement ?? NaN).toFixed(3)} < ${b.minArgmaxAgreement}`;
  }
  return '';
}

/** The bound as printed beside the numbers. */
export function describeBound(b: TensorBound): string {
  let s = `relL2≤${fmt(b.maxRelL2)}`;
  if (b.minCosine !== undefined) s += ` cos≥${b.minCosine}`;
  if (b.minArgmaxAgreement !== undefined) s += ` argmax≥${b.minArgmaxAgreement}`;
  return s;
}

/** Short scientific notation: 3.1e-2, 1e-4, 0. */
export function fmt(x: number): string {
  if (x === 0) return '0';
  if (!Number.isFinite(x)) return String(x);
  const [m, e] = x.toExponential(1).split('e');
  return `${m.replace(/\.0$/, '')}e${Number(e)}`;
}
