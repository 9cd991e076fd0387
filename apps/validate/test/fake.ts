/** A synthetic in-memory fixture and a fake model that replays it, optionally perturbed. */
import type { Fixture, ReferenceJson, ReferenceTensor } from '../src/fixture.js';
import type { CausalLM, ForwardOptions } from '../src/model.js';

/** Deterministic values in [-1, 1) (xorshift), so tests do not depend on Math.random. */
export function randomArray(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 2 ** 32) * 2 - 1;
  }
  return out;
}

export interface SyntheticOptions {
  layers?: number;
  /** layers with router logits (E = 4 experts) */
  moeLayers?: number[];
  extra?: Record<string, ReferenceTensor>;
  kind?: ReferenceJson['kind'];
}

export const T = 5;
export const H = 8;
export const V = 64;
export const N = 4;
export const E = 4;

/**
 * Prompt of T tokens, N greedy steps; decode_logits rows have their argmax at new_ids with a
 * margin of (1 + step) × 0.1 over the runner-up, so margins are known: 0.1, 0.2, 0.3, 0.4.
 */
export function syntheticFixture(o: SyntheticOptions = {}): Fixture & { tensors: Map<string, ReferenceTensor> } {
  const L = o.layers ?? 2;
  const prompt = [3, 1, 4, 1, 5];
  const newIds = [9, 2, 6, 5];
  const tensors = new Map<string, ReferenceTensor>();
  const f32 = (name: string, shape: number[], seed: number) =>
    tensors.set(name, { name, dtype: 'F32', shape, data: randomArray(shape[0] * shape[1], seed) });
  tensors.set('input_ids', { name: 'input_ids', dtype: 'I64', shape: [T], data: [...prompt] });
  f32('embed', [T, H], 1);
  for (let i = 0; i < L; i++) {
    if (o.moeLayers?.includes(i)) f32(`layers.${i}.router_logits`, [T, E], 100 + i);
    f32(`layers.${i}`, [T, H], 10 + i);
  }
  f32('norm', [T, H], 2);
  f32('logits', [T, V], 3);
  const dec = randomArray(N * V, 4).map((x) => x * 0.5); // in [-0.5, 0.5)
  for (let s = 0; s < N; s++) {
    const row = dec.subarray(s * V, (s + 1) * V);
    let max = -Infinity;
    for (let j = 0; j < V; j++) if (j !== newIds[s]) max = Math.max(max, row[j]);
    row[newIds[s]] = max + 0.1 * (s + 1);
  }
  // the last prompt position's logits are decode step 0
  (tensors.get('logits')!.data as Float32Array).set(dec.subarray(0, V), (T - 1) * V);
  tensors.set('decode_logits', { name: 'decode_logits', dtype: 'F32', shape: [N, V], data: dec });
  for (const [k, v] of Object.entries(o.extra ?? {})) tensors.set(k, v);
  const json: ReferenceJson = {
    kind: o.kind ?? 'causal-lm',
    model_type: 'qwen3',
    prompt_ids: prompt,
    greedy: { new_ids: newIds, min_top2_margin: 0.1 },
    tensors: [...tensors.keys()],
  };
  return { dir: 'synthetic', modelDir: 'synthetic/model', json, tensors };
}

export interface Perturbation {
  /** multiply the named probe (and, for 'logits', the prompt logits returned) by this */
  scale?: Record<string, number>;
  /** add this to one element of the named probe: [name, index, delta] */
  nudge?: [string, number, number][];
  /** probes never emitted */
  omit?: string[];
  /** per decode step: replace the returned row */
  decodeRow?: (step: number, row: Float32Array) => void;
  /** shape reported for a probe */
  shape?: Record<string, number[]>;
}

/** Replays a fixture's reference tensors as if it computed them, with optional perturbations. */
export class FakeModel implements CausalLM<{ length: number }> {
  readonly config: { model_type: string; vocab_size: number };
  forwards: number[][] = [];
  constructor(
    readonly fx: Fixture,
    readonly p: Perturbation = {},
  ) {
    this.config = { model_type: fx.json.model_type, vocab_size: V };
  }

  createCache(maxSeqLen: number): { length: number; max: number } {
    return { length: 0, max: maxSeqLen };
  }

  forward(ids: ArrayLike<number>, cache: { length: number }, opts: ForwardOptions = {}): Float32Array {
    this.forwards.push(Array.from(ids));
    const start = cache.length;
    cache.length += ids.length;
    if (start === 0) {
      for (const t of this.fx.tensors.values()) {
        if (t.dtype !== 'F32' || t.name === 'decode_logits' || this.p.omit?.includes(t.name)) continue;
        const data = this.view(t.name, t.data);
        opts.probe?.(t.name, data, this.p.shape?.[t.name] ?? t.shape);
      }
      const logits = this.view('logits', this.fx.tensors.get('logits')!.data as Float32Array);
      if (opts.allLogits) return logits;
      return logits.slice((ids.length - 1) * V);
    }
    const step = start - this.fx.json.prompt_ids.length + 1;
    const dec = this.fx.tensors.get('decode_logits')!.data as Float32Array;
    const row = dec.slice(step * V, (step + 1) * V);
    this.p.decodeRow?.(step, row);
    return row;
  }

  private view(name: string, ref: Float32Array): Float32Array {
    const out = ref.slice();
    const s = this.p.scale?.[name];
    if (s !== undefined) for (let i = 0; i < out.length; i++) out[i] *= s;
    for (const [n, i, d] of this.p.nudge ?? []) if (n === name) out[i] += d;
    return out;
  }
}
