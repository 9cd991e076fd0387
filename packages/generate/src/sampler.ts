import { InvalidLogitsError, InvalidOptionError, InvalidTokenError } from './errors.js';
import { hasPenalties, isGreedy, type SamplingParams } from './sampling-params.js';

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
 * Every filter keeps a prefix of the tokens sorted by logit, so the kept set is "logit ≥ cutoff".
 * Only candidates near the top are sorted: the search widens the candidate set until the filters
 * provably cut inside it. All scratch memory is sized to the vocabulary once, in the constructor.
 */
export class Sampler {
  readonly vocabSize: number;
  readonly params: SamplingParams;
  /** occurrences of each id in the penalty window (what a device-side sampler needs to upload) */
  readonly counts: Uint32Array;
  readonly #ring: Int32Array | undefined; // last `penaltyWindow` ids when the window is finite
  #seen = 0;
  readonly #work: Float32Array; // processed logits
  readonly #cand: Int32Array; // candidate ids, sorted by logit descending
  readonly #byLogitDesc: (a: number, b: number) => number;

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
    this.#cand = new Int32Array(vocabSize);
    const work = this.#work;
    this.#byLogitDesc = (a, b) => work[b] - work[a] || a - b;
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
    if (isGreedy(this.params)) return this.#argmax();
    const n = this.#cut(max);
    return n === 0 ? this.#drawAll(max, uniform) : this.#drawKept(n, max, uniform);
  }

  /**
   * The distribution `sample` draws from, as probabilities over the whole vocabulary (zeros for
   * filtered tokens; one-hot when greedy). For inspection and tests: allocates when `out` is absent.
   */
  probabilities(logits: ArrayLike<number>, out: Float64Array = new Float64Array(this.vocabSize)): Float64Array {
    const max = this.#process(logits);
    out.fill(0);
    if (isGreedy(this.params)) {
      out[this.#argmax()] = 1;
      return out;
    }
    const n = this.#cut(max);
    const work = this.#work;
    const cutoff = n === 0 ? Number.NEGATIVE_INFINITY : work[this.#cand[n - 1]];
    let total = 0;
    for (let i = 0; i < this.vocabSize; i++) {
      if (work[i] >= cutoff && work[i] !== Number.NEGATIVE_INFINITY) total += out[i] = Math.exp(work[i] - max);
    }
    for (let i = 0; i < this.vocabSize; i++) out[i] /= total;
    return out;
  }

  /** Copies logits, applies penalties and temperature; returns the max processed logit. */
  #process(logits: ArrayLike<number>): number {
    const V = this.vocabSize;
    if (logits.length !== V) {
      throw new InvalidLogitsError(`logits have length ${logits.length} but the vocabulary has ${V} entries; the model must return one row of [vocabSize] logits.`);
    }
    const work = this.#work;
    const p = this.params;
    for (let i = 0; i < V; i++) work[i] = logits[i];
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
      for (let i = 0; i < V; i++) work[i] /= p.temperature;
    }
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < V; i++) {
      const l = work[i];
      if (l !== l || l === Number.POSITIVE_INFINITY) {
        throw new InvalidLogitsError(`logit of token ${i} is ${String(logits[i])} (${String(l)} after penalties/temperature); the model produced non-finite values.`);
      }
      if (l > max) max = l;
    }
    if (max === Number.NEGATIVE_INFINITY) throw new InvalidLogitsError('every logit is -Infinity; no token can be sampled.');
    return max;
  }

  #argmax(): number {
    const work = this.#work;
    let best = 0;
    for (let i = 1; i < this.vocabSize; i++) if (work[i] > work[best]) best = i;
    return best;
  }

  /**
   * Runs top-k, top-p and min-p. Returns 0 when none of them is active (sample from everything), else
   * the number of kept tokens, which are then #cand[0..n) sorted by logit descending.
   */
  #cut(max: number): number {
    const { topK, topP, minP } = this.params;
    const V = this.vocabSize;
    const useK = topK > 0 && topK < V;
    const useP = topP < 1;
    const useMin = minP > 0;
    if (!useK && !useP && !useMin) return 0;
    const work = this.#work;
    const cand = this.#cand;
    let total = 0; // Σ exp(l - max) over all tokens, the top-p normaliser when top-k is off
    if (useP && !useK) for (let i = 0; i < V; i++) total += Math.exp(work[i] - max);
    for (let gap = 8; ; gap *= 2) {
      const floor = gap > 1024 ? Number.NEGATIVE_INFINITY : max - gap;
      let n = 0;
      let mass = 0;
      for (let i = 0; i < V; i++) {
        const l = work[i];
        if (l >= floor && l !== Number.NEGATIVE_INFINITY) {
          cand[n++] = i;
          mass += Math.exp(l - max);
        }
      }
      const all = floor === Number.NEGATIVE_INFINITY;
      if (useK && n < topK && !all) continue; // the k-th largest lies below the floor
      cand.subarray(0, n).sort(this.#byLogitDesc);
      let kept = n;
      let norm = total;
      if (useK && kept > topK) {
        const kth = work[cand[topK - 1]];
        kept = topK;
        while (kept < n && work[cand[kept]] === kth) kept++;
      }
      if (useK) {
        norm = 0;
        for (let j = 0; j < kept; j++) norm += Math.exp(work[cand[j]] - max);
      }
      if (useP) kept = topPCut(work, cand, kept, max, norm, topP);
      if (useMin) {
        let j = 1;
        while (j < kept && Math.exp(work[cand[j]] - max) >= minP) j++;
        kept = j;
      }
      // Exact when the candidates hold every token the filters keep: the floor reached the bottom,
      // top-k's survivors all lie inside, a filter cut inside, or the filters would drop everything
      // below the floor anyway.
      if (all || useK || kept < n || (useP && mass / total >= topP) || (useMin && Math.exp(floor - max) <= minP)) return kept;
    }
  }

  #drawAll(max: number, uniform: number): number {
    const work = this.#work;
    const V = this.vocabSize;
    let total = 0;
    for (let i = 0; i < V; i++) total += Math.exp(work[i] - max);
    const target = uniform * total;
    let acc = 0;
    let last = -1;
    for (let i = 0; i < V; i++) {
      const e = Math.exp(work[i] - max);
      if (e === 0) continue;
      acc += e;
      last = i;
      if (acc > target) return i;
    }
    return last; // rounding: u·total ≥ the running sum's last value
  }

  #drawKept(n: number, max: number, uniform: number): number {
    const work = this.#work;
    const kept = this.#cand.subarray(0, n).sort(); // ascending ids
    let total = 0;
    for (let j = 0; j < n; j++) total += Math.exp(work[kept[j]] - max);
    const target = uniform * total;
    let acc = 0;
    for (let j = 0; j < n; j++) {
      acc += Math.exp(work[kept[j]] - max);
      if (acc > target) return kept[j];
    }
    return kept[n - 1];
  }
}

/** top-p over #cand[0..n) (sorted descending), normalised by `norm`; ties are kept or dropped together. */
function topPCut(work: Float32Array, cand: Int32Array, n: number, max: number, norm: number, topP: number): number {
  let above = 0; // probability of the tokens strictly above the current group
  let j = 0;
  while (j < n) {
    if (above / norm >= topP) return j;
    const l = work[cand[j]];
    let groupMass = 0;
    while (j < n && work[cand[j]] === l) {
      groupMass += Math.exp(l - max);
      j++;
    }
    above += groupMass;
  }
  return n;
}
