import { Interpreter, Template } from '@huggingface/jinja';
import { ChatTemplateError } from './errors.js';
import { chatEnvironment } from './jinja-env.js';

/** One chat message as the template sees it (`content` may be a string or a list of parts). */
export interface ChatMessage {
  role: string;
  content?: unknown;
  [key: string]: unknown;
}

/**
 * A compiled chat template. Rendering follows transformers' `apply_chat_template`: the template sees
 * `messages`, `tools` and `documents` (None when not given), `add_generation_prompt`, the special
 * tokens (`bos_token`, `eos_token`, ...), then any extra keyword arguments, which win on conflict.
 * Templates are parsed with trim_blocks and lstrip_blocks, as transformers' Jinja environment does.
 */
export class ChatTemplate {
  readonly source: string;
  readonly #template: Template;
  readonly #origin: string;

  /** `origin` names where the template came from, for error messages. */
  constructor(source: string, origin = 'chat template') {
    this.source = source;
    this.#origin = origin;
    try {
      this.#template = new Template(source);
    } catch (cause) {
      throw new ChatTemplateError(origin, `${origin}: the chat template does not parse: ${message(cause)}. Fix the template or pass another one.`, { cause });
    }
  }

  render(vars: Readonly<Record<string, unknown>>): string {
    try {
      const env = chatEnvironment(vars, (msg) => {
        throw new TemplateRaised(msg);
      });
      const out = new Interpreter(env).run(this.#template.parsed).value;
      if (typeof out !== 'string') throw new Error(`the template produced ${typeof out}, not text`);
      return out;
    } catch (cause) {
      if (cause instanceof TemplateRaised) {
        throw new ChatTemplateError(this.#origin, `${this.#origin}: the chat template refused the conversation: ${cause.message}`, { cause });
      }
      throw new ChatTemplateError(this.#origin, `${this.#origin}: rendering the chat template failed: ${message(cause)}. Check the messages' roles and fields.`, { cause });
    }
  }
}

/** Thrown by the template's `raise_exception(...)`. */
class TemplateRaised extends Error {}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
