import type { TextTokenizer } from './model.js';

const REPLACEMENT = '\uFFFD';

/**
 * Turns a stream of token ids into text deltas that never end in half a character.
 *
 * It decodes a short window of recent ids (so decoders that treat the first token specially, e.g.
 * SentencePiece's leading space, see context) and releases the part of the window's text not yet
 * released. A window whose text ends in U+FFFD is held back by that one character: with byte-level
 * BPE an emoji or CJK character can span several tokens, and until its last byte arrives the
 * decoder shows U+FFFD. A U+FFFD followed by anything is final (an invalid byte stays invalid) and
 * is released. `flush()` releases whatever is held at the end.
 *
 * Assumes decode(a + b) starts with decode(a) whenever decode(a) does not end in U+FFFD, which holds
 * for byte-level BPE and SentencePiece decoders without clean_up_tokenization_spaces.
 */
export class IncrementalDetokenizer {
  readonly #tokenizer: TextTokenizer;
  readonly #skipSpecialTokens: boolean;
  readonly #context: number;
  readonly #ids: number[] = [];
  #start = 0; // first id of the window
  #released = 0; // chars of decode(window) already released

  /** `context`: ids kept before the newest ones when the window slides (at least 4 covers a UTF-8 character). */
  constructor(tokenizer: TextTokenizer, options: { skipSpecialTokens?: boolean; context?: number } = {}) {
    this.#tokenizer = tokenizer;
    this.#skipSpecialTokens = options.skipSpecialTokens ?? true;
    this.#context = Math.max(4, options.context ?? 8);
  }

  /** Every id pushed so far. */
  get ids(): readonly number[] {
    return this.#ids;
  }

  /** Adds one id; returns the text that became complete (often '', never half a character). */
  push(id: number): string {
    const ids = this.#ids;
    ids.push(id);
    const text = this.#decode(this.#start);
    const end = text.endsWith(REPLACEMENT) ? text.length - 1 : text.length;
    const out = end > this.#released ? text.slice(this.#released, end) : '';
    if (end > this.#released) this.#released = end;
    if (ids.length - this.#start > 2 * this.#context) this.#slide(text);
    return out;
  }

  /** Releases what is held (a trailing U+FFFD the model never completed). */
  flush(): string {
    const text = this.#decode(this.#start);
    const out = text.slice(this.#released);
    this.#released = text.length;
    return out;
  }

  /** Moves the window start up to `context` ids before the end, keeping the held tail the same. */
  #slide(text: string): void {
    const held = text.length - this.#released;
    const start = this.#ids.length - this.#context;
    const next = this.#decode(start);
    if (held > 0 && !next.endsWith(REPLACEMENT)) return; // the held character began before `start`: keep the window
    this.#start = start;
    this.#released = next.length - held;
  }

  #decode(from: number): string {
    return this.#tokenizer.decode(this.#ids.slice(from), { skipSpecialTokens: this.#skipSpecialTokens });
  }
}
