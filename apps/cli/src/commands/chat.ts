import type { ChatMessage, ChatResult, GenerateOptions } from '@qo/generate';
import { parse } from '../args.js';
import { CliError, EXIT, toCliError } from '../errors.js';
import { type LoadedChat, loadModel } from '../load.js';
import { MODEL_HELP, MODEL_OPTIONS, modelArgs, SAMPLING_HELP, SAMPLING_OPTIONS, samplingArgs } from '../options.js';
import { consume, ReplyPrinter } from '../reply.js';
import { pipedLines, readTerminalLine, watchInterrupt } from '../repl/input.js';
import { statsLine, styler } from '../style.js';

const OPTIONS = {
  ...MODEL_OPTIONS,
  ...SAMPLING_OPTIONS,
  'no-think': { type: 'boolean' },
  system: { type: 'string' },
} as const;

const HELP = `usage: qo chat [options]

Chat with a model in the terminal. The model's reasoning (<think>) is shown dimmed; tokens/s and
time to first token follow each reply on stderr. Up/down recalls earlier messages.

  /reset        forget the conversation          /exit, Ctrl-D   quit
  /help         these commands                   Ctrl-C          stop the reply (not the session)

  --no-think                 Qwen3 answers without thinking (enable_thinking=false)
  --system TEXT              a system message at the start of every conversation

${MODEL_HELP}

${SAMPLING_HELP}`;

const COMMANDS = '/reset forgets the conversation · /exit or Ctrl-D quits · Ctrl-C stops a reply';
const PROMPT = '> ';

export async function main(argv: string[]): Promise<number> {
  const { values: v } = parse('chat', argv, OPTIONS, false);
  if (v.help === true) {
    process.stdout.write(HELP + '\n');
    return EXIT.ok;
  }
  const args = modelArgs(v);
  const options = samplingArgs(v);
  const loaded = await loadModel(args);
  const session = new ChatSession(loaded.chat, options, {
    enableThinking: v['no-think'] === true ? false : undefined,
    system: v.system as string | undefined,
  });
  const out = styler(process.stdout);
  const { config } = loaded.chat.model;
  process.stdout.write(out.dim(`qo chat · ${loaded.name} · ${config.model_type} · ${args.dtype} · ${loaded.chat.device} · context ${loaded.chat.session.maxContext} tokens\n${COMMANDS}\n`));

  if (process.stdin.isTTY === true) {
    const history: string[] = [];
    for (;;) {
      const input = await readTerminalLine(out.bold(PROMPT), history);
      if (input.kind === 'eof') return EXIT.ok;
      if (input.kind === 'interrupt') {
        process.stdout.write(out.dim('(Ctrl-D or /exit quits)\n'));
        continue;
      }
      if ((await session.handle(input.text)) === 'exit') return EXIT.ok;
    }
  }
  for await (const line of pipedLines()) {
    process.stdout.write(`${PROMPT}${line}\n`); // a transcript: each message above its reply
    if ((await session.handle(line)) === 'exit') return EXIT.ok;
  }
  return EXIT.ok;
}

interface SessionOptions {
  enableThinking: boolean | undefined;
  system: string | undefined;
}

/** One conversation: its messages, the slash commands, and streaming each reply. */
class ChatSession {
  #messages: ChatMessage[] = [];
  #turn = 0;

  constructor(
    private readonly chat: LoadedChat,
    private readonly options: GenerateOptions,
    private readonly opts: SessionOptions,
  ) {
    this.reset();
  }

  /** A fresh conversation: no messages (but the system one), and the seeds start over. */
  reset(): void {
    this.#turn = 0;
    this.#messages = this.opts.system !== undefined ? [{ role: 'system', content: this.opts.system }] : [];
  }

  /** Runs one line the person typed: a slash command or a message. */
  async handle(line: string): Promise<'exit' | 'more'> {
    const text = line.trim();
    const dim = styler(process.stdout).dim;
    if (text === '') return 'more';
    if (text === '/exit' || text === '/quit') return 'exit';
    if (text === '/reset') {
      this.reset();
      process.stdout.write(dim('(conversation cleared)\n'));
      return 'more';
    }
    if (text === '/help' || text === '/?') {
      process.stdout.write(dim(COMMANDS + '\n'));
      return 'more';
    }
    if (/^\/\w+$/.test(text)) {
      process.stdout.write(dim(`unknown command ${text}; ${COMMANDS}\n`));
      return 'more';
    }
    await this.reply(line);
    return 'more';
  }

  async reply(content: string): Promise<void> {
    const dim = styler(process.stdout).dim;
    const errDim = styler(process.stderr).dim;
    this.#messages.push({ role: 'user', content });
    const ac = new AbortController();
    const stopWatching = watchInterrupt(() => ac.abort());
    const printer = new ReplyPrinter(process.stdout);
    let r: ChatResult;
    try {
      const seed = this.options.seed === undefined ? undefined : this.options.seed + this.#turn;
      const stream = this.chat.stream(this.#messages, {
        ...this.options,
        ...(seed !== undefined && { seed }),
        ...(this.opts.enableThinking !== undefined && { enableThinking: this.opts.enableThinking }),
        signal: ac.signal,
      });
      r = (await consume(stream, printer)) as ChatResult;
    } catch (e) {
      this.#messages.pop();
      const err = toCliError(e);
      if (!(err instanceof CliError)) throw err;
      printer.end();
      process.stderr.write(`qo: ${err.message}\n${err.hint === undefined ? '' : err.hint + '\n'}`);
      if (/context/.test(err.message)) process.stderr.write(errDim('/reset starts a new conversation\n'));
      return;
    } finally {
      stopWatching();
    }
    this.#turn++;
    this.#messages.push(r.message);
    if (r.stopReason === 'abort') printer.note(' [stopped]');
    printer.end();
    process.stderr.write(errDim(statsLine(r.timings, r.stopReason)) + '\n');
    if (r.stopReason === 'length' && r.promptIds.length + r.ids.length >= this.chat.session.maxContext) {
      process.stdout.write(dim(`(the conversation filled the context of ${this.chat.session.maxContext} tokens; /reset to start over)\n`));
    }
  }
}
