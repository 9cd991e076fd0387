import { describe, expect, it } from 'vitest';
import { generate, IncrementalDetokenizer, type GenerationChunk } from '../src/index.js';
import { byteTokenIds, collect, QWEN3_VOCAB, qwen3Tokenizer, scriptedLM, tokenizerCases } from './helpers.js';

const tok = qwen3Tokenizer();
const PROMPT = tok.encode('Say it:', { addSpecialTokens: false });
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Streams `ids` through a scripted model with the real Qwen3 tokenizer. */
async function stream(ids: number[], options: { stop?: string[] } = {}) {
  const m = scriptedLM(QWEN3_VOCAB, () => PROMPT.length, ids);
  return collect(generate(m, tok, PROMPT, { maxNewTokens: ids.length, ...options }));
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** No chunk may hold half a character: no lone surrogate, and no U+FFFD unless the text really has one. */
function expectWholeCharacters(chunks: readonly GenerationChunk[], allowReplacement = false): void {
  for (const c of chunks) {
    expect(LONE_SURROGATE.test(c.text), JSON.stringify(c.text)).toBe(false);
    if (!allowReplacement) expect(c.text, JSON.stringify(c.text)).not.toContain('\uFFFD');
  }
}

describe('streaming never emits half a UTF-8 character (real Qwen3 tokenizer)', () => {
  const cases = tokenizerCases().encode;
  for (const name of ['emoji', 'multilingual', 'mixed_long', 'bytes_edge']) {
    it(`transformers' ids for the "${name}" text stream back to transformers' decoded text`, async () => {
      const c = cases.find((x) => x.name === name);
      if (c === undefined) throw new Error(`no "${name}" case in cases.json`);
      const { chunks, result } = await stream(c.ids);
      expectWholeCharacters(chunks);
      expect(result.text).toBe(c.decoded);
      expect(chunks.map((x) => x.text).join('')).toBe(c.decoded);
      // some tokens of these texts are parts of characters: their chunks are empty
      if (name === 'emoji') expect(chunks.filter((x) => x.text === '').length).toBeGreaterThan(5);
    });
  }

  it('an emoji and CJK sent one byte per token arrive as whole characters, each with its last byte', async () => {
    const text = '🦀 你好 👩‍👩‍👧 é';
    const ids = byteTokenIds(tok, utf8(text));
    const { chunks, result } = await stream(ids);
    expectWholeCharacters(chunks);
    expect(result.text).toBe(text);
    // the crab is 4 bytes: 3 empty chunks, then the whole emoji
    expect(chunks.slice(0, 4).map((c) => c.text)).toEqual(['', '', '', '🦀']);
    // 你 and 好 are 3 bytes each
    expect(chunks.slice(4, 11).map((c) => c.text)).toEqual([' ', '', '', '你', '', '', '好']);
  });

  it('a stop string made of multi-byte characters is found across byte tokens and not emitted', async () => {
    const ids = byteTokenIds(tok, utf8('ok 你好 world'));
    const { chunks, result } = await stream(ids, { stop: ['你好'] });
    expectWholeCharacters(chunks);
    expect([result.stopReason, result.text]).toEqual(['stop', 'ok ']);
  });

  it('a genuinely invalid byte becomes U+FFFD once the next token shows it cannot complete', async () => {
    // 0x80 is a lone continuation byte; then 'A'; then the first two bytes of 你 (E4 BD) and the rest (A0)
    const ids = byteTokenIds(tok, [0x80, 0x41, 0xe4, 0xbd, 0xa0]);
    const { chunks, result } = await stream(ids);
    expectWholeCharacters(chunks, true);
    expect(chunks.map((c) => c.text)).toEqual(['', '\uFFFDA', '', '', '你']);
    expect(result.text).toBe(tok.decode(ids));
  });

  it('an unfinished character at the end of generation is released as U+FFFD, as a full decode shows it', async () => {
    const ids = [...tok.encode('abc', { addSpecialTokens: false }), ...byteTokenIds(tok, [0xf0, 0x9f])];
    const { chunks, result } = await stream(ids);
    expect(result.stopReason).toBe('length');
    expect(chunks.at(-1)?.text).toBe('\uFFFD');
    expect(result.text).toBe(tok.decode(ids));
  });

  it('the detokenizer window slides on long streams and still matches a full decode', () => {
    const c = tokenizerCases().encode.find((x) => x.name === 'mixed_long');
    if (c === undefined) throw new Error('no mixed_long case');
    const ids = [...c.ids, ...byteTokenIds(tok, utf8('🦀🦀')), ...c.ids];
    const d = new IncrementalDetokenizer(tok, { context: 4 });
    let text = '';
    for (const id of ids) {
      const piece = d.push(id);
      expect(piece).not.toContain('\uFFFD');
      text += piece;
    }
    text += d.flush();
    expect(text).toBe(tok.decode(ids, { skipSpecialTokens: true }));
  });
});
