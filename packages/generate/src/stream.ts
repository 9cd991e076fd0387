import { StreamConsumedError } from './errors.js';

/** Shared between a stream and the generator behind it: set when the consumer stops listening. */
export interface StreamControl {
  cancelled: boolean;
}

/**
 * An async iterable of chunks with the final result beside it. Iterate it (once) to stream; call
 * `result()` to get the outcome, which also runs the generation when nobody iterates. Leaving a
 * `for await` loop early (break, return, throw) stops generation before the next token; the result
 * then says 'abort'.
 */
export class GenerationStream<Chunk, Result> implements AsyncIterable<Chunk> {
  readonly #start: (control: StreamControl) => AsyncGenerator<Chunk, Result, void>;
  readonly #result: Promise<Result>;
  #resolve!: (r: Result) => void;
  #reject!: (e: unknown) => void;
  #started = false;

  constructor(start: (control: StreamControl) => AsyncGenerator<Chunk, Result, void>) {
    this.#start = start;
    this.#result = new Promise<Result>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // A failure reaches the iterating caller; do not also report it as an unhandled rejection.
    this.#result.catch(() => undefined);
  }

  [Symbol.asyncIterator](): AsyncIterator<Chunk> {
    if (this.#started) throw new StreamConsumedError('this stream was already iterated (or consumed by result()); a stream can be iterated once.');
    this.#started = true;
    return this.#run();
  }

  /** The outcome; when the stream has not been iterated, runs it to the end without yielding chunks. */
  result(): Promise<Result> {
    if (!this.#started) {
      this.#started = true;
      void (async () => {
        try {
          for await (const _ of this.#run());
        } catch {
          // already delivered through #reject
        }
      })();
    }
    return this.#result;
  }

  async *#run(): AsyncGenerator<Chunk, void, void> {
    const control: StreamControl = { cancelled: false };
    const gen = this.#start(control);
    let settled = false;
    try {
      for (;;) {
        const r = await gen.next();
        if (r.done) {
          settled = true;
          this.#resolve(r.value);
          return;
        }
        yield r.value;
      }
    } catch (e) {
      settled = true;
      this.#reject(e);
      throw e;
    } finally {
      if (!settled) {
        // The consumer left early: let the generator see `cancelled` and finish with its result.
        control.cancelled = true;
        try {
          let r = await gen.next();
          while (!r.done) r = await gen.next();
          this.#resolve(r.value);
        } catch (e) {
          this.#reject(e);
        }
      }
    }
  }
}
