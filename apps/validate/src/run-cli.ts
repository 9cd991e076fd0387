import { parseArgs } from 'node:util';
import { UsageError, ValidateError } from './errors.js';
import { type Report, formatReport, reportToJSON } from './report.js';
import { WEIGHT_DTYPES, type WeightDType } from './thresholds.js';
import { DEVICES, type Device, type ValidateFixtureOptions, validateFixture } from './validate.js';

export const USAGE = `usage: qo-validate --fixture DIR [--device cpu|gpu] [--dtype ${WEIGHT_DTYPES.join('|')}] [--json]

Runs the model of a qo-reference-1 fixture and compares every probed tensor, the logits and greedy
decoding with what Hugging Face transformers recorded. Exit status: 0 pass, 1 a check failed,
2 usage or fixture error.`;

interface CliArgs {
  fixture: string;
  device: Device;
  dtype: WeightDType;
  json: boolean;
}

export function parseCliArgs(argv: readonly string[]): CliArgs | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        fixture: { type: 'string' },
        device: { type: 'string', default: 'cpu' },
        dtype: { type: 'string', default: 'bf16' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (cause) {
    throw new UsageError((cause as Error).message);
  }
  if (values.help) return 'help';
  if (values.fixture === undefined || values.fixture === '') throw new UsageError('--fixture DIR is required');
  if (!(DEVICES as readonly string[]).includes(values.device)) {
    throw new UsageError(`--device must be one of ${DEVICES.join(', ')}, got '${values.device}'`);
  }
  if (!(WEIGHT_DTYPES as readonly string[]).includes(values.dtype)) {
    throw new UsageError(`--dtype must be one of ${WEIGHT_DTYPES.join(', ')}, got '${values.dtype}'`);
  }
  return { fixture: values.fixture, device: values.device as Device, dtype: values.dtype as WeightDType, json: values.json };
}

export interface CliIO {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

/**
 * Runs the CLI; resolves to the exit status (0 pass, 1 a check failed, 2 usage/fixture error).
 * Errors that are not ValidateErrors (bugs) are rethrown. `validate` is replaceable for tests.
 */
export async function runCli(
  argv: readonly string[],
  io: CliIO,
  validate: (dir: string, opts: ValidateFixtureOptions) => Promise<Report> = validateFixture,
): Promise<number> {
  const json = argv.includes('--json');
  try {
    const args = parseCliArgs(argv);
    if (args === 'help') {
      io.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const report = await validate(args.fixture, { device: args.device, dtype: args.dtype });
    io.stdout.write(`${args.json ? reportToJSON(report) : formatReport(report)}\n`);
    return report.ok ? 0 : 1;
  } catch (err) {
    if (!(err instanceof ValidateError)) throw err;
    if (json) io.stdout.write(`${JSON.stringify({ ok: false, error: { name: err.name, message: err.message } })}\n`);
    io.stderr.write(`qo-validate: ${err.message}${err instanceof UsageError ? ' (qo-validate --help for usage)' : ''}\n`);
    return 2;
  }
}
