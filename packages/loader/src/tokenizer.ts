import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Tokenizer as HFTokenizer } from '@huggingface/tokenizers';
import { ChatTemplate, type ChatMessage } from './chat-template.js';
import { ChatTemplateError, TokenizerError } from './errors.js';
import { isPlainObject } from './strict-json.js';

export interface EncodeOptions {
  /** add the post-processor's special tokens (BOS etc.); default true, as transformers. Qwen adds none. */
  addSpecialTokens?: boolean;
}

export interface DecodeOptions {
  /** drop tokens marked special (e.g. <|im_end|>); non-special added tokens such as <think> stay */
  skipSpecialTokens?: boolean;
}

export interface ChatTemplateOptions {
  /** end with the assistant header so the model answers (transformers' add_generation_prompt; default false) */
  addGenerationPrompt?: boolean;
  /** Qwen3's enable_thinking; passed to the template only when set */
  enableThinking?: boolean;
  /** JSON-schema tool descriptions, passed as `tools` */
  tools?: readonly Readonly<Record<string, unknown>>[];
  /** RAG documents, passed as `documents` */
  documents?: readonly Readonly<Record<string, unknown>>[];
  /** pick one of several named templates (tokenizer_config chat_template as a list) */
  templateName?: string;
  /** any other template variables (transformers' **kwargs); they override everything else */
  kwargs?: Readonly<Record<string, unknown>>;
}

export interface AddedTokenInfo {
  readonly id: number;
  readonly content: string;
  readonly special: boolean;
}

/** Where `Tokenizer.fromDir` found things, for error messages. */
interface Sources {
  tokenizer: string;
  config: string;
  template: string;
}

/**
 * A Hugging Face tokenizer (tokenizer.json + tokenizer_config.json) with its chat template, through
 * `@huggingface/tokenizers` and `@huggingface/jinja`.
 */
export class Tokenizer {
  readonly #hf: HFTokenizer;
  readonly #config: Readonly<Record<string, unknown>>;
  readonly #templates: ReadonlyMap<string, ChatTemplate>;
  readonly #sources: Sources;
  readonly #added: ReadonlyMap<number, AddedTokenInfo>;
  readonly bosToken: string | undefined;
  readonly eosToken: string | undefined;
  readonly padToken: string | undefined;
  readonly unkToken: string | undefined;
  readonly bosTokenId: number | undefined;
  readonly eosTokenId: number | undefined;
  readonly padTokenId: number | undefined;

  private constructor(tokenizerJson: unknown, tokenizerConfig: unknown, chatTemplate: string | undefined, sources: Sources) {
    this.#sources = sources;
    if (!isPlainObject(tokenizerJson)) throw new TokenizerError(sources.tokenizer, `${sources.tokenizer}: expected a JSON object.`);
    if (!isPlainObject(tokenizerConfig)) throw new TokenizerError(sources.config, `${sources.config}: expected a JSON object.`);
    this.#config = tokenizerConfig;
    try {
      this.#hf = new HFTokenizer(tokenizerJson, tokenizerConfig);
    } catch (cause) {
      throw new TokenizerError(sources.tokenizer, `${sources.tokenizer}: cannot build the tokenizer: ${cause instanceof Error ? cause.message : String(cause)}.`, { cause });
    }
    this.#added = readAddedTokens(tokenizerJson, sources.tokenizer);
    checkAddedTokensDecoder(tokenizerConfig, this.#added, sources.config);
    this.bosToken = tokenString(tokenizerConfig.bos_token);
    this.eosToken = tokenString(tokenizerConfig.eos_token);
    this.padToken = tokenString(tokenizerConfig.pad_token);
    this.unkToken = tokenString(tokenizerConfig.unk_token);
    this.bosTokenId = this.#specialId('bos_token', this.bosToken);
    this.eosTokenId = this.#specialId('eos_token', this.eosToken);
    this.padTokenId = this.#specialId('pad_token', this.padToken);
    this.#templates = readTemplates(chatTemplate ?? tokenizerConfig.chat_template, chatTemplate !== undefined ? sources.template : sources.config);
  }

  /**
   * Reads `tokenizer.json` (required), `tokenizer_config.json` (optional) and the chat template:
   * `chat_template.jinja` when present (it wins, as in transformers 5), else tokenizer_config's
   * `chat_template`.
   */
  static async fromDir(dir: string): Promise<Tokenizer> {
    const tokenizerPath = join(dir, 'tokenizer.json');
    const configPath = join(dir, 'tokenizer_config.json');
    const templatePath = join(dir, 'chat_template.jinja');
    const tokenizerJson = parseJson(await readText(tokenizerPath, true), tokenizerPath);
    const configText = await readText(configPath, false);
    const config = configText === undefined ? {} : parseJson(configText, configPath);
    const template = await readText(templatePath, false);
    return new Tokenizer(tokenizerJson, config, template, { tokenizer: tokenizerPath, config: configPath, template: templatePath });
  }

  /** From already-parsed files. `chatTemplate`, when given, wins over tokenizer_config's chat_template. */
  static fromJSON(tokenizerJson: unknown, tokenizerConfig: unknown = {}, chatTemplate?: string): Tokenizer {
    return new Tokenizer(tokenizerJson, tokenizerConfig, chatTemplate, { tokenizer: 'tokenizer.json', config: 'tokenizer_config.json', template: 'chat template' });
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    return this.#hf.encode(text, { add_special_tokens: options.addSpecialTokens ?? true }).ids;
  }

  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    const list = Array.from(ids);
    if (list.length === 0) return '';
    for (const id of list) {
      if (!Number.isSafeInteger(id) || this.#hf.id_to_token(id) === undefined) {
        throw new TokenizerError(this.#sources.tokenizer, `${this.#sources.tokenizer}: cannot decode token id ${id}: not in the vocabulary. Check the ids (model vocab_size may exceed the tokenizer's).`);
      }
    }
    return this.#hf.decode(list, { skip_special_tokens: options.skipSpecialTokens ?? false });
  }

  /** Id of a token string (vocabulary or added token), or undefined. */
  tokenToId(token: string): number | undefined {
    return this.#hf.token_to_id(token);
  }

  idToToken(id: number): string | undefined {
    return this.#hf.id_to_token(id);
  }

  /** Added tokens (tokenizer.json `added_tokens`) by id: `<|im_end|>`, `<think>`, ... */
  get addedTokens(): ReadonlyMap<number, AddedTokenInfo> {
    return this.#added;
  }

  /** Names of the chat templates (`default` for a single template); empty when there is none. */
  get chatTemplateNames(): string[] {
    return [...this.#templates.keys()];
  }

  /** The template source `applyChatTemplate` would use with these options. */
  chatTemplate(options: Pick<ChatTemplateOptions, 'templateName' | 'tools'> = {}): string {
    return this.#pickTemplate(options).source;
  }

  /** Renders the conversation to the prompt text, as transformers' apply_chat_template(tokenize=False). */
  applyChatTemplate(messages: readonly ChatMessage[], options: ChatTemplateOptions = {}): string {
    const vars: Record<string, unknown> = {
      messages,
      tools: options.tools ?? null,
      documents: options.documents ?? null,
      add_generation_prompt: options.addGenerationPrompt ?? false,
      ...this.#specialTokenVars(),
    };
    if (options.enableThinking !== undefined) vars.enable_thinking = options.enableThinking;
    Object.assign(vars, options.kwargs);
    return this.#pickTemplate(options).render(vars);
  }

  /** Token ids of the templated prompt (special tokens in it are matched; nothing else is added). */
  encodeChat(messages: readonly ChatMessage[], options: ChatTemplateOptions = {}): number[] {
    return this.encode(this.applyChatTemplate(messages, options), { addSpecialTokens: false });
  }

  #pickTemplate(options: Pick<ChatTemplateOptions, 'templateName' | 'tools'>): ChatTemplate {
    const t = this.#templates;
    const where = this.#sources.config;
    if (t.size === 0) {
      throw new ChatTemplateError(where, `${where}: this tokenizer has no chat template (no chat_template.jinja and no "chat_template" in tokenizer_config.json). Add one to the checkpoint directory.`);
    }
    let name = options.templateName;
    if (name === undefined) name = options.tools !== undefined && t.has('tool_use') ? 'tool_use' : 'default';
    const tpl = t.get(name);
    if (tpl === undefined) {
      throw new ChatTemplateError(where, `${where}: no chat template named "${name}" (have: ${[...t.keys()].join(', ')}). Pass templateName.`);
    }
    return tpl;
  }

  /** bos_token, eos_token, unk_token, pad_token and additional_special_tokens, as transformers' special_tokens_map. */
  #specialTokenVars(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const k of ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token'] as const) {
      const s = tokenString(this.#config[k]);
      if (s !== undefined) out[k] = s;
    }
    const extra = this.#config.additional_special_tokens;
    if (Array.isArray(extra) && extra.length > 0) out.additional_special_tokens = extra.map((x) => tokenString(x)).filter((x) => x !== undefined);
    return out;
  }

  #specialId(key: string, token: string | undefined): number | undefined {
    if (token === undefined) return undefined;
    const id = this.#hf.token_to_id(token);
    if (id === undefined) {
      throw new TokenizerError(this.#sources.config, `${this.#sources.config}: ${key} ${JSON.stringify(token)} is not in the vocabulary of ${this.#sources.tokenizer}. The two files do not belong together.`);
    }
    return id;
  }
}

/** tokenizer_config writes special tokens as strings or as AddedToken objects ({"content": ...}). */
function tokenString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (isPlainObject(v) && typeof v.content === 'string') return v.content;
  return undefined;
}

function readAddedTokens(tokenizerJson: Record<string, unknown>, file: string): Map<number, AddedTokenInfo> {
  const list = tokenizerJson.added_tokens ?? [];
  if (!Array.isArray(list)) throw new TokenizerError(file, `${file}: "added_tokens" must be a list.`);
  const out = new Map<number, AddedTokenInfo>();
  for (const t of list) {
    if (!isPlainObject(t) || !Number.isSafeInteger(t.id) || typeof t.content !== 'string') {
      throw new TokenizerError(file, `${file}: malformed entry in "added_tokens": ${JSON.stringify(t)}.`);
    }
    out.set(t.id as number, Object.freeze({ id: t.id as number, content: t.content, special: t.special === true }));
  }
  return out;
}

/** tokenizer_config.json's added_tokens_decoder must agree with tokenizer.json's added_tokens. */
function checkAddedTokensDecoder(config: Record<string, unknown>, added: ReadonlyMap<number, AddedTokenInfo>, file: string): void {
  const dec = config.added_tokens_decoder;
  if (dec === undefined || dec === null) return;
  if (!isPlainObject(dec)) throw new TokenizerError(file, `${file}: "added_tokens_decoder" must be an object.`);
  for (const [idText, entry] of Object.entries(dec)) {
    const id = Number(idText);
    const content = tokenString(entry);
    const mine = added.get(id);
    if (mine === undefined || content !== mine.content) {
      throw new TokenizerError(
        file,
        `${file}: added_tokens_decoder maps id ${idText} to ${JSON.stringify(content)} but tokenizer.json's added_tokens ${mine === undefined ? 'has no such id' : `has ${JSON.stringify(mine.content)}`}. The two files do not belong together.`,
      );
    }
  }
}

function readTemplates(value: unknown, origin: string): Map<string, ChatTemplate> {
  const out = new Map<string, ChatTemplate>();
  if (value === undefined || value === null) return out;
  if (typeof value === 'string') {
    out.set('default', new ChatTemplate(value, origin));
    return out;
  }
  if (Array.isArray(value)) {
    for (const t of value) {
      if (!isPlainObject(t) || typeof t.name !== 'string' || typeof t.template !== 'string') {
        throw new ChatTemplateError(origin, `${origin}: "chat_template" list entries must be {"name": ..., "template": ...}.`);
      }
      out.set(t.name, new ChatTemplate(t.template, `${origin} (template "${t.name}")`));
    }
    return out;
  }
  throw new ChatTemplateError(origin, `${origin}: "chat_template" must be a string or a list of named templates.`);
}

async function readText(path: string, required: boolean): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    if (!required && (cause as { code?: string }).code === 'ENOENT') return undefined;
    throw new TokenizerError(path, `${path}: cannot read (${(cause as { code?: string }).code ?? String(cause)}). Pass the directory holding tokenizer.json.`, { cause });
  }
}

function parseJson(text: string | undefined, path: string): unknown {
  try {
    return JSON.parse(text as string);
  } catch (cause) {
    throw new TokenizerError(path, `${path}: not valid JSON (${cause instanceof Error ? cause.message : String(cause)}). Re-download it.`, { cause });
  }
}
