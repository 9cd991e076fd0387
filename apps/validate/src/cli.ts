#!/usr/bin/env node
import { runCli } from './run-cli.js';

runCli(process.argv.slice(2), process).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // Not a ValidateError: a bug (here or in the model), so the stack is worth showing.
    process.stderr.write(`qo-validate: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 2;
  },
);
