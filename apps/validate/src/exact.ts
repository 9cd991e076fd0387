import type { Check } from './report.js';

/** Ids that must match one for one; the detail names the first difference. */
export function idsCheck(name: string, actual: readonly number[], expected: readonly number[], what: string): Check {
  const n = Math.max(actual.length, expected.length);
  for (let i = 0; i < n; i++) {
    if (actual[i] !== expected[i]) {
      const detail = i >= actual.length || i >= expected.length
        ? `${actual.length} ids vs ${expected.length} in ${what}`
        : `index ${i}: ${actual[i]} vs ${expected[i]} in ${what}`;
      return { name, ok: false, threshold: 'exact', detail };
    }
  }
  return { name, ok: true, threshold: 'exact', detail: '' };
}

/** Text that must match exactly; the detail quotes both sides around the first difference. */
export function textCheck(name: string, actual: string, expected: string): Check {
  if (actual === expected) return { name, ok: true, threshold: 'exact', detail: '' };
  let i = 0;
  while (i < actual.length && actual[i] === expected[i]) i++;
  const near = (s: string) => JSON.stringify(s.slice(Math.max(0, i - 10), i + 20));
  return { name, ok: false, threshold: 'exact', detail: `differs at char ${i}: ${near(actual)} vs ${near(expected)}` };
}

/** A check that could not be computed because what is under test threw. */
export function failedCheck(name: string, what: string, err: Error): Check {
  return { name, ok: false, threshold: 'exact', detail: `${what} threw ${err.name}: ${err.message}` };
}
