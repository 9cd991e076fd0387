import { ConfigReader, REQUIRED, dflt } from './config-read.js';
import { isPlainObject } from './strict-json.js';

/** Multimodal RoPE of Qwen3-Omni: rotary frequencies split into (temporal, height, width) sections, interleaved. */
export interface MultimodalRope {
  /** frequencies per axis (temporal, height, width); transformers' default is [24, 20, 20] */
  mrope_section?: readonly [number, number, number];
  /** always true when present: Qwen3-Omni interleaves sections as T,H,W,T,H,W,... (non-interleaved is refused) */
  interleaved?: true;
}

export interface DefaultRopeParameters extends MultimodalRope {
  rope_type: 'default';
  rope_theta: number;
}

/** YaRN, with every default resolved exactly as transformers 5 `_compute_yarn_parameters` does. */
export interface YarnRopeParameters extends MultimodalRope {
  rope_type: 'yarn';
  rope_theta: number;
  factor: number;
  /** from the top-level config key, else the rope dict, else `max_position_embeddings` */
  original_max_position_embeddings: number;
  /** `beta_fast or 32` */
  beta_fast: number;
  /** `beta_slow or 1` */
  beta_slow: number;
  /** the cos/sin scale: given, or from mscale/mscale_all_dim, or 0.1·ln(factor)+1 (1 when factor <= 1) */
  attention_factor: number;
  mscale?: number;
  mscale_all_dim?: number;
  /** floor/ceil the correction range (default true) */
  truncate: boolean;
}

export type RopeParameters = DefaultRopeParameters | YarnRopeParameters;

export interface RopeContext {
  max_position_embeddings: number;
  /** theta when neither the rope dict nor the config has one; undefined makes rope_theta required */
  default_theta: number | undefined;
  /** Qwen3-Omni thinker text: read mrope_section / interleaved */
  multimodal: boolean;
}

const COMMON_KEYS = ['rope_type', 'type', 'rope_theta', 'partial_rotary_factor'];
const YARN_KEYS = ['factor', 'original_max_position_embeddings', 'attention_factor', 'beta_fast', 'beta_slow', 'mscale', 'mscale_all_dim', 'truncate'];
const MROPE_KEYS = ['mrope_section', 'interleaved', 'mrope_interleaved'];

/**
 * Normalises both Hub styles: `rope_theta` + `rope_scaling` (transformers 4.x; `type` or `rope_type`)
 * and `rope_parameters` (transformers 5.x) into one `RopeParameters`. Refuses every rope type but
 * default and yarn by name, and any rope key it does not understand.
 */
export function readRope(cfg: ConfigReader, ctx: RopeContext): RopeParameters {
  const scaling = cfg.raw('rope_scaling');
  const params = cfg.raw('rope_parameters');
  for (const [k, v] of [['rope_scaling', scaling], ['rope_parameters', params]] as const) {
    if (v !== undefined && v !== null && !isPlainObject(v)) throw cfg.error(k, `"${cfg.path(k)}" must be an object or null, found ${JSON.stringify(v)}`);
  }
  if (isPlainObject(scaling) && isPlainObject(params)) {
    throw cfg.error('rope_scaling', `both "${cfg.path('rope_scaling')}" (transformers 4.x) and "${cfg.path('rope_parameters')}" (5.x) are set; keep only one`);
  }
  const dictKey = isPlainObject(scaling) ? 'rope_scaling' : 'rope_parameters';
  const rope = cfg.child(dictKey, false);

  const allowed = new Set([...COMMON_KEYS, ...YARN_KEYS, ...(ctx.multimodal ? MROPE_KEYS : [])]);
  for (const k of Object.keys(rope.obj)) if (!allowed.has(k)) throw rope.refuse(k, `rope parameter "${k}"`);

  const ropeType = rope.raw(['rope_type', 'type']) ?? 'default';
  if (ropeType !== 'default' && ropeType !== 'yarn') {
    throw rope.refuse(rope.has('rope_type') ? 'rope_type' : 'type', `rope type ${JSON.stringify(ropeType)} (only "default" and "yarn" are implemented)`);
  }

  for (const r of [cfg, rope]) {
    const prf = r.raw('partial_rotary_factor');
    if (prf !== undefined && prf !== null && prf !== 1) throw r.refuse('partial_rotary_factor', `partial rotary embedding (partial_rotary_factor ${JSON.stringify(prf)})`);
  }

  const inDict = rope.raw('rope_theta');
  const topLevel = cfg.raw('rope_theta');
  if (inDict !== undefined && inDict !== null && topLevel !== undefined && topLevel !== null && inDict !== topLevel) {
    throw rope.error('rope_theta', `"${rope.path('rope_theta')}" (${JSON.stringify(inDict)}) and "${cfg.path('rope_theta')}" (${JSON.stringify(topLevel)}) disagree; keep one`);
  }
  const thetaFrom = inDict !== undefined && inDict !== null ? rope : cfg;
  const rope_theta = thetaFrom.positive('rope_theta', ctx.default_theta === undefined ? REQUIRED : dflt(ctx.default_theta));

  const mm = ctx.multimodal ? readMrope(rope) : {};
  if (ropeType === 'default') {
    for (const k of YARN_KEYS) if (rope.has(k)) throw rope.refuse(k, `"${k}" with rope type "default" (did you mean rope_type "yarn"?)`);
    return { rope_type: 'default', rope_theta, ...mm };
  }
  return { ...readYarn(cfg, rope, ctx, rope_theta), ...mm };
}

function readYarn(cfg: ConfigReader, rope: ConfigReader, ctx: RopeContext, rope_theta: number): YarnRopeParameters {
  // transformers 5: a top-level original_max_position_embeddings wins, then the rope dict, then max_position_embeddings.
  const original_max_position_embeddings = cfg.has('original_max_position_embeddings')
    ? cfg.int('original_max_position_embeddings', REQUIRED, 1)
    : rope.int('original_max_position_embeddings', dflt(ctx.max_position_embeddings), 1);
  if (!rope.has('factor')) throw rope.missing('factor', ' (yarn needs a scaling factor)');
  const factor = rope.raw('factor') === null ? ctx.max_position_embeddings / original_max_position_embeddings : rope.positive('factor', REQUIRED);

  const opt = (k: string): number | undefined => (rope.raw(k) === undefined || rope.raw(k) === null ? undefined : rope.num(k, REQUIRED));
  const mscale = opt('mscale');
  const mscale_all_dim = opt('mscale_all_dim');
  const given = opt('attention_factor');
  const getMscale = (scale: number, m = 1): number => (scale <= 1 ? 1 : 0.1 * m * Math.log(scale) + 1);
  // Python truthiness: `if mscale and mscale_all_dim` (0 counts as unset)
  const attention_factor = given ?? (mscale && mscale_all_dim ? getMscale(factor, mscale) / getMscale(factor, mscale_all_dim) : getMscale(factor));
  const out: YarnRopeParameters = {
    rope_type: 'yarn',
    rope_theta,
    factor,
    original_max_position_embeddings,
    beta_fast: opt('beta_fast') || 32,
    beta_slow: opt('beta_slow') || 1,
    attention_factor,
    truncate: rope.bool('truncate', dflt(true)),
  };
  if (mscale !== undefined) out.mscale = mscale;
  if (mscale_all_dim !== undefined) out.mscale_all_dim = mscale_all_dim;
  return out;
}

function readMrope(rope: ConfigReader): MultimodalRope {
  const section = rope.ints('mrope_section', dflt([24, 20, 20]));
  if (section.length !== 3) throw rope.error('mrope_section', `"${rope.path('mrope_section')}" must list 3 sizes (temporal, height, width), found ${JSON.stringify(section)}`);
  for (const k of ['interleaved', 'mrope_interleaved']) {
    if (rope.has(k) && rope.bool(k, REQUIRED) === false) throw rope.refuse(k, 'non-interleaved multimodal RoPE');
  }
  return { mrope_section: [section[0], section[1], section[2]], interleaved: true };
}
