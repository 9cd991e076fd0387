import type { Check, GreedyResult } from './report.js';
import { fmt } from './thresholds.js';

/**
 * With `nearTie` (q8_0), a flipped id is tolerated where the reference margin is at most
 * ties[s] = sigmas × RMS of that step's logit error; otherwise every id must match.
 */
export function greedyCheck(
  expected: readonly number[],
  actual: readonly number[],
  margins: readonly number[],
  nearTie: { sigmas: number; ties: readonly number[] } | null,
): { check: Check; result: GreedyResult } {
  const mismatches = expected.map((_, s) => s).filter((s) => actual[s] !== expected[s]);
  const firstMismatch = mismatches.length > 0 ? mismatches[0] : null;
  const result: GreedyResult = { expected: [...expected], actual: [...actual], firstMismatch, margins: [...margins], nearTie: nearTie && [...nearTie.ties] };
  const at = (s: number) => `step ${s}: ${actual[s]} vs ${expected[s]}`;
  if (nearTie === null) {
    const check: Check = { name: 'greedy_ids', ok: firstMismatch === null, threshold: 'exact', detail: firstMismatch === null ? '' : at(firstMismatch) };
    return { check, result };
  }
  const { sigmas, ties } = nearTie;
  const threshold = `exact where margin>${sigmas}σ`;
  const decisive = mismatches.find((s) => margins[s] > ties[s]);
  if (decisive !== undefined) {
    const detail = `${at(decisive)} (reference margin ${fmt(margins[decisive])} > ${fmt(ties[decisive])})`;
    return { check: { name: 'greedy_ids', ok: false, threshold, detail }, result };
  }
  const detail = mismatches.map((s) => `near tie at ${at(s)} (margin ${fmt(margins[s])} ≤ ${fmt(ties[s])})`).join(', ');
  return { check: { name: 'greedy_ids', ok: true, threshold, detail }, result };
}

/** RMS of a − b (σ of the logit error of one row). */
export function rmsDiff(a: Float32Array, b: Float32Array): number {
  let ss = 0;
  for (let i = 0; i < a.length; i++) ss += (a[i] - b[i]) ** 2;
  return a.length > 0 ? Math.sqrt(ss / a.length) : 0;
}
