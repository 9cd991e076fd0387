#!/usr/bin/env node
import pkg from '../package.json' with { type: 'json' };
import { CliError, EXIT, exitCodeOf, formatError } from './errors.js';

/** Each subcommand lives in src/commands/<name>.ts and exports `main(argv): Promise<number>` (exit code). */
const COMMANDS: Record<string, { summary: string; load: () => Promise<{ main(argv: string[]): Promise<number> }> }> = {
  run: { summary: 'qo run [--model M] "prompt"      stream a completion (--chat: a chat reply)', load: () => import('./commands/run.js') },
  chat: { summary: 'qo chat [--model M]              chat in the terminal', load: () => import('./commands/chat.js') },
  info: { summary: 'qo info --model M                config, parameters, dtypes, memory', load: () => import('./commands/info.js') },
  bench: { summary: 'qo bench --model M|--synth P     prefill/decode speed, load time, memory', load: () => import('./commands/bench.js') },
};

function usage(): string {
  return [
    'usage: qo <command> [options]',
    '',
    ...Object.values(COMMANDS).map((c) => '  ' + c.summary),
    '',
    'Without --model, run and chat use the embedded qo-fortune model (3.8M parameters).',
    'qo <command> --help for its options',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    process.stderr.write(usage() + '\n');
    return EXIT.usage;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return EXIT.ok;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`qo ${pkg.version}\n`);
    return EXIT.ok;
  }
  const cmd = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!cmd) throw new CliError(`unknown command '${name}'`, `the commands are ${Object.keys(COMMANDS).join(', ')}; qo --help describes them`);
  return (await cmd.load()).main(rest);
}

// `qo run … | head`: the reader left; stop quietly, as Unix tools do.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(EXIT.ok);
  throw err;
});

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(formatError(err) + '\n');
    if (process.env.QO_DEBUG) console.error(err);
    process.exit(exitCodeOf(err));
  },
);
