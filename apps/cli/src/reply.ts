import type { ChatChunk, ChatResult, GenerationChunk, GenerationResult, GenerationStream } from '@qo/generate';
import { styler, yieldToEventLoop } from './style.js';

type Channel = ChatChunk['type'];
export type AnyStream = GenerationStream<ChatChunk, ChatResult> | GenerationStream<GenerationChunk, GenerationResult>;

/**
 * Streams a reply to `printer` (or nowhere) and returns its result. Between tokens it lets the
 * event loop run, so Ctrl-C reaches the AbortSignal while the model computes.
 */
export async function consume(stream: AnyStream, printer?: ReplyPrinter): Promise<ChatResult | GenerationResult> {
  for await (const part of stream as AsyncIterable<ChatChunk | GenerationChunk>) {
    printer?.write('type' in part ? part.type : 'content', part.text);
    await yieldToEventLoop();
  }
  return stream.result();
}

/**
 * Writes a reply as it streams: content plainly, reasoning dimmed on a terminal. With one stream
 * for both that is not a terminal, reasoning is set apart by <think> and </think> lines.
 */
export class ReplyPrinter {
  #channel: Channel | undefined;
  readonly #atLineStart = new Map<NodeJS.WriteStream, boolean>();

  constructor(
    private readonly content: NodeJS.WriteStream,
    private readonly reasoning: NodeJS.WriteStream = content,
  ) {}

  write(channel: Channel, text: string): void {
    if (text === '') return;
    if (channel !== this.#channel) this.#switch(channel);
    if (channel === 'reasoning') this.#put(this.reasoning, text, true);
    else this.#put(this.content, text);
  }

  /** Appends a dimmed note to the content stream (e.g. " [stopped]"). */
  note(text: string): void {
    this.#put(this.content, text, true);
  }

  /** Closes an open reasoning block and ends the content's last line. */
  end(): void {
    this.#switch('content');
    this.#endLine(this.content);
  }

  get #tagged(): boolean {
    return this.reasoning === this.content && this.content.isTTY !== true;
  }

  #switch(to: Channel): void {
    if (this.#channel === 'reasoning' && to !== 'reasoning') {
      this.#endLine(this.reasoning);
      if (this.#tagged) this.#put(this.reasoning, '</think>\n');
    }
    if (to === 'reasoning' && this.#tagged) {
      this.#endLine(this.content);
      this.#put(this.content, '<think>\n');
    }
    this.#channel = to;
  }

  #endLine(s: NodeJS.WriteStream): void {
    if (this.#atLineStart.get(s) === false) this.#put(s, '\n');
  }

  #put(s: NodeJS.WriteStream, text: string, dim = false): void {
    if (text === '') return;
    s.write(dim ? styler(s).dim(text) : text);
    this.#atLineStart.set(s, text.endsWith('\n'));
  }
}
