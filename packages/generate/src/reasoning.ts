export type Channel = 'reasoning' | 'content';

/** A piece of a chat reply: model reasoning (inside <think>…</think>) or the answer. */
export interface ChatChunk {
  readonly type: Channel;
  readonly text: string;
}

/**
 * Splits streamed text into reasoning and content at the reasoning tags (`<think>`, `</think>` for
 * Qwen3), also when a tag arrives split over deltas. The tags themselves are dropped, and newlines
 * are trimmed as Qwen3's chat template trims a past reply: reasoning loses its leading and trailing
 * newlines, content after `</think>` its leading ones. Concatenating a channel's chunks gives that
 * channel's final text.
 */
export class ReasoningSplitter {
  readonly #open: string;
  readonly #close: string;
  #channel: Channel;
  #buffer = '';
  #atSegmentStart: boolean;
  #heldNewlines = '';

  constructor(options: { openTag?: string; closeTag?: string; startInReasoning?: boolean } = {}) {
    this.#open = options.openTag ?? '<think>';
    this.#close = options.closeTag ?? '</think>';
    this.#channel = options.startInReasoning === true ? 'reasoning' : 'content';
    this.#atSegmentStart = this.#channel === 'reasoning';
  }

  get channel(): Channel {
    return this.#channel;
  }

  push(text: string): ChatChunk[] {
    const out: ChatChunk[] = [];
    this.#buffer += text;
    for (;;) {
      const tag = this.#channel === 'content' ? this.#open : this.#close;
      const at = this.#buffer.indexOf(tag);
      if (at >= 0) {
        this.#segment(this.#buffer.slice(0, at), true, out);
        this.#buffer = this.#buffer.slice(at + tag.length);
        this.#channel = this.#channel === 'content' ? 'reasoning' : 'content';
        this.#atSegmentStart = true;
        continue;
      }
      const hold = partialTagLength(this.#buffer, tag);
      this.#segment(this.#buffer.slice(0, this.#buffer.length - hold), false, out);
      this.#buffer = this.#buffer.slice(this.#buffer.length - hold);
      return out;
    }
  }

  /** End of the reply: releases a partial tag as text and ends the open segment. */
  flush(): ChatChunk[] {
    const out: ChatChunk[] = [];
    this.#segment(this.#buffer, true, out);
    this.#buffer = '';
    return out;
  }

  #segment(text: string, ends: boolean, out: ChatChunk[]): void {
    let t = text;
    if (this.#atSegmentStart) {
      t = t.replace(/^\n+/, '');
      if (t.length > 0) this.#atSegmentStart = false;
    }
    if (this.#channel === 'reasoning') {
      t = this.#heldNewlines + t;
      this.#heldNewlines = '';
      const trailing = /\n+$/.exec(t);
      if (trailing !== null) {
        if (!ends) this.#heldNewlines = trailing[0];
        t = t.slice(0, trailing.index);
      }
    }
    if (t.length > 0) out.push({ type: this.#channel, text: t });
  }
}

/** Length of the longest suffix of `text` that is a proper prefix of `tag`. */
function partialTagLength(text: string, tag: string): number {
  for (let k = Math.min(text.length, tag.length - 1); k > 0; k--) {
    if (tag.startsWith(text.slice(text.length - k))) return k;
  }
  return 0;
}

/** True when `prompt` leaves a reasoning block open (a template that starts the reply inside `<think>`). */
export function endsInsideReasoning(prompt: string, openTag = '<think>', closeTag = '</think>'): boolean {
  const open = prompt.lastIndexOf(openTag);
  return open >= 0 && prompt.lastIndexOf(closeTag) < open;
}
