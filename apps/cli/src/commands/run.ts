import type { ChatMessage, ChatResult, GenerationResult } from '@qo/generate';
import { parse } from '../args.js';
import { CliError, EXIT } from '../errors.js';
import { loadModel } from '../load.js';
import { MODEL_HELP, MODEL_OPTIONS, modelArgs, SAMPLING_HELP, SAMPLING_OPTIONS, samplingArgs } from '../options.js';
import { consume, ReplyPrinter, type AnyStream } from '../reply.js';
import { statsLine, styler } from '../style.js';

const OPTIONS = {
  ...MODEL_OPTIONS,
  ...SAMPLING_OPTIONS,
  chat: { type: 'boolean' },
  'no-think': { type: 'boolean' },
  system: { type: 'string' },
  json: { type: 'boolean' },
} as const;

const HELP = `usage: qo run [options] "prompt"

Streams a continuation of the prompt to stdout (plain completion, no chat template), then
tokens/s and time to first token on stderr. Ctrl-C stops generating.

  --chat                     send the prompt as a user message through the model's chat template;
                             the answer goes to stdout, the model's reasoning to stderr
  --no-think                 with --chat: Qwen3 answers without thinking (enable_thinking=false)
  --system TEXT              with --chat: a system message before the prompt
  --json                     print one JSON object when done: text, ids, stop reason, seed, timings

${MODEL_HELP}

${SAMPLING_HELP}`;

export async function main(argv: string[]): Promise<number> {
  const { values: v, positionals } = parse('run', argv, OPTIONS, true);
  if (v.help === true) {
    process.stdout.write(HELP + '\n');
    return EXIT.ok;
  }
  const prompt = positionals.join(' ');
  if (prompt.trim() === '') throw new CliError('qo run needs a prompt', 'e.g. qo run "Once upon a time"; qo run --help for the options');
  if (v.chat !== true && (v['no-think'] === true || v.system !== undefined)) {
    throw new CliError(`${v['no-think'] === true ? '--no-think' : '--system'} only applies with --chat`, 'add --chat to use the chat template');
  }
  const args = modelArgs(v);
  const options = samplingArgs(v);
  const { chat, name } = await loadModel(args);

  const ac = new AbortController();
  const onSigint = (): void => ac.abort();
  process.once('SIGINT', onSigint);
  try {
    let stream: AnyStream;
    if (v.chat === true) {
      const messages: ChatMessage[] = [...(v.system !== undefined ? [{ role: 'system', content: v.system }] : []), { role: 'user', content: prompt }];
      stream = chat.stream(messages, { ...options, signal: ac.signal, ...(v['no-think'] === true && { enableThinking: false }) });
    } else {
      stream = chat.complete(prompt, { ...options, signal: ac.signal });
    }
    if (v.json === true) {
      const r = await consume(stream);
      process.stdout.write(JSON.stringify(toJson(name, chat.dir, args.dtype, prompt, r), (_k, x: unknown) => (x === Infinity ? null : x)) + '\n');
      return r.stopReason === 'abort' ? EXIT.interrupted : EXIT.ok;
    }
    const printer = new ReplyPrinter(process.stdout, process.stderr);
    const r = await consume(stream, printer);
    printer.end();
    process.stderr.write(styler(process.stderr).dim(statsLine(r.timings, r.stopReason)) + '\n');
    return r.stopReason === 'abort' ? EXIT.interrupted : EXIT.ok;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** The --json object: what was run and everything the result holds. */
function toJson(model: string, dir: string, dtype: string, prompt: string, r: ChatResult | GenerationResult): Record<string, unknown> {
  return {
    model,
    dir,
    dtype,
    prompt,
    text: r.text,
    ...('content' in r && { content: r.content, reasoning: r.reasoning }),
    ids: r.ids,
    promptIds: r.promptIds,
    stopReason: r.stopReason,
    ...(r.stopString !== undefined && { stopString: r.stopString }),
    seed: r.seed,
    sampling: r.sampling,
    timings: r.timings,
  };
}
