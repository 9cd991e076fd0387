import { InvalidLogitsError, InvalidOptionError, InvalidTokenError } from './errors.js';
import { hasPenalties, isGreedy, type SamplingParams } from './sampling-params.js';
import { kthLargest, topPCutoff } from './select.js';

/**
 * Chooses the next token from one row of logits. Order of operations (transformers' logits
 * processors, then its warpers):
 *
 *   1. penalties over the penalty window: repetition (l > 0 ? l / p : l · p, once per distinct token),
 *      then presence and frequency (l -= presence + frequency · count; llama.cpp / OpenAI)
 *   2. greedy: argmax, lowest id on ties (as torch.argmax); stop here
 *   3. temperature: l / T
 *   4. top-k: keep logits ≥ the k-th largest (ties with it are kept, as transformers)
 *   5. top-p: over the survivors' softmax, keep a token when the probability of the tokens strictly
 *      above it is < topP (so the top token always survives, and tied tokens go or stay together;
 *      transformers and llama.cpp keep an arbitrary one of a tie at the cut)
 *   6. min-p: drop tokens whose probability is < minP × the top token's
 *   7. draw: with one uniform u in [0, 1), the first id in ascending id order whose running sum of
 *      exp(l - max) over the kept tokens exceeds u × their total.
 *
 * Every filter keeps the tokens above some logit, so the kept set is "logit ≥ cutoff". The cutoff is
 * found by quickselect (no sort) over candidates near the top; the candidate set widens until the
 * filters provably cut inside it. All scratch memory is sized to the vocabulary once, in the
 * constructor.
 */
export class Sampler {
  readonly vocabSize: number;
  readonly params: SamplingParams;
  /** occurrences of each id in the penalty window (what a device-side sampler needs to upload) */
  readonly counts: Uint32Array;
  readonly #ring: Int32Array | undefined; // last `penaltyWindow` ids when the window is finite
  #seen = 0;
  readonly #work: Float32Array; // processed logits
  readonly #exps: Float64Array; // exp(work - max), filled for candidates (for every id when nothing is filtered)
  readonly #cand: Int32Array; // candidate ids
  readonly #bounds = new Int32Array(2);
  #argmax = 0; // first index of the max processed logit, set by #process
  #kept = 0; // number of kept tokens, set by #cutoff

  constructor(vocabSize: number, params: SamplingParams) {
    if (!Number.isSafeInteger(vocabSize) || vocabSize < 1) {
      throw new InvalidOptionError('vocabSize', `vocabSize must be a positive integer, got ${String(vocabSize)}.`);
    }
    this.vocabSize = vocabSize;
    this.params = params;
    this.counts = new Uint32Array(vocabSize);
    const w = params.penaltyWindow;
    this.#ring = Number.isFinite(w) ? new Int32Array(w) : undefined;
    this.#work = new Float32Array(vocabSize);
    this.#exps = new Float64Array(vocabSize);
    this.#cand = new Int32Array(vocabSize);
  }

  /** Forgets the history and records `context` (the prompt) in the penalty window. */
  reset(context: ArrayLike<number> = []): void {
    this.counts.fill(0);
    this.#seen = 0;
    for (let i = 0; i < context.length; i++) this.accept(context[i]);
  }

  /** Records one more id of the context (prompt or generated) in the penalty window. */
  accept(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
      throw new InvalidTokenError(`token id ${String(id)} is outside the vocabulary [0, ${this.vocabSize}).`);
    }
    const ring = this.#ring;
    if (ring !== undefined) {
      const slot = this.#seen % ring.length;
      if (this.#seen >= ring.length) this.counts[ring[slot]]--;
      ring[slot] = id;
    }
    this.counts[id]++;
    this.#seen++;
  }

  /** Picks the next id from `logits` ([vocabSize], not modified) with `uniform` ∈ [0, 1) as the only randomness. */
  sample(logits: ArrayLike<number>, uniform: number): number {
    const max = this.#process(logits);
    if (isGreedy(this.params)) return this.#argmax;
    const cutoff = this.#cutoff(max);
    return cutoff === Number.NEGATIVE_INFINITY ? this.#drawAll(max, uniform) : this.#drawKept(cutoff, uniform);
  }

  /**
   * The distribution `sample` draws from, as probabilities over the whole vocabulary (zeros for
   * filtered tokens; one-hot when greedy). For inspection and tests: allocates when `out` is absent.
   */
  probabilities(logits: ArrayLike<number>, out: Float64Array = new Float64Array(this.vocabSize)): Float64Array {
    const max = this.#process(logits);
    out.fill(0);
    if (isGreedy(this.params)) {
      out[this.#argmax] = 1;
      return out;
    }
    const cutoff = this.#cutoff(max);
    const work = this.#work;
    let total = 0;
    for (let i = 0; i < this.vocabSize; i++) {
      if (work[i] >= cutoff && work[i] !== Number.NEGATIVE_INFINITY) total += out[i] = Math.exp(work[i] - max);
    }
    for (let i = 0; i < this.vocabSize; i++) out[i] /= total;
    return out;
  }

  /** Copies logits, applies penalties and temperature; returns the max processed logit (its first index in #argmax). */
  #process(logits: ArrayLike<number>): number {
    const V = this.vocabSize;
    if (logits.length !== V) {
      throw new InvalidLogitsError(`logits have length ${logits.length} but the vocabulary has ${V} entries; the model must return one row of [vocabSize] logits.`);
    }
    const work = this.#work;
    const p = this.params;
    if (logits instanceof Float32Array) work.set(logits);
    else for (let i = 0; i < V; i++) work[i] = logits[i];
    if (hasPenalties(p)) {
      const counts = this.counts;
      for (let i = 0; i < V; i++) {
        const c = counts[i];
        if (c === 0) continue;
        let l = work[i];
        if (p.repetitionPenalty !== 1) l = l > 0 ? l / p.repetitionPenalty : l * p.repetitionPenalty;
        work[i] = l - p.presencePenalty - p.frequencyPenalty * c;
      }
    }
    if (!isGreedy(p) && p.temperature !== 1) {
      const t = p.temperature;
      for (let i = 0; i < V; i++) work[i] /= t;
    }
    let max = Number.NEGATIVE_INFINITY;
    let argmax = 0;
    let nan = false;
    for (let i = 0; i < V; i++) {
      const l = work[i];
      if (l > max) {
        max = l;
        argmax = i;
      } else if (l !== l) {
        nan = true;
        break;
      }
    }
    if (nan || max === Number.POSITIVE_INFINITY) {
      const i = work.findIndex(notFinite);
      throw new InvalidLogitsError(`logit of token ${i} is ${String(logits[i])} (${String(work[i])} after penalties/temperature); the model produced non-finite values.`);
    }
    if (max === Number.NEGATIVE_INFINITY) throw new InvalidLogitsError('every logit is -Infinity; no token can be sampled.');
    this.#argmax = argmax;
    return max;
  }

  /**
   * Runs top-k, top-p and min-p; returns the smallest kept logit (-Infinity when no filter is on) and
   * leaves the kept count in #kept.
   */
  #cutoff(max: number): number {
    const { topK, topP, minP } = this.params;
    const V = this.vocabSize;
    const useK = topK > 0 && topK < V;
    const useP = topP < 1;
    const useMin = minP > 0;
    if (!useK && !useP && !useMin) return Number.NEGATIVE_INFINITY;
    const work = this.#work;
    const exps = this.#exps;
    const cand = this.#cand;
    let total = 0; // Σ exp(l - max) over all tokens: the top-p normaliser when top-k is off
    if (useP && !useK) for (let i = 0; i < V; i++) total += Math.exp(work[i] - max);
    for (let gap = 8; ; gap *= 2) {
      const floor = gap > 1024 ? Number.NEGATIVE_INFINITY : max - gap;
      const all = floor === Number.NEGATIVE_INFINITY;
      let n = 0;
      let mass = 0;
      for (let i = 0; i < V; i++) {
        const l = work[i];
        if (l >= floor && l !== Number.NEGATIVE_INFINITY) {
          cand[n++] = i;
          mass += exps[i] = Math.exp(l - max);
        }
      }
      if (useK && n < topK && !all) continue; // the k-th largest lies below the floor
      let cutoff = Number.NEGATIVE_INFINITY;
      let m = n; // candidates left after top-k, compacted to cand[0..m)
      let norm = total;
      if (useK && topK < n) {
        cutoff = kthLargest(cand, n, topK, work, this.#bounds);
        m = 0;
        norm = 0;
        for (let j = 0; j < n; j++) {
          const id = cand[j];
          if (work[id] >= cutoff) {
            cand[m++] = id;
            norm += exps[id];
          }
        }
      } else if (useK) norm = mass;
      if (useP) cutoff = Math.max(cutoff, topPCutoff(cand, m, work, exps, norm, topP, this.#bounds));
      if (useMin) {
        let lowest = max;
        for (let j = 0; j < m; j++) {
          const id = cand[j];
          if (exps[id] >= minP && work[id] < lowest) lowest = work[id];
        }
        cutoff = Math.max(cutoff, lowest);
      }
      let kept = 0;
      for (let j = 0; j < m; j++) if (work[cand[j]] >= cutoff) cand[kept++] = cand[j];
      // Exact when the candidates hold every token the filters keep: the floor reached the bottom,
      // top-k's survivors all lie inside, a filter cut inside, or the filters would drop everything
      // below the floor anyway.
      if (all || useK || kept < n || (useP && mass / total >= topP) || (useMin && Math.exp(floor - max) <= minP)) {
        this.#kept = kept;
        return cutoff;
      }
    }
  }

  #drawAll(max: number, uniform: number): number {
    const work = this.#work;
    const exps = this.#exps;
    const V = this.vocabSize;
    let total = 0;
    for (let i = 0; i < V; i++) total += exps[i] = Math.exp(work[i] - max);
    const target = uniform * total;
    let acc = 0;
    let last = -1;
    for (let i = 0; i < V; i++) {
      const e = exps[i];
      if (e === 0) continue;
      acc += e;
      last = i;
      if (acc > target) return i;
    }
    return last; // rounding: u·total ≥ the running sum's last value
  }

  /** Draws among the kept tokens (logit ≥ cutoff, left in cand[0..#kept)) in ascending id order. */
  #drawKept(cutoff: number, uniform: number): number {
    const work = this.#work;
    const exps = this.#exps;
    const n = this.#kept;
    if (n > SORT_KEPT_MAX) {
      // many kept tokens: walking the vocabulary in id order is cheaper than sorting them
      const V = this.vocabSize;
      let total = 0;
      for (let i = 0; i < V; i++) if (work[i] >= cutoff) total += exps[i];
      const target = uniform * total;
      let acc = 0;
      let last = -1;
      for (let i = 0; i < V; i++) {
        if (!(work[i] >= cutoff)) continue;
        acc += exps[i];
        last = i;
        if (acc > target) return i;
      }
      return last;
    }
    const kept = this.#cand.subarray(0, n).sort(); // ascending ids
    let total = 0;
    for (let j = 0; j < n; j++) total += exps[kept[j]];
    const target = uniform * total;
    let acc = 0;
    for (let j = 0; j < n; j++) {
      acc += exps[kept[j]];
      if (acc > target) return kept[j];
    }
    return kept[n - 1];
  }
}

/** Above this many kept tokens, #drawKept walks the vocabulary instead of sorting their ids. */
const SORT_KEPT_MAX = 4096;

function notFinite(x: number): boolean {
  return x !== x || x === Number.POSITIVE_INFINITY;
}
