import type { TensorMetrics } from './metrics.js';
import { fmt, type Thresholds } from './thresholds.js';

/** One row of the report. */
export interface Check {
  /** tensor name (`layers.1`, `decode_logits.3`) or an ids/text check (`greedy_ids`, `prompt_text`) */
  name: string;
  ok: boolean;
  /** tensor checks only */
  metrics?: TensorMetrics;
  /** the bound, as printed */
  threshold: string;
  /** why it failed, or what an ids/text check found; '' when there is nothing to say */
  detail: string;
}

/** A reference tensor that was not compared: never counted as passed. */
export interface Unchecked {
  name: string;
  reason: string;
}

export interface GreedyResult {
  expected: number[];
  /** the argmax at each step, with the reference's previous ids fed back (see README) */
  actual: number[];
  /** first step whose ids differ, or null */
  firstMismatch: number | null;
  /** reference top-1/top-2 logit margin at each step (from decode_logits, else min_top2_margin) */
  margins: number[];
  /** q8_0: per step, the margin at or under which a flipped id is tolerated (c·σ); null when ids must be exact */
  nearTie: number[] | null;
}

export interface Report {
  fixture: string;
  kind: string;
  model_type: string;
  device: string;
  dtype: string;
  thresholds: Thresholds;
  /** in forward order: prompt → input_ids → embed → layers → norm → logits → decoding */
  checks: Check[];
  unchecked: Unchecked[];
  greedy: GreedyResult;
  ok: boolean;
  verdict: string;
}

/** `PASS 16/16 checks` or `FAIL: first drift at layers.1 (relL2 3.1e-2 > 1e-4)`, plus what went unchecked. */
export function verdict(checks: readonly Check[], unchecked: readonly Unchecked[]): string {
  const passed = checks.filter((c) => c.ok).length;
  const first = checks.find((c) => !c.ok);
  const rest = unchecked.length > 0 ? `; ${unchecked.length} unchecked (${unchecked.map((u) => u.name).join(', ')})` : '';
  if (first === undefined) return `PASS ${passed}/${checks.length} checks${rest}`;
  return `FAIL: first drift at ${first.name} (${first.detail}); ${checks.length - passed}/${checks.length} checks failed${rest}`;
}

const HEADERS = ['check', 'max|diff|', 'mean|diff|', 'relL2', 'cosine', 'argmax', 'threshold', 'ok'] as const;

/** The report as an aligned text table, then the verdict line. */
export function formatReport(r: Report): string {
  const rows: string[][] = r.checks.map((c) => {
    const m = c.metrics;
    return [
      c.name,
      m ? fmt3(m.maxAbsDiff) : '',
      m ? fmt3(m.meanAbsDiff) : '',
      m ? fmt3(m.relL2) : '',
      m ? (Number.isNaN(m.cosine) ? 'NaN' : m.cosine.toFixed(6)) : '',
      m?.argmaxAgreement !== undefined ? m.argmaxAgreement.toFixed(3) : '',
      c.threshold,
      `${c.ok ? 'ok' : 'FAIL'}${c.detail ? `  ${c.detail}` : ''}`,
    ];
  });
  for (const u of r.unchecked) rows.push([u.name, '', '', '', '', '', '', `unchecked  ${u.reason}`]);
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((s, i) => (i === cells.length - 1 ? s : i >= 1 && i <= 5 ? s.padStart(widths[i]) : s.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const out = [
    `qo-validate ${r.fixture}  (${r.kind}, ${r.model_type}, device ${r.device}, dtype ${r.dtype}: ${r.thresholds.name})`,
    '',
    line(HEADERS),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
  ];
  const g = r.greedy;
  const gen = `greedy: ${g.actual.length} steps, ${g.firstMismatch === null ? 'ids identical' : `first differing step ${g.firstMismatch}`}` +
    (g.margins.length > 0 ? `, smallest reference top-2 margin ${fmt3(Math.min(...g.margins))}` : '');
  out.push('', gen, r.verdict);
  return out.join('\n');
}

/** The report as one JSON object (NaN and Infinity become strings so that no number is lost). */
export function reportToJSON(r: Report): string {
  return JSON.stringify(r, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
}

function fmt3(x: number): string {
  if (x === 0) return '0';
  if (!Number.isFinite(x)) return String(x);
  return x.toExponential(2);
}

export { fmt };
