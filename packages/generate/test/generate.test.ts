import { describe, expect, it } from 'vitest';
import {
  generate,
  generationDefaults,
  InvalidOptionError,
  InvalidTokenError,
  PromptTooLongError,
  Sampler,
  StreamConsumedError,
  type CausalLM,
} from '../src/index.js';
import { collect, FakeLM, noisyLM, PieceTokenizer, scriptedLM } from './helpers.js';

// A tiny vocabulary: id i decodes to PIECES[i]. 0 is a special end token.
const PIECES = ['<eos>', 'a', 'b', 'c', 'd', 'e', ' ', 'EN', 'D', '!', 'x', 'y', 'z', 'E', 'N'];
const EOS = 0;
const tok = new PieceTokenizer(PIECES, [EOS]);
const id = (s: string): number => {
  const i = PIECES.indexOf(s);
  if (i < 0) throw new Error(s);
  return i;
};
const ids = (...s: string[]): number[] => s.map(id);
const PROMPT = ids('x', 'y');

/** A model that, after PROMPT, greedily emits `script`. */
const scripted = (script: number[], maxContext?: number): FakeLM => scriptedLM(PIECES.length, () => PROMPT.length, script, maxContext);

describe('generate: stops', () => {
  it("stops at an EOS id: the id is in ids, not in text; reason 'eos'", async () => {
    const m = scripted(ids('a', 'b', '<eos>', 'c'));
    const { chunks, result } = await collect(generate(m, tok, PROMPT, { eosTokenIds: [EOS] }));
    expect(result.stopReason).toBe('eos');
    expect(result.ids).toEqual(ids('a', 'b', '<eos>'));
    expect(result.text).toBe('ab');
    expect(chunks.map((c) => c.text)).toEqual(['a', 'b', '']);
    expect(chunks.map((c) => c.ids)).toEqual([[id('a')], [id('b')], [EOS]]);
    // prompt once, then one id per step; the EOS is never fed back
    expect(m.calls).toEqual([PROMPT, [id('a')], [id('b')]]);
    expect(m.resets).toBe(1);
  });

  it('takes EOS ids from the checkpoint defaults (generation_config + config)', async () => {
    const defaults = generationDefaults({ eos_token_id: [id('c'), id('z')] }, { eos_token_id: id('d') });
    expect(defaults.eosTokenIds).toEqual([id('c'), id('z'), id('d')]);
    const r = await generate(scripted(ids('a', 'd', 'b')), tok, PROMPT, { defaults }).result();
    expect(r.stopReason).toBe('eos');
    expect(r.ids).toEqual(ids('a', 'd'));
  });

  it("stops at a stop string split over tokens, which is not emitted, nor what follows; reason 'stop'", async () => {
    // text "ab EN D!x": the stop string "EN D" spans the tokens 'EN', ' ', 'D'
    const m = scripted(ids('a', 'b', ' ', 'EN', ' ', 'D', '!', 'x'));
    const { chunks, result } = await collect(generate(m, tok, PROMPT, { stop: ['EN D'] }));
    expect(result.stopReason).toBe('stop');
    expect(result.stopString).toBe('EN D');
    expect(result.text).toBe('ab ');
    expect(result.ids).toEqual(ids('a', 'b', ' ', 'EN', ' ', 'D'));
    // 'EN', ' ' could start the stop string: held back, then dropped
    expect(chunks.map((c) => c.text)).toEqual(['a', 'b', ' ', '', '', '']);
  });

  it('finds a stop string that ends inside a token, and drops the rest of that token', async () => {
    const m = scripted(ids('a', 'EN', 'D'));
    const r = await generate(m, tok, PROMPT, { stop: ['E'] }).result();
    expect([r.stopReason, r.text, r.ids]).toEqual(['stop', 'a', ids('a', 'EN')]);
  });

  it('picks the earliest of several stop strings', async () => {
    const m = scripted(ids('a', 'b', 'c', 'd'));
    const r = await generate(m, tok, PROMPT, { stop: ['cd', 'bc'] }).result();
    expect([r.text, r.stopString]).toEqual(['a', 'bc']);
  });

  it('releases text held for a stop string that never completed', async () => {
    const m = scripted(ids('a', 'E', 'N'));
    const { chunks, result } = await collect(generate(m, tok, PROMPT, { stop: ['EN D'], maxNewTokens: 3 }));
    expect(result.stopReason).toBe('length');
    expect(result.text).toBe('aEN');
    expect(chunks.map((c) => c.text)).toEqual(['a', '', 'EN']);
  });

  it("stops after maxNewTokens; reason 'length'", async () => {
    const m = scripted(ids('a', 'b', 'c', 'd'));
    const r = await generate(m, tok, PROMPT, { maxNewTokens: 2 }).result();
    expect([r.stopReason, r.text, r.ids.length]).toEqual(['length', 'ab', 2]);
    expect(m.calls.length).toBe(2);
  });

  it('stops when the context is full (prompt + generated = maxContext)', async () => {
    const m = scripted(ids('a', 'b', 'c', 'd'), PROMPT.length + 3);
    const r = await generate(m, tok, PROMPT).result();
    expect([r.stopReason, r.text]).toEqual(['length', 'abc']);
  });

  it("applies generation_config's max_new_tokens and max_length (which counts the prompt)", async () => {
    const newTokens = await generate(scripted(ids('a', 'b', 'c')), tok, PROMPT, { defaults: generationDefaults({ max_new_tokens: 1 }) }).result();
    expect(newTokens.text).toBe('a');
    const total = await generate(scripted(ids('a', 'b', 'c')), tok, PROMPT, { defaults: generationDefaults({ max_length: 4 }) }).result();
    expect(total.text).toBe('ab');
    // an explicit maxNewTokens wins over both
    const explicit = await generate(scripted(ids('a', 'b', 'c')), tok, PROMPT, { maxNewTokens: 3, defaults: generationDefaults({ max_length: 3 }) }).result();
    expect(explicit.text).toBe('abc');
  });

  it('refuses a prompt that fills the context, an empty prompt and out-of-vocabulary prompt ids', async () => {
    await expect(generate(scripted([], 2), tok, PROMPT).result()).rejects.toThrow(PromptTooLongError);
    await expect(generate(scripted([]), tok, []).result()).rejects.toThrow(InvalidOptionError);
    await expect(generate(scripted([]), tok, [99]).result()).rejects.toThrow(InvalidTokenError);
  });

  it('validates options when called, before any model work', () => {
    const m = scripted([]);
    expect(() => generate(m, tok, PROMPT, { maxNewTokens: 0 })).toThrow(InvalidOptionError);
    expect(() => generate(m, tok, PROMPT, { eosTokenIds: [PIECES.length] })).toThrow(/eosTokenIds/);
    expect(() => generate(m, tok, PROMPT, { stop: [''] })).toThrow(InvalidOptionError);
    expect(() => generate(m, tok, PROMPT, { topP: 2 })).toThrow(/topP/);
    expect(() => generate(m, tok, PROMPT, { seed: -3 })).toThrow(/seed/);
    expect(m.calls.length).toBe(0);
  });

  it('encodes a text prompt without adding special tokens', async () => {
    const m = scripted(ids('a'));
    await generate(m, tok, 'xy', { maxNewTokens: 1 }).result();
    expect(m.calls[0]).toEqual(PROMPT);
  });
});

describe('generate: abort', () => {
  it("stops between tokens when the signal fires mid-stream; reason 'abort'", async () => {
    const m = scripted(ids('a', 'b', 'c', 'd', 'e'));
    const ac = new AbortController();
    const stream = generate(m, tok, PROMPT, { signal: ac.signal });
    const seen: string[] = [];
    for await (const c of stream) {
      seen.push(c.text);
      if (seen.length === 2) ac.abort();
    }
    const r = await stream.result();
    expect(r.stopReason).toBe('abort');
    expect(r.text).toBe('ab');
    expect(seen).toEqual(['a', 'b']);
    expect(m.calls.length).toBe(2); // no forward pass after the abort
  });

  it('does not run the model at all when the signal has already fired', async () => {
    const m = scripted(ids('a'));
    const r = await generate(m, tok, PROMPT, { signal: AbortSignal.abort() }).result();
    expect([r.stopReason, r.ids, m.calls.length]).toEqual(['abort', [], 0]);
  });

  it('releases held text when aborted', async () => {
    const m = scripted(ids('a', 'E', 'N'));
    const ac = new AbortController();
    const stream = generate(m, tok, PROMPT, { signal: ac.signal, stop: ['EN D'] });
    const seen: string[] = [];
    for await (const c of stream) {
      seen.push(c.text);
      if (seen.length === 2) ac.abort(); // 'E' is held: it might start "EN D"
    }
    expect(seen).toEqual(['a', '', 'E']);
    expect((await stream.result()).text).toBe('aE');
  });

  it("leaving the for-await loop early stops generation; the result says 'abort'", async () => {
    const m = scripted(ids('a', 'b', 'c', 'd', 'e'));
    const stream = generate(m, tok, PROMPT);
    for await (const c of stream) if (c.text === 'b') break;
    const r = await stream.result();
    expect([r.stopReason, r.text]).toEqual(['abort', 'ab']);
    expect(m.calls.length).toBe(2);
  });
});

describe('generate: the stream', () => {
  it('result() alone runs the generation; a stream is iterated once', async () => {
    const stream = generate(scripted(ids('a', 'b', '<eos>')), tok, PROMPT, { eosTokenIds: [EOS] });
    expect((await stream.result()).text).toBe('ab');
    expect(() => stream[Symbol.asyncIterator]()).toThrow(StreamConsumedError);
  });

  it('a model error reaches the iterating caller and rejects result()', async () => {
    const broken: CausalLM = { vocabSize: PIECES.length, maxContext: 100, reset() {}, forward: () => Promise.reject(new Error('device lost')) };
    const stream = generate(broken, tok, PROMPT);
    await expect(collect(stream)).rejects.toThrow('device lost');
    await expect(stream.result()).rejects.toThrow('device lost');
  });

  it('reports timings and the seed', async () => {
    const r = await generate(scripted(ids('a', 'b', 'c')), tok, PROMPT, { maxNewTokens: 3, seed: 5 }).result();
    const t = r.timings;
    expect(r.seed).toBe(5);
    expect([t.promptTokens, t.generatedTokens]).toEqual([2, 3]);
    expect(t.timeToFirstTokenMs).toBeGreaterThanOrEqual(t.prefillMs);
    expect(t.prefillMs).toBeGreaterThan(0);
    expect(t.decodeMs).toBeGreaterThan(0);
    expect(t.decodeTokensPerSecond).toBeCloseTo(2000 / t.decodeMs, 6);
    expect(t.prefillTokensPerSecond).toBeCloseTo(2000 / t.prefillMs, 6);
  });
});

describe('generate: seeded sampling', () => {
  const V = 64;
  const vocab = Array.from({ length: V }, (_, i) => String.fromCharCode(0x4e00 + i)); // one CJK character per id
  const big = new PieceTokenizer(vocab);
  const run = (seed: number, extra = {}) => generate(noisyLM(V), big, [1, 2, 3], { seed, temperature: 1.3, topK: 40, topP: 0.95, maxNewTokens: 40, ...extra }).result();

  it('the same seed gives the same tokens; different seeds give different ones', async () => {
    const a = await run(123);
    const b = await run(123);
    const c = await run(124);
    expect(a.ids).toEqual(b.ids);
    expect(a.text).toBe(b.text);
    expect(c.ids).not.toEqual(a.ids);
    expect(new Set(a.ids).size).toBeGreaterThan(5); // it really sampled
  });

  it('draws one uniform per token from xoshiro128**(seed): the first token is reproducible by hand', async () => {
    const m = noisyLM(V);
    const r = await generate(m, big, [1, 2, 3], { seed: 9, temperature: 0.8, maxNewTokens: 1 }).result();
    const logits = await noisyLM(V).forward([1, 2, 3]);
    const { Xoshiro128, resolveSampling } = await import('../src/index.js');
    const s = new Sampler(V, resolveSampling({ temperature: 0.8 }));
    s.reset([1, 2, 3]);
    expect(r.ids[0]).toBe(s.sample(logits, new Xoshiro128(9).uniform()));
  });

  it("a model's forwardSample fast path gets the same draws and gives the same tokens", async () => {
    const cpu = await run(77, { repetitionPenalty: 1.2 });
    const inner = noisyLM(V);
    let fast = 0;
    const device: CausalLM = {
      vocabSize: V,
      maxContext: inner.maxContext,
      reset: () => inner.reset(),
      forward: () => Promise.reject(new Error('forward must not be used when forwardSample exists')),
      async forwardSample(input, sampler, uniform) {
        fast++;
        return sampler.sample(await inner.forward(input), uniform);
      },
    };
    const gpu = await generate(device, big, [1, 2, 3], { seed: 77, temperature: 1.3, topK: 40, topP: 0.95, maxNewTokens: 40, repetitionPenalty: 1.2 }).result();
    expect(gpu.ids).toEqual(cpu.ids);
    expect(fast).toBe(40);
  });

  it('refuses an out-of-range id from forwardSample', async () => {
    const device: CausalLM = { vocabSize: V, maxContext: 100, reset() {}, forward: () => new Float32Array(V), forwardSample: async () => V };
    await expect(generate(device, big, [1], { maxNewTokens: 2 }).result()).rejects.toThrow(InvalidTokenError);
  });

  it('penalties see the prompt and the generated tokens', async () => {
    // a model that always prefers token 5 a little: with a strong frequency penalty it must move on
    const m = new FakeLM(V, (_c, l) => {
      l.fill(-10);
      l[5] = 1;
      l[6] = 0.5;
    });
    const r = await generate(m, big, [5], { frequencyPenalty: 0.6, maxNewTokens: 3 }).result();
    // greedy: 5 is seen once in the prompt: 1 − 0.6 = 0.4 < 0.5, so 6; then 6 is 0.5 − 0.6 < 0.4: 5; then 5 twice: 1 − 1.2 < 6's −0.1
    expect(r.ids).toEqual([6, 5, 6]);
  });
});
