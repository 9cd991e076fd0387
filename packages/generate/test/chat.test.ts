import { describe, expect, it } from 'vitest';
import { chat, generationDefaults, InvalidOptionError, type ChatMessage, type ChatTokenizer } from '../src/index.js';
import { collect, QWEN3_VOCAB, qwen3Tokenizer, scriptedLM, tokenizerCases } from './helpers.js';

const tok = qwen3Tokenizer();
const IM_END = 151645;
// generation_config.json as Qwen/Qwen3-0.6B ships it, with its config.json's eos_token_id
const QWEN3_DEFAULTS = generationDefaults(
  { bos_token_id: 151643, do_sample: true, eos_token_id: [151645, 151643], pad_token_id: 151643, temperature: 0.6, top_k: 20, top_p: 0.95, transformers_version: '4.51.0' },
  { eos_token_id: 151645 },
);
const chatCase = (name: string) => {
  const c = tokenizerCases().chat.find((x) => x.name === name);
  if (c === undefined) throw new Error(`no chat case "${name}" in cases.json`);
  return c;
};
const replyIds = (text: string): number[] => [...tok.encode(text, { addSpecialTokens: false }), IM_END];
/** A model that answers `reply` after whatever prompt it is given. */
const answering = (reply: string) => {
  const script = replyIds(reply);
  const m = scriptedLM(QWEN3_VOCAB, () => m.calls[0]?.length ?? 0, script);
  return m;
};

describe('chat with the Qwen3 template', () => {
  it('thinking on: the prompt is what transformers builds; reasoning comes apart from the answer', async () => {
    const c = chatCase('single_user_thinking');
    const m = answering('<think>\nThe user asks 2+2.\n\nThat is 4.\n</think>\n\n2 + 2 = 4.');
    const { chunks, result } = await collect(chat(m, tok, c.messages, { enableThinking: true, defaults: QWEN3_DEFAULTS, seed: 1 }));
    expect(m.calls[0]).toEqual(c.ids);
    expect(result.stopReason).toBe('eos');
    expect(result.reasoning).toBe('The user asks 2+2.\n\nThat is 4.');
    expect(result.content).toBe('2 + 2 = 4.');
    expect(result.text).toBe('<think>\nThe user asks 2+2.\n\nThat is 4.\n</think>\n\n2 + 2 = 4.');
    expect(result.message).toEqual({ role: 'assistant', content: '2 + 2 = 4.' });
    // the stream: reasoning chunks, then content chunks, adding up to the result
    const firstContent = chunks.findIndex((x) => x.type === 'content');
    expect(firstContent).toBeGreaterThan(0);
    expect(chunks.slice(firstContent).every((x) => x.type === 'content')).toBe(true);
    expect(chunks.filter((x) => x.type === 'reasoning').map((x) => x.text).join('')).toBe(result.reasoning);
    expect(chunks.filter((x) => x.type === 'content').map((x) => x.text).join('')).toBe(result.content);
    // generation_config's defaults were applied
    expect(result.sampling).toMatchObject({ doSample: true, temperature: 0.6, topK: 20, topP: 0.95 });
  });

  it('thinking off: the prompt is what transformers builds (an empty think block); no reasoning', async () => {
    const c = chatCase('single_user_no_thinking');
    const m = answering('2 + 2 = 4.');
    const { chunks, result } = await collect(chat(m, tok, c.messages, { enableThinking: false, defaults: QWEN3_DEFAULTS }));
    expect(m.calls[0]).toEqual(c.ids);
    expect([result.reasoning, result.content]).toEqual(['', '2 + 2 = 4.']);
    expect(chunks.every((x) => x.type === 'content')).toBe(true);
  });

  it('tools reach the template', async () => {
    const c = chatCase('tools') as ReturnType<typeof chatCase> & { tools: Record<string, unknown>[] };
    const m = answering('ok');
    await chat(m, tok, c.messages, { tools: c.tools, enableThinking: true, maxNewTokens: 1, eosTokenIds: [IM_END] }).result();
    expect(m.calls[0]).toEqual(c.ids);
  });

  it('refuses to chat without end-of-turn ids (it would run into turns nobody asked for)', () => {
    expect(() => chat(answering('hi'), tok, [{ role: 'user', content: 'hello' }])).toThrow(InvalidOptionError);
    expect(() => chat(answering('hi'), tok, [{ role: 'user', content: 'hello' }], { defaults: generationDefaults({ temperature: 0.7 }) })).toThrow(/eosTokenIds/);
  });

  it('options override generation_config defaults', async () => {
    const m = answering('hi');
    const r = await chat(m, tok, [{ role: 'user', content: 'hello' }], { defaults: QWEN3_DEFAULTS, temperature: 0.9, topK: 5, enableThinking: false, seed: 3 }).result();
    expect(r.sampling).toMatchObject({ doSample: true, temperature: 0.9, topK: 5, topP: 0.95 });
    const greedy = await chat(answering('hi'), tok, [{ role: 'user', content: 'hello' }], { defaults: QWEN3_DEFAULTS, doSample: false }).result();
    expect(greedy.sampling.doSample).toBe(false);
  });

  it('a template that opens <think> in the prompt starts the reply in the reasoning channel', async () => {
    // as Qwen3-*-Thinking-2507 templates do: the generation prompt ends with "<think>\n"
    const thinkingTemplate: ChatTokenizer = {
      encode: (t, o) => tok.encode(t, o),
      decode: (ids, o) => tok.decode(ids, o),
      applyChatTemplate: (messages, o) => `${tok.applyChatTemplate(messages, { ...o, enableThinking: true })}<think>\n`,
    };
    const m = answering('Adding.\n</think>\n\n4');
    const r = await chat(m, thinkingTemplate, [{ role: 'user', content: '2+2?' }], { defaults: QWEN3_DEFAULTS }).result();
    expect([r.reasoning, r.content]).toEqual(['Adding.', '4']);
  });

  it('the reply can be appended to the history for the next turn', async () => {
    const first = await chat(answering('<think>\nhm\n</think>\n\nHello! How can I help?'), tok, [{ role: 'user', content: 'Hi 👋' }], { enableThinking: false, defaults: QWEN3_DEFAULTS }).result();
    const history: ChatMessage[] = [{ role: 'user', content: 'Hi 👋' }, first.message, { role: 'user', content: 'Tell me a joke.' }];
    const c = chatCase('multi_turn_no_thinking');
    const m = answering('No.');
    await chat(m, tok, history, { enableThinking: false, defaults: QWEN3_DEFAULTS }).result();
    expect(m.calls[0]).toEqual(c.ids);
  });

  it('abort mid-reasoning ends the stream with what was reasoned so far', async () => {
    const m = answering('<think>\nStep one. Step two. Step three.\n</think>\n\nDone.');
    const ac = new AbortController();
    const stream = chat(m, tok, [{ role: 'user', content: 'go' }], { signal: ac.signal, enableThinking: true, eosTokenIds: [IM_END] });
    for await (const c of stream) if (c.type === 'reasoning' && c.text.includes('one')) ac.abort();
    const r = await stream.result();
    expect(r.stopReason).toBe('abort');
    expect(r.reasoning).toBe('Step one'); // the chunk holding " one" stopped it
    expect(r.content).toBe('');
  });
});
