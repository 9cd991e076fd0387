import { describe, expect, it } from 'vitest';
import {
  InvalidLogitsError,
  InvalidOptionError,
  InvalidTokenError,
  resolveSampling,
  Sampler,
  Xoshiro128,
  type SamplingOptions,
  type SamplingParams,
} from '../src/index.js';

const sampler = (options: SamplingOptions, vocab: number, context: number[] = []): Sampler => {
  const s = new Sampler(vocab, resolveSampling({ doSample: true, ...options }));
  s.reset(context);
  return s;
};
const probs = (s: Sampler, logits: number[]): number[] => Array.from(s.probabilities(Float32Array.from(logits)));
const expectProbs = (got: number[], want: number[]): void => {
  expect(got.length).toBe(want.length);
  got.forEach((p, i) => expect(p, `token ${i}`).toBeCloseTo(want[i], 6));
};
const normalise = (xs: number[]): number[] => {
  const t = xs.reduce((a, b) => a + b, 0);
  return xs.map((x) => x / t);
};
/** logits whose softmax is `p` */
const logOf = (p: number[]): number[] => p.map(Math.log);

describe('greedy', () => {
  it('takes the argmax, the lowest id on a tie, and ignores the uniform', () => {
    const s = new Sampler(5, resolveSampling({}));
    expect(s.params.doSample).toBe(false);
    expect(s.sample(Float32Array.from([0, 3, 1, 3, -1]), 0.99)).toBe(1);
    expect(s.sample(Float32Array.from([0, 3, 1, 3.5, -1]), 0)).toBe(3);
  });

  it('temperature 0 is greedy even with sampling on', () => {
    const s = sampler({ temperature: 0 }, 3);
    expect(s.sample(Float32Array.from([1, 2, 0]), 0.999)).toBe(1);
    expectProbs(probs(s, [1, 2, 0]), [0, 1, 0]);
  });
});

describe('temperature', () => {
  it('samples softmax(logits / T)', () => {
    const l = [1, 2, 0.5, -1];
    for (const T of [0.5, 1, 2.5]) {
      expectProbs(probs(sampler({ temperature: T }, 4), l), normalise(l.map((x) => Math.exp(x / T))));
    }
  });
});

describe('top-k', () => {
  it('keeps the k largest logits, and every token tied with the k-th (transformers: scores < k-th value are removed)', () => {
    const l = [1, 3, 2, 3, 0];
    const e = l.map(Math.exp);
    // k = 2: the two largest are the tied 3s
    expectProbs(probs(sampler({ topK: 2 }, 5), l), normalise([0, e[1], 0, e[3], 0]));
    // k = 1: the k-th value is 3, so both 3s stay
    expectProbs(probs(sampler({ topK: 1 }, 5), l), normalise([0, e[1], 0, e[3], 0]));
    // k = 3: 3, 3, 2
    expectProbs(probs(sampler({ topK: 3 }, 5), l), normalise([0, e[1], e[2], e[3], 0]));
    // k ≥ vocabulary: off
    expectProbs(probs(sampler({ topK: 5 }, 5), l), normalise(e));
  });
});

describe('top-p', () => {
  const p = [0.5, 0.3, 0.15, 0.05];
  it('keeps a token while the probability above it is below top_p', () => {
    // mass strictly above each token: 0, 0.5, 0.8, 0.95
    expectProbs(probs(sampler({ topP: 0.4 }, 4), logOf(p)), [1, 0, 0, 0]);
    expectProbs(probs(sampler({ topP: 0.75 }, 4), logOf(p)), normalise([0.5, 0.3, 0, 0]));
    expectProbs(probs(sampler({ topP: 0.85 }, 4), logOf(p)), normalise([0.5, 0.3, 0.15, 0]));
    expectProbs(probs(sampler({ topP: 0.99 }, 4), logOf(p)), p);
  });

  it('keeps or drops tied tokens together', () => {
    // 0.5, 0.25, 0.25: both 0.25s have 0.5 above them
    expectProbs(probs(sampler({ topP: 0.6 }, 3), logOf([0.5, 0.25, 0.25])), [0.5, 0.25, 0.25]);
    expectProbs(probs(sampler({ topP: 0.45 }, 3), logOf([0.5, 0.25, 0.25])), [1, 0, 0]);
  });

  it('runs after top-k, on the renormalised survivors', () => {
    const q = [0.4, 0.3, 0.2, 0.1];
    // alone: 0.4 above token 1 < 0.5, so tokens 0 and 1 stay
    expectProbs(probs(sampler({ topP: 0.5 }, 4), logOf(q)), normalise([0.4, 0.3, 0, 0]));
    // after top-k = 2 the survivors are 4/7, 3/7: 4/7 ≥ 0.5 above token 1, so it goes
    expectProbs(probs(sampler({ topK: 2, topP: 0.5 }, 4), logOf(q)), [1, 0, 0, 0]);
  });
});

describe('min-p', () => {
  const p = [0.5, 0.3, 0.15, 0.05];
  it('drops tokens below min_p × the top probability', () => {
    // threshold 0.2 × 0.5 = 0.1
    expectProbs(probs(sampler({ minP: 0.2 }, 4), logOf(p)), normalise([0.5, 0.3, 0.15, 0]));
    // threshold 0.5 × 0.5 = 0.25
    expectProbs(probs(sampler({ minP: 0.5 }, 4), logOf(p)), normalise([0.5, 0.3, 0, 0]));
  });

  it('runs after temperature (transformers order; llama.cpp applies temperature last)', () => {
    // T = 2: probabilities ∝ √p, ratios to the top √(p/0.5) = 1, 0.775, 0.548, 0.316
    const sq = p.map(Math.sqrt);
    expectProbs(probs(sampler({ temperature: 2, minP: 0.5 }, 4), logOf(p)), normalise([sq[0], sq[1], sq[2], 0]));
  });
});

describe('penalties', () => {
  it('repetition: divides positive and multiplies negative logits of seen tokens, once per distinct token', () => {
    const s = new Sampler(4, resolveSampling({ repetitionPenalty: 2 }));
    s.reset([0, 1, 1, 1]);
    // processed logits: [4/2, -1·2, 3, 0] = [2, -2, 3, 0] under greedy → argmax 2
    expect(s.sample(Float32Array.from([4, -1, 3, 0]), 0)).toBe(2);
    const t = sampler({ repetitionPenalty: 2 }, 4, [0, 1, 1, 1]);
    expectProbs(probs(t, [4, -1, 3, 0]), normalise([2, -2, 3, 0].map(Math.exp)));
  });

  it('presence and frequency: l − presence − frequency × count', () => {
    const s = sampler({ presencePenalty: 0.25, frequencyPenalty: 0.5 }, 3, [0, 0, 1]);
    expectProbs(probs(s, [0, 0, 0]), normalise([-1.25, -0.75, 0].map(Math.exp)));
  });

  it('look only at the last penaltyWindow tokens, prompt and generated alike', () => {
    const s = sampler({ frequencyPenalty: 1, penaltyWindow: 2 }, 3, [0, 0]);
    s.accept(1); // window now [0, 1]
    expectProbs(probs(s, [0, 0, 0]), normalise([-1, -1, 0].map(Math.exp)));
    s.accept(1); // window [1, 1]
    expectProbs(probs(s, [0, 0, 0]), normalise([0, -2, 0].map(Math.exp)));
    expect(Array.from(s.counts)).toEqual([0, 2, 0]);
  });

  it('apply before temperature', () => {
    const s = sampler({ repetitionPenalty: 2, temperature: 0.5 }, 2, [0]);
    expectProbs(probs(s, [2, 0]), normalise([Math.exp(1 / 0.5), 1]));
  });
});

describe('the draw', () => {
  it('picks the first id, in id order, whose running probability exceeds u', () => {
    const s = sampler({}, 3);
    const l = Float32Array.from(logOf([0.5, 0.3, 0.2]));
    expect([0, 0.49, 0.51, 0.79, 0.81, 0.999].map((u) => s.sample(l, u))).toEqual([0, 0, 1, 1, 2, 2]);
    // with a filter, over the kept tokens renormalised: top-k 2 keeps 0.5, 0.3 → cut at 0.625
    const k = sampler({ topK: 2 }, 3);
    expect([0.6, 0.65, 0.999].map((u) => k.sample(l, u))).toEqual([0, 1, 1]);
  });

  it('never picks a -Infinity logit', () => {
    const s = sampler({}, 4);
    const l = Float32Array.from([Number.NEGATIVE_INFINITY, 0, Number.NEGATIVE_INFINITY, 0]);
    for (const u of [0, 0.25, 0.5, 0.75, 0.9999999]) expect([1, 3]).toContain(s.sample(l, u));
  });

  it('matches the expected frequencies over many seeded draws', () => {
    const p = [0.1, 0.2, 0.3, 0.4];
    const s = sampler({}, 4);
    const rng = new Xoshiro128(7);
    const hist = [0, 0, 0, 0];
    const l = Float32Array.from(logOf(p));
    for (let i = 0; i < 20000; i++) hist[s.sample(l, rng.uniform())]++;
    hist.forEach((h, i) => expect(Math.abs(h / 20000 - p[i])).toBeLessThan(0.015));
  });

  it('does not modify the logits it is given', () => {
    const l = Float32Array.from([1, 2, 3]);
    sampler({ temperature: 0.5, repetitionPenalty: 3, topK: 2 }, 3, [2]).sample(l, 0.3);
    expect(Array.from(l)).toEqual([1, 2, 3]);
  });
});

describe('errors', () => {
  it('refuses wrong-length, NaN, +Infinity and all -Infinity logits', () => {
    const s = sampler({}, 3);
    expect(() => s.sample(new Float32Array(4), 0)).toThrow(InvalidLogitsError);
    expect(() => s.sample(Float32Array.from([0, Number.NaN, 0]), 0)).toThrow(/token 1/);
    expect(() => s.sample(Float32Array.from([0, Number.POSITIVE_INFINITY, 0]), 0)).toThrow(InvalidLogitsError);
    expect(() => s.sample(new Float32Array(3).fill(Number.NEGATIVE_INFINITY), 0)).toThrow(InvalidLogitsError);
    expect(() => new Sampler(2, resolveSampling({})).sample(Float32Array.from([Number.NaN, 1]), 0)).toThrow(InvalidLogitsError);
  });

  it('refuses out-of-range ids in the history', () => {
    expect(() => sampler({}, 3).accept(3)).toThrow(InvalidTokenError);
  });

  it('names the option that is out of range', () => {
    const bad: [SamplingOptions, string][] = [
      [{ temperature: -1 }, 'temperature'],
      [{ topK: 1.5 }, 'topK'],
      [{ topP: 0 }, 'topP'],
      [{ topP: 1.2 }, 'topP'],
      [{ minP: -0.1 }, 'minP'],
      [{ repetitionPenalty: 0 }, 'repetitionPenalty'],
      [{ presencePenalty: Number.NaN }, 'presencePenalty'],
      [{ penaltyWindow: 0 }, 'penaltyWindow'],
    ];
    for (const [o, name] of bad) {
      try {
        resolveSampling(o);
        expect.unreachable(`${name} should be refused`);
      } catch (e) {
        expect(e).toBeInstanceOf(InvalidOptionError);
        expect((e as InvalidOptionError).option).toBe(name);
        expect((e as Error).message).toContain(name);
      }
    }
  });
});

describe('resolveSampling', () => {
  it('options win over defaults, defaults over built-ins; setting a sampling knob turns sampling on', () => {
    const d: SamplingOptions = { doSample: true, temperature: 0.6, topK: 20, topP: 0.95 };
    expect(resolveSampling({}, d)).toMatchObject({ doSample: true, temperature: 0.6, topK: 20, topP: 0.95, minP: 0 });
    expect(resolveSampling({ temperature: 1.1 }, d)).toMatchObject({ temperature: 1.1, topK: 20 });
    expect(resolveSampling({ doSample: false }, d).doSample).toBe(false);
    expect(resolveSampling({}).doSample).toBe(false);
    expect(resolveSampling({ topK: 5 }).doSample).toBe(true);
    expect(resolveSampling({ seed: 1 } as SamplingOptions).doSample).toBe(false);
  });
});

/**
 * The straightforward version of the rules in src/sampler.ts: sort the whole vocabulary, apply each
 * filter in turn. The real sampler only sorts candidates near the top; they must agree.
 */
function naiveProbabilities(logits: Float32Array, p: SamplingParams, counts: Uint32Array): number[] {
  const V = logits.length;
  const l = Float32Array.from(logits);
  for (let i = 0; i < V; i++) {
    if (counts[i] === 0) continue;
    let x = l[i];
    if (p.repetitionPenalty !== 1) x = x > 0 ? x / p.repetitionPenalty : x * p.repetitionPenalty;
    l[i] = x - p.presencePenalty - p.frequencyPenalty * counts[i];
  }
  for (let i = 0; i < V; i++) l[i] = l[i] / p.temperature;
  const order = Array.from({ length: V }, (_, i) => i).sort((a, b) => l[b] - l[a] || a - b);
  const max = l[order[0]];
  let kept = order.filter((i) => l[i] > Number.NEGATIVE_INFINITY);
  if (p.topK > 0 && p.topK < V) kept = kept.filter((i) => l[i] >= l[order[p.topK - 1]]);
  if (p.topP < 1) {
    // walk in descending order; a token stays while the mass strictly above it is < top_p
    const z = kept.reduce((a, i) => a + Math.exp(l[i] - max), 0);
    const stays: number[] = [];
    let above = 0;
    let group = 0;
    for (let j = 0; j < kept.length; j++) {
      const i = kept[j];
      if (j > 0 && l[i] < l[kept[j - 1]]) [above, group] = [above + group, 0];
      if (above / z >= p.topP) break;
      stays.push(i);
      group += Math.exp(l[i] - max);
    }
    kept = stays;
  }
  if (p.minP > 0) kept = kept.filter((i) => Math.exp(l[i] - max) >= p.minP);
  const out = new Array<number>(V).fill(0);
  const z = kept.reduce((a, i) => a + Math.exp(l[i] - max), 0);
  for (const i of kept) out[i] = Math.exp(l[i] - max) / z;
  return out;
}

describe('the candidate search agrees with sorting everything', () => {
  const V = 300;
  const rng = new Xoshiro128(2024);
  const shapes: Record<string, () => number> = {
    peaked: () => (rng.uniform() < 0.02 ? 8 + rng.uniform() * 4 : rng.uniform() * 3),
    flat: () => rng.uniform() * 0.5,
    wide: () => rng.uniform() * 60 - 30,
    ties: () => Math.floor(rng.uniform() * 4),
  };
  const configs: SamplingOptions[] = [
    { topK: 1 },
    { topK: 7 },
    { topK: 250 },
    { topP: 0.1 },
    { topP: 0.9 },
    { topP: 0.999 },
    { minP: 0.05 },
    { minP: 1e-9 },
    { topK: 40, topP: 0.8, minP: 0.02 },
    { temperature: 0.3, topP: 0.95 },
    { temperature: 3, topK: 100, minP: 0.3 },
    { repetitionPenalty: 1.3, presencePenalty: 0.5, frequencyPenalty: 0.2, topP: 0.7 },
  ];
  for (const [shape, draw] of Object.entries(shapes)) {
    for (const o of configs) {
      it(`${shape} logits, ${JSON.stringify(o)}`, () => {
        const logits = Float32Array.from({ length: V }, draw);
        logits[5] = Number.NEGATIVE_INFINITY;
        const s = sampler(o, V, [1, 2, 2, 3, 3, 3]);
        const want = naiveProbabilities(logits, s.params, s.counts);
        const got = Array.from(s.probabilities(logits));
        for (let i = 0; i < V; i++) {
          expect(got[i] > 0, `token ${i} kept`).toBe(want[i] > 0);
          expect(got[i]).toBeCloseTo(want[i], 10);
        }
        expectSameDraws(s, logits, want);
      });
    }
  }

  it('many kept tokens (the draw walks the vocabulary instead of sorting ids)', () => {
    const big = 20000;
    const logits = Float32Array.from({ length: big }, () => rng.uniform() * 2);
    for (const o of [{ topP: 0.9 }, { minP: 0.3 }, { topK: 15000, temperature: 2 }]) {
      const s = sampler(o, big);
      const want = naiveProbabilities(logits, s.params, s.counts);
      expect(want.filter((x) => x > 0).length).toBeGreaterThan(4096);
      const got = s.probabilities(logits);
      for (let i = 0; i < big; i++) expect(got[i] > 0).toBe(want[i] > 0);
      expectSameDraws(s, logits, want);
    }
  });
});

/** sample() must pick the first id, in id order, whose running probability exceeds u. */
function expectSameDraws(s: Sampler, logits: Float32Array, want: number[]): void {
  const rng = new Xoshiro128(99);
  for (let k = 0; k < 25; k++) {
    const u = rng.uniform();
    let acc = 0;
    let expected = -1;
    for (let i = 0; i < want.length && expected < 0; i++) if (want[i] > 0 && (acc += want[i]) > u) expected = i;
    expect(s.sample(logits, u), `u = ${u}`).toBe(expected);
  }
}
