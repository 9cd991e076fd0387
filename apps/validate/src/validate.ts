import { Tokenizer } from '@qo/loader';
import { runChecks } from './checks.js';
import { DeviceUnavailableError, FixtureError, UnsupportedFixtureError, UsageError } from './errors.js';
import { type Fixture, readFixture } from './fixture.js';
import type { CausalLM, ChatTokenizer } from './model.js';
import { modelClassFor, supportedModelTypes } from './registry.js';
import type { Report } from './report.js';
import { THRESHOLDS, WEIGHT_DTYPES, type WeightDType } from './thresholds.js';

export const DEVICES = ['cpu', 'gpu'] as const;
export type Device = (typeof DEVICES)[number];

export interface ValidateFixtureOptions {
  /** default 'cpu' */
  device?: Device;
  /** default 'bf16' (weights as stored) */
  dtype?: WeightDType;
}

/** Reads a qo-reference-1 fixture, loads its model, runs it and compares it with the reference. */
export async function validateFixture(dir: string, opts: ValidateFixtureOptions = {}): Promise<Report> {
  const device = opts.device ?? 'cpu';
  const dtype = opts.dtype ?? 'bf16';
  if (!(WEIGHT_DTYPES as readonly string[]).includes(dtype)) {
    throw new UsageError(`dtype '${dtype}' is not one of ${WEIGHT_DTYPES.join(', ')}`);
  }
  if (device !== 'cpu' && device !== 'gpu') throw new UsageError(`device '${String(device)}' is not one of ${DEVICES.join(', ')}`);

  const fx = await readFixture(dir);
  const { kind, model_type } = fx.json;
  if (kind !== 'causal-lm' && kind !== 'e2e-chat') {
    throw new UnsupportedFixtureError(`${dir}: kind '${kind}' is not checked by qo-validate yet (it runs causal-lm and e2e-chat fixtures)`);
  }
  const modelClass = modelClassFor(model_type, device);
  if (modelClass === null) {
    const on = device === 'cpu' ? '' : ` for --device ${device}`;
    throw new UnsupportedFixtureError(
      `${dir}: model_type '${model_type}' has no implementation registered in qo-validate${on} (supported: ${supportedModelTypes(device).join(', ')})`,
    );
  }
  const Model = await modelClass();
  let model;
  try {
    model = await Model.load(fx.modelDir, { dtype });
  } catch (cause) {
    if (!(cause instanceof Error)) throw cause;
    if (cause.name === 'NoAdapterError') throw new DeviceUnavailableError(`--device gpu: ${cause.message}`, { cause });
    throw new FixtureError(fx.modelDir, `the checkpoint does not load: ${cause.name}: ${cause.message}`, { cause });
  }
  try {
    return await check(fx, model, kind, model_type, device, dtype);
  } finally {
    model.dispose?.();
  }
}

async function check(fx: Fixture, model: CausalLM, kind: string, model_type: string, device: Device, dtype: WeightDType): Promise<Report> {
  if (model.config.model_type !== model_type) {
    throw new FixtureError(`${fx.modelDir}/config.json`, `model_type is '${model.config.model_type}' but reference.json says '${model_type}'`);
  }
  let tokenizer: ChatTokenizer | undefined;
  if (kind === 'e2e-chat') {
    try {
      tokenizer = await Tokenizer.fromDir(fx.modelDir);
    } catch (cause) {
      if (!(cause instanceof Error)) throw cause;
      throw new FixtureError(fx.modelDir, `the tokenizer does not load: ${cause.name}: ${cause.message}`, { cause });
    }
  }
  return runChecks(fx, model, { thresholds: THRESHOLDS[dtype], tokenizer, device, dtype });
}
