import { describe, expect, it } from 'vitest';
import { runChecks } from '../src/checks.js';
import { formatReport, reportToJSON } from '../src/report.js';
import { THRESHOLDS } from '../src/thresholds.js';
import { E, FakeModel, N, randomArray, syntheticFixture, T, V } from './fake.js';

const f32 = { thresholds: THRESHOLDS.bf16, dtype: 'bf16' };
const q8 = { thresholds: THRESHOLDS.q8_0, dtype: 'q8_0' };

describe('runChecks with a model that reproduces the reference', () => {
  it('passes every check, in forward order, and decodes with the KV cache', async () => {
    const fx = syntheticFixture({ layers: 2, moeLayers: [1] });
    const model = new FakeModel(fx);
    const r = await runChecks(fx, model, f32);
    expect(r.checks.map((c) => c.name)).toEqual([
      'input_ids', 'embed', 'layers.0', 'layers.1.router_logits', 'layers.1', 'norm', 'logits',
      'decode_logits.0', 'decode_logits.1', 'decode_logits.2', 'decode_logits.3', 'greedy_ids',
    ]);
    expect(r.checks.every((c) => c.ok)).toBe(true);
    expect(r.ok).toBe(true);
    expect(r.verdict).toBe('PASS 12/12 checks');
    expect(r.unchecked).toEqual([]);
    // prefill once, then one token per forward, feeding the reference ids back
    expect(model.forwards).toEqual([fx.json.prompt_ids, [9], [2], [6]]);
    expect(r.greedy).toEqual({ expected: [9, 2, 6, 5], actual: [9, 2, 6, 5], firstMismatch: null, margins: r.greedy.margins, nearTie: null });
    expect(r.greedy.margins.map((m) => +m.toFixed(6))).toEqual([0.1, 0.2, 0.3, 0.4]);
    const logits = r.checks.find((c) => c.name === 'logits')!;
    expect(logits.metrics).toEqual({ maxAbsDiff: 0, meanAbsDiff: 0, relL2: 0, cosine: 1, argmaxAgreement: 1 });
    expect(r.checks.find((c) => c.name === 'embed')!.metrics!.argmaxAgreement).toBeUndefined();
    expect(r.checks.find((c) => c.name === 'layers.1.router_logits')!.metrics!.argmaxAgreement).toBe(1);
  });
});

describe('runChecks finds the first drift', () => {
  it('names the first layer over the bound even when later tensors drift more', async () => {
    const fx = syntheticFixture({ layers: 3 });
    const model = new FakeModel(fx, { scale: { 'layers.1': 1 + 1e-3, 'layers.2': 1.1, norm: 1.1, logits: 1.1 } });
    const r = await runChecks(fx, model, f32);
    expect(r.ok).toBe(false);
    expect(r.verdict).toMatch(/^FAIL: first drift at layers\.1 \(relL2 1e-3 > 1e-4\); \d+\/\d+ checks failed$/);
    expect(r.checks.find((c) => c.name === 'layers.0')!.ok).toBe(true);
    expect(r.checks.find((c) => c.name === 'layers.1')!.metrics!.relL2).toBeCloseTo(1e-3, 6);
  });

  it('passes an error just under the f32 bound and fails one just over it', async () => {
    const fx = syntheticFixture();
    expect((await runChecks(fx, new FakeModel(fx, { scale: { 'layers.0': 1 + 9e-5 } }), f32)).ok).toBe(true);
    const r = await runChecks(fx, new FakeModel(fx, { scale: { 'layers.0': 1 + 1.1e-4 } }), f32);
    expect(r.verdict).toMatch(/^FAIL: first drift at layers\.0 \(relL2 1\.1e-4 > 1e-4\)/);
  });

  it('puts router logits before the output of their layer', async () => {
    const fx = syntheticFixture({ layers: 2, moeLayers: [0, 1] });
    const r = await runChecks(fx, new FakeModel(fx, { scale: { 'layers.1': 2, 'layers.1.router_logits': 2 } }), f32);
    expect(r.verdict).toMatch(/^FAIL: first drift at layers\.1\.router_logits /);
  });

  it('fails NaN anywhere', async () => {
    const fx = syntheticFixture();
    const r = await runChecks(fx, new FakeModel(fx, { nudge: [['norm', 3, NaN]] }), f32);
    expect(r.verdict).toMatch(/^FAIL: first drift at norm \(relL2 NaN > 1e-4\)/);
  });

  it('fails a tensor of the wrong shape without comparing numbers', async () => {
    const fx = syntheticFixture();
    const r = await runChecks(fx, new FakeModel(fx, { shape: { embed: [T * 2, 4] } }), f32);
    const c = r.checks.find((x) => x.name === 'embed')!;
    expect(c.ok).toBe(false);
    expect(c.metrics).toBeUndefined();
    expect(c.detail).toBe(`shape [${T * 2}, 4] ≠ reference [${T}, 8]`);
  });

  it('fails when the reference input_ids disagree with prompt_ids', async () => {
    const fx = syntheticFixture();
    const ids = fx.tensors.get('input_ids')!.data as number[];
    ids[2] = 7;
    const r = await runChecks(fx, new FakeModel(fx), f32);
    expect(r.verdict).toMatch(/^FAIL: first drift at input_ids \(index 2: 4 vs 7 in prompt_ids\)/);
  });
});

describe('greedy decoding', () => {
  /** Makes the model prefer `to` over the reference choice at `step` by `by` logits. */
  const flip = (step: number, to: number, by: number) => (s: number, row: Float32Array) => {
    if (s === step) row[to] = Math.max(...row) + by;
  };

  it('reports the first step where the ids differ (f32: ids must be exact)', async () => {
    const fx = syntheticFixture();
    const r = await runChecks(fx, new FakeModel(fx, { decodeRow: flip(2, 0, 1e-6) }), f32);
    expect(r.greedy.firstMismatch).toBe(2);
    expect(r.greedy.actual).toEqual([9, 2, 0, 5]);
    const g = r.checks.find((c) => c.name === 'greedy_ids')!;
    expect(g).toMatchObject({ ok: false, threshold: 'exact', detail: 'step 2: 0 vs 6' });
  });

  it('q8_0: tolerates a flip only at a near tie (reference margin ≤ 6σ of that step\'s logit error)', async () => {
    const fx = syntheticFixture();
    const dec = fx.tensors.get('decode_logits')!.data as Float32Array;
    dec[1 * V + 3] = dec[1 * V + 2] - 0.01; // step 1 (id 2): runner-up 3 within 0.01
    const noise = randomArray(V, 7).map((x) => x * 0.03); // uniform ±0.03: σ ≈ 0.017, 6σ ≈ 0.1
    const noisy = (flipStep: number, to = 3) => (s: number, row: Float32Array) => {
      row.forEach((x, i) => (row[i] = x + noise[i]));
      flip(flipStep, to, 1e-6)(s, row);
    };

    const near = await runChecks(fx, new FakeModel(fx, { decodeRow: noisy(1) }), q8);
    const g = near.checks.find((c) => c.name === 'greedy_ids')!;
    expect(g).toMatchObject({ ok: true, threshold: 'exact where margin>6σ' });
    expect(g.detail).toMatch(/^near tie at step 1: 3 vs 2 \(margin 1e-2 ≤ (9e-2|1e-1)\)$/);
    expect(near.greedy.firstMismatch).toBe(1);
    expect(near.ok).toBe(true);

    // step 2 (id 6, margin 0.3): flip to its runner-up, the cheapest flip there is
    const row2ref = Array.from(dec.subarray(2 * V, 3 * V));
    const runnerUp = row2ref.indexOf(Math.max(...row2ref.filter((_, i) => i !== 6)));
    const decisive = await runChecks(fx, new FakeModel(fx, { decodeRow: noisy(2, runnerUp) }), q8);
    const d = decisive.checks.find((c) => c.name === 'greedy_ids')!;
    expect(d.ok).toBe(false);
    expect(d.detail).toMatch(new RegExp(`^step 2: ${runnerUp} vs 6 \\(reference margin 3e-1 > 2\\.\\de-1\\)$`));
    // σ is that row's RMS error: 6σ per step, recorded in the report
    const row2 = decisive.checks.find((c) => c.name === 'decode_logits.2')!.metrics!;
    expect(decisive.greedy.nearTie![2]).toBeGreaterThan(6 * row2.meanAbsDiff);
    // the same flip under the f32 profile fails even at the near tie
    expect((await runChecks(fx, new FakeModel(fx, { decodeRow: flip(1, 3, 1e-6) }), f32)).ok).toBe(false);
  });

  it('q8_0 without decode_logits in the reference: ids must be exact', async () => {
    const fx = syntheticFixture();
    fx.tensors.delete('decode_logits');
    const r = await runChecks(fx, new FakeModel(syntheticFixture(), { decodeRow: flip(1, 3, 10) }), q8);
    expect(r.greedy.nearTie).toBeNull();
    expect(r.checks.find((c) => c.name === 'greedy_ids')).toMatchObject({ ok: false, threshold: 'exact' });
  });

  it('checks each decode_logits row against its bound', async () => {
    const fx = syntheticFixture();
    const r = await runChecks(fx, new FakeModel(fx, { decodeRow: (s, row) => s === 3 && row.forEach((x, i) => (row[i] = x * 1.01)) }), f32);
    expect(r.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['decode_logits.3']);
    expect(r.greedy.firstMismatch).toBeNull();
  });
});

describe('unchecked tensors', () => {
  it('reports tensors the checker does not know and tensors the model did not produce, never as passed', async () => {
    const extra = { 'vision.embeds': { name: 'vision.embeds', dtype: 'F32' as const, shape: [2, 2], data: new Float32Array(4) } };
    const fx = syntheticFixture({ extra });
    const model = new FakeModel(fx, { omit: ['norm', 'vision.embeds'] });
    const r = await runChecks(fx, model, f32);
    expect(r.unchecked).toEqual([
      { name: 'vision.embeds', reason: 'not a tensor qo-validate compares' },
      { name: 'norm', reason: 'the model did not probe it' },
    ]);
    expect(r.checks.map((c) => c.name)).not.toContain('norm');
    expect(r.verdict).toBe(`PASS ${r.checks.length}/${r.checks.length} checks; 2 unchecked (vision.embeds, norm)`);
    expect(formatReport(r)).toMatch(/^norm +unchecked {2}the model did not probe it$/m);
  });

  it('ignores probes the reference does not have', async () => {
    const fx = syntheticFixture({ layers: 2 });
    fx.tensors.delete('layers.1');
    const r = await runChecks(fx, new FakeModel(syntheticFixture({ layers: 2 })), f32);
    expect(r.ok).toBe(true);
    expect(r.checks.map((c) => c.name)).not.toContain('layers.1');
  });
});

describe('e2e-chat', () => {
  const tokenizer = (over: { template?: string; ids?: number[]; text?: string; throws?: boolean } = {}) => ({
    calls: [] as unknown[],
    applyChatTemplate(messages: readonly unknown[], opts: unknown) {
      this.calls.push({ messages, opts });
      if (over.throws) throw new SyntaxError('Variable already declared: raise_exception');
      return over.template ?? '<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n';
    },
    encode(text: string, opts: unknown) {
      this.calls.push({ encode: text, opts });
      return over.ids ?? [3, 1, 4, 1, 5];
    },
    decode(ids: ArrayLike<number>, opts: { skipSpecialTokens: boolean }) {
      this.calls.push({ decode: Array.from(ids), opts });
      return over.text ?? 'hello';
    },
  });
  const chat = () => {
    const fx = syntheticFixture({ kind: 'e2e-chat' });
    Object.assign(fx.json, {
      messages: [{ role: 'user', content: 'hi' }],
      enable_thinking: false,
      prompt_text: '<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n',
    });
    fx.json.greedy.text = 'hello';
    return fx;
  };

  it('checks the chat template, the prompt ids and the decoded text', async () => {
    const fx = chat();
    const tok = tokenizer();
    const r = await runChecks(fx, new FakeModel(fx), { ...f32, tokenizer: tok });
    expect(r.checks.map((c) => c.name).slice(0, 3)).toEqual(['prompt_text', 'prompt_ids', 'input_ids']);
    expect(r.checks.at(-1)!.name).toBe('greedy_text');
    expect(r.ok).toBe(true);
    expect(tok.calls).toEqual([
      { messages: fx.json.messages, opts: { addGenerationPrompt: true, enableThinking: false } },
      { encode: fx.json.prompt_text, opts: { addSpecialTokens: false } },
      { decode: [9, 2, 6, 5], opts: { skipSpecialTokens: true } },
    ]);
  });

  it('fails at the template when the rendered prompt differs, and says where', async () => {
    const fx = chat();
    const r = await runChecks(fx, new FakeModel(fx), { ...f32, tokenizer: tokenizer({ template: '<|im_start|>user\nhi<|im_end|>\n', ids: [3, 1, 4] }) });
    expect(r.verdict).toMatch(/^FAIL: first drift at prompt_text \(differs at char 30: "\|im_end\|>\\n" vs "\|im_end\|>\\n<\|im_start\|>assistan"\)/);
    expect(r.checks.find((c) => c.name === 'prompt_ids')!.detail).toBe('3 ids vs 5 in the reference prompt_ids');
  });

  it('fails (not crashes) when the chat template throws, and still checks the model on the reference ids', async () => {
    const fx = chat();
    const r = await runChecks(fx, new FakeModel(fx), { ...f32, tokenizer: tokenizer({ throws: true }) });
    expect(r.verdict).toMatch(/^FAIL: first drift at prompt_text \(rendering the chat template threw SyntaxError: Variable already declared: raise_exception\); 1\/\d+ checks failed$/);
    expect(r.checks.find((c) => c.name === 'greedy_ids')!.ok).toBe(true);
  });

  it('decodes with special tokens kept when text_decode says so', async () => {
    const fx = chat();
    fx.json.text_decode = 'skip_special_tokens=false';
    const tok = tokenizer();
    await runChecks(fx, new FakeModel(fx), { ...f32, tokenizer: tok });
    expect(tok.calls.at(-1)).toEqual({ decode: [9, 2, 6, 5], opts: { skipSpecialTokens: false } });
  });

  it('fails when the decoded continuation differs', async () => {
    const fx = chat();
    const r = await runChecks(fx, new FakeModel(fx), { ...f32, tokenizer: tokenizer({ text: 'help' }) });
    expect(r.verdict).toMatch(/^FAIL: first drift at greedy_text \(differs at char 3/);
  });
});

describe('report output', () => {
  it('prints an aligned table with the threshold beside each number, then the verdict', async () => {
    const fx = syntheticFixture({ layers: 1, moeLayers: [0] });
    const r = await runChecks(fx, new FakeModel(fx, { scale: { norm: 1.5 } }), f32);
    const text = formatReport(r);
    const lines = text.split('\n');
    expect(lines.at(-1)).toBe(r.verdict);
    expect(r.verdict).toMatch(/^FAIL: first drift at norm \(relL2 5e-1 > 1e-4\)/);
    const header = lines.findIndex((l) => l.startsWith('check '));
    const table = lines.slice(header, header + 2 + r.checks.length);
    const thresholdCol = table[0].indexOf('threshold');
    const okCol = table[0].indexOf('ok');
    for (const row of table.slice(2)) {
      expect(row.slice(thresholdCol)).toMatch(/^(relL2≤1e-4|exact) +(ok|FAIL)/);
      expect(row.slice(okCol)).toMatch(/^(ok|FAIL)/);
    }
    expect(table.find((l) => l.startsWith('norm '))).toMatch(/^norm +\S+ +\S+ +5\.00e-1 +1\.000000 +relL2≤1e-4 +FAIL {2}relL2 5e-1 > 1e-4$/);
    expect(table.find((l) => l.startsWith('logits '))).toMatch(/ 1\.000 +relL2≤1e-4 +ok$/);
    expect(text).toContain(`greedy: ${N} steps, ids identical, smallest reference top-2 margin 1.00e-1`);
  });

  it('serializes to one JSON object that keeps NaN visible', async () => {
    const fx = syntheticFixture();
    const r = await runChecks(fx, new FakeModel(fx, { nudge: [['embed', 0, NaN]] }), f32);
    const j = JSON.parse(reportToJSON(r));
    expect(j.ok).toBe(false);
    expect(j.verdict).toBe(r.verdict);
    expect(j.checks).toHaveLength(r.checks.length);
    expect(j.checks[1]).toMatchObject({ name: 'embed', ok: false, metrics: { relL2: 'NaN' } });
    expect(j.thresholds.hidden).toEqual({ maxRelL2: 1e-4 });
    expect(j.greedy.expected).toEqual([9, 2, 6, 5]);
  });
});

it('uses the synthetic sizes the fake model expects', () => {
  expect([T, V, N, E]).toEqual([5, 64, 4, 4]);
});
