import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A GGUF tokenizer section: llama.cpp's "gpt2" (byte-level BPE) vocabulary. */
export interface GgufVocab {
  /** tokenizer.ggml.pre: which pre-tokenizer regex llama.cpp applies ('qwen2' for Qwen3). */
  pre: string;
  tokens: string[];
  /** llama_token_type per token: 1 normal, 3 control, 4 user defined, 5 unused. */
  types: Int32Array;
  /** "left right" merge rules. */
  merges: string[];
  eos: number;
}

/** GPT-2's byte → printable character table (bytes that print stand for themselves). */
export function byteChars(): string[] {
  const out: string[] = new Array(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
    out[b] = String.fromCodePoint(printable ? b : 256 + extra++);
  }
  return out;
}

/** The Qwen3 tokenizer this repository records (reference/fixtures/qwen3-e2e-chat), as the llama.cpp converter writes it. */
export const QWEN3_TOKENIZER = fileURLToPath(new URL('../../../reference/fixtures/qwen3-e2e-chat/model/tokenizer.json', import.meta.url));

/**
 * A Hugging Face tokenizer.json (byte-level BPE) as a GGUF vocabulary of `vocabSize` tokens, as
 * convert_hf_to_gguf.py does for Qwen: the vocabulary by id, added tokens (special → control, others →
 * user defined), the ids up to vocabSize filled with "[PAD{id}]" (unused).
 */
export function vocabFromTokenizerJson(path: string, vocabSize: number): GgufVocab {
  const t = JSON.parse(readFileSync(path, 'utf8')) as {
    model: { type: string; vocab: Record<string, number>; merges: (string | [string, string])[] };
    added_tokens: { id: number; content: string; special: boolean }[];
  };
  if (t.model.type !== 'BPE') throw new Error(`${path}: model.type is ${t.model.type}; a byte-level BPE tokenizer is needed`);
  const tokens: string[] = new Array(vocabSize);
  const types = new Int32Array(vocabSize).fill(1);
  for (const [s, id] of Object.entries(t.model.vocab)) if (id < vocabSize) tokens[id] = s;
  let eos = -1;
  for (const a of t.added_tokens) {
    if (a.id >= vocabSize) continue;
    tokens[a.id] = a.content;
    types[a.id] = a.special ? 3 : 4;
    if (a.content === '<|endoftext|>') eos = a.id;
  }
  for (let i = 0; i < vocabSize; i++) {
    if (tokens[i] === undefined) {
      tokens[i] = `[PAD${i}]`;
      types[i] = 5;
    }
  }
  const merges = t.model.merges.map((m) => (typeof m === 'string' ? m : `${m[0]} ${m[1]}`));
  return { pre: 'qwen2', tokens, types, merges, eos: eos >= 0 ? eos : 0 };
}

/** A small byte-level vocabulary for tests: the 256 byte tokens, one merge, then "[PAD{id}]" up to vocabSize; eos = the last id. */
export function byteVocab(vocabSize: number): GgufVocab {
  if (vocabSize < 258) throw new RangeError(`byteVocab: vocabSize must hold the 256 byte tokens, a merge and an eos, got ${vocabSize}`);
  const bytes = byteChars();
  const tokens = [...bytes, bytes[104] + bytes[105]];
  const types = new Int32Array(vocabSize).fill(1);
  for (let i = tokens.length; i < vocabSize; i++) tokens.push(`[PAD${i}]`);
  types[vocabSize - 1] = 3;
  return { pre: 'qwen2', tokens, types, merges: [`${bytes[104]} ${bytes[105]}`], eos: vocabSize - 1 };
}
