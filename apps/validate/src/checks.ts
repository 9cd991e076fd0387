import type { Fixture, ReferenceTensor } from './fixture.js';
import { argmax, compareTensors, top2Margin } from './metrics.js';
import type { CausalLM, ChatTokenizer } from './model.js';
import { forwardOrder, isLogitsLike, knownTensor, type KnownTensor } from './names.js';
import { decodedTextCheck, promptChecks } from './chat.js';
import { idsCheck } from './exact.js';
import { greedyCheck, rmsDiff } from './greedy.js';
import { type Check, type Report, type Unchecked, verdict } from './report.js';
import { boundFailure, describeBound, type TensorBound, type Thresholds } from './thresholds.js';

export interface RunChecksOptions {
  thresholds: Thresholds;
  /** required for e2e-chat fixtures */
  tokenizer?: ChatTokenizer;
  /** printed in the report */
  device?: string;
  dtype?: string;
}

interface Probed {
  data: Float32Array;
  shape: readonly number[];
}

/**
 * Runs the fixture's prompt through `model` once with probes and all logits, then decodes
 * greedy.new_ids.length steps with the KV cache, and compares everything the reference recorded.
 */
export async function runChecks(fx: Fixture, model: CausalLM, opts: RunChecksOptions): Promise<Report> {
  const th = opts.thresholds;
  const ref = fx.json;
  const checks: Check[] = [];
  const unchecked: Unchecked[] = [];

  if (ref.kind === 'e2e-chat') {
    if (opts.tokenizer === undefined) throw new TypeError('runChecks: an e2e-chat fixture needs opts.tokenizer');
    checks.push(...(await promptChecks(fx, opts.tokenizer)));
  }

  // 1. Prefill with probes.
  const prompt = ref.prompt_ids;
  const T = prompt.length;
  const N = ref.greedy.new_ids.length;
  const V = model.config.vocab_size;
  const probed = new Map<string, Probed>();
  const cache = model.createCache(T + N);
  const logits = await model.forward(prompt, cache, {
    allLogits: true,
    probe: (name, data, shape) => {
      if (!probed.has(name)) probed.set(name, { data, shape: [...shape] });
    },
  });
  if (logits.length !== T * V) {
    throw new TypeError(`model.forward returned ${logits.length} logits for ${T} tokens with allLogits; expected ${T} × ${V}`);
  }

  // 2. Every reference tensor this checker knows, in forward order.
  const known: { t: ReferenceTensor; k: KnownTensor }[] = [];
  for (const t of fx.tensors.values()) {
    const k = knownTensor(t.name);
    if (k === null) unchecked.push({ name: t.name, reason: 'not a tensor qo-validate compares' });
    else known.push({ t, k });
  }
  known.sort((a, b) => forwardOrder(a.k) - forwardOrder(b.k));
  for (const { t, k } of known) {
    if (k.role === 'decode_logits') continue; // step by step below
    if (k.role === 'input_ids') {
      checks.push(idsCheck('input_ids', prompt, t.data as number[], 'prompt_ids'));
      continue;
    }
    const got = probed.get(t.name);
    if (got === undefined) {
      unchecked.push({ name: t.name, reason: 'the model did not probe it' });
      continue;
    }
    const bound = k.role === 'logits' ? th.logits : k.role === 'router_logits' ? th.routerLogits : th.hidden;
    checks.push(tensorCheck(t.name, got.data, got.shape, t.data as Float32Array, t.shape, bound, isLogitsLike(k)));
  }

  // 3. Greedy decoding with the cache: step 0 from the prompt's last logits, then one token per
  // forward. The reference's id is fed back at each step (teacher forcing): until the first
  // mismatch that is exactly greedy decoding, and after it the logits stay comparable.
  const decodeRef = fx.tensors.get('decode_logits');
  const refRows = decodeRef?.dtype === 'F32' && decodeRef.shape[1] === V ? decodeRef.data : null;
  if (decodeRef !== undefined && refRows === null) {
    checks.push({ name: 'decode_logits', ok: false, threshold: describeBound(th.decodeLogits), detail: `reference rows have ${decodeRef.shape[1]} logits, the model ${V}` });
  }
  const actual: number[] = [];
  const margins: number[] = [];
  const ties: number[] = [];
  let row = logits.slice((T - 1) * V, T * V);
  for (let s = 0; s < N; s++) {
    if (s > 0) {
      const out = await model.forward([ref.greedy.new_ids[s - 1]], cache);
      if (out.length !== V) throw new TypeError(`model.forward returned ${out.length} logits for one token; expected ${V}`);
      row = out.slice();
    }
    actual.push(argmax(row));
    if (refRows !== null) {
      const r = refRows.subarray(s * V, (s + 1) * V);
      margins.push(top2Margin(r));
      checks.push(tensorCheck(`decode_logits.${s}`, row, [1, V], r, [1, V], th.decodeLogits, true));
      if (th.greedy !== 'exact') ties.push(th.greedy.nearTieSigmas * rmsDiff(row, r));
    } else if (ref.greedy.min_top2_margin !== undefined) {
      margins.push(ref.greedy.min_top2_margin);
    }
  }
  const nearTie = th.greedy !== 'exact' && refRows !== null ? { sigmas: th.greedy.nearTieSigmas, ties } : null;
  const greedy = greedyCheck(ref.greedy.new_ids, actual, margins, nearTie);
  checks.push(greedy.check);

  if (ref.kind === 'e2e-chat') {
    checks.push(await decodedTextCheck(fx, opts.tokenizer!, actual));
  }

  return {
    fixture: fx.dir,
    kind: ref.kind,
    model_type: ref.model_type,
    device: opts.device ?? 'cpu',
    dtype: opts.dtype ?? '',
    thresholds: th,
    checks,
    unchecked,
    greedy: greedy.result,
    ok: checks.every((c) => c.ok),
    verdict: verdict(checks, unchecked),
  };
}

export function tensorCheck(
  name: string,
  data: Float32Array,
  shape: readonly number[],
  refData: Float32Array,
  refShape: readonly number[],
  bound: TensorBound,
  logitsLike: boolean,
): Check {
  const threshold = describeBound(bound);
  if (shape.length !== refShape.length || shape.some((d, i) => d !== refShape[i]) || data.length !== refData.length) {
    return { name, ok: false, threshold, detail: `shape [${shape.join(', ')}] ≠ reference [${refShape.join(', ')}]` };
  }
  const metrics = compareTensors(data, refData, logitsLike ? refShape[refShape.length - 1] : undefined);
  const detail = boundFailure(metrics, bound);
  return { name, ok: detail === '', metrics, threshold, detail };
}
