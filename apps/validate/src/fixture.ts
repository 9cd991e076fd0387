import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { LoaderError, SafetensorsFile } from '@qo/loader';
import { FixtureError } from './errors.js';
import { argmax } from './metrics.js';
import type { ChatMessage } from './model.js';
import { knownTensor } from './names.js';

/** The `kind` values of qo-reference-1. */
export const FIXTURE_KINDS = ['causal-lm', 'omni-thinker', 'omni-speech', 'e2e-chat'] as const;
export type FixtureKind = (typeof FIXTURE_KINDS)[number];

/** reference.json, as far as this checker reads it (other keys, such as provenance, are kept but not used). */
export interface ReferenceJson {
  kind: FixtureKind;
  model_type: string;
  prompt_ids: number[];
  greedy: { new_ids: number[]; min_top2_margin?: number; text?: string };
  /** e2e-chat only */
  messages?: ChatMessage[];
  enable_thinking?: boolean;
  prompt_text?: string;
  tools?: Record<string, unknown>[];
  /** how greedy.text was decoded: 'skip_special_tokens=true' (the default) or '…=false' */
  text_decode?: string;
  tensors: string[];
  [key: string]: unknown;
}

/** One tensor of reference.safetensors: F32 as Float32Array, I64 as exact JS numbers. */
export type ReferenceTensor =
  | { name: string; dtype: 'F32'; shape: readonly number[]; data: Float32Array }
  | { name: string; dtype: 'I64'; shape: readonly number[]; data: number[] };

export interface Fixture {
  dir: string;
  /** DIR/model: the checkpoint */
  modelDir: string;
  json: ReferenceJson;
  /** Every tensor of reference.safetensors, in file order. */
  tensors: ReadonlyMap<string, ReferenceTensor>;
}

const REGENERATE = 'Regenerate the fixture with the scripts in reference/ (see REFERENCE_FORMAT.md).';

/** Reads DIR/reference.json and DIR/reference.safetensors and checks them against qo-reference-1. */
export async function readFixture(dir: string): Promise<Fixture> {
  await expectKind(dir, 'directory', 'pass --fixture the directory that holds reference.json');
  const modelDir = join(dir, 'model');
  await expectKind(modelDir, 'directory', 'a fixture keeps its checkpoint in model/');
  await expectKind(join(modelDir, 'config.json'), 'file', 'a fixture checkpoint needs config.json');
  const jsonPath = join(dir, 'reference.json');
  const json = parseReferenceJson(jsonPath, await readJson(jsonPath));
  if (json.kind === 'e2e-chat') {
    await expectKind(join(modelDir, 'tokenizer.json'), 'file', 'an e2e-chat fixture needs the tokenizer in model/');
  }
  const tensors = await readReferenceTensors(join(dir, 'reference.safetensors'), json);
  return { dir, modelDir, json, tensors };
}

async function expectKind(path: string, kind: 'file' | 'directory', hint: string): Promise<void> {
  let ok: boolean;
  try {
    const s = await stat(path);
    ok = kind === 'file' ? s.isFile() : s.isDirectory();
  } catch (cause) {
    throw new FixtureError(path, `no such ${kind}; ${hint}.`, { cause });
  }
  if (!ok) throw new FixtureError(path, `not a ${kind}; ${hint}.`);
}

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new FixtureError(path, `cannot read (${(cause as Error).message}). ${REGENERATE}`, { cause });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new FixtureError(path, `not valid JSON (${(cause as Error).message}). ${REGENERATE}`, { cause });
  }
}

/** Checks the keys this checker reads; throws FixtureError naming the first bad key. */
export function parseReferenceJson(file: string, raw: unknown): ReferenceJson {
  const bad = (key: string, what: string): never => {
    throw new FixtureError(file, `key "${key}" ${what}. ${REGENERATE}`);
  };
  if (!isObject(raw)) return bad('(root)', 'must be a JSON object');
  if (!(FIXTURE_KINDS as readonly unknown[]).includes(raw.kind)) {
    bad('kind', `must be one of ${FIXTURE_KINDS.join(', ')}, got ${JSON.stringify(raw.kind)}`);
  }
  if (typeof raw.model_type !== 'string' || raw.model_type === '') bad('model_type', 'must be a non-empty string');
  checkIds(raw.prompt_ids, 'prompt_ids', bad, false);
  if (!isObject(raw.greedy)) return bad('greedy', 'must be an object');
  checkIds(raw.greedy.new_ids, 'greedy.new_ids', bad, true);
  const margin = raw.greedy.min_top2_margin;
  if (margin !== undefined && (typeof margin !== 'number' || !(margin >= 0))) {
    bad('greedy.min_top2_margin', 'must be a non-negative number');
  }
  if (!Array.isArray(raw.tensors) || !raw.tensors.every((t) => typeof t === 'string')) {
    bad('tensors', 'must be an array of tensor names');
  }
  const names = raw.tensors as string[];
  if (new Set(names).size !== names.length) bad('tensors', 'lists a name twice');
  if (raw.kind === 'e2e-chat') {
    if (!Array.isArray(raw.messages) || raw.messages.length === 0 || !raw.messages.every((m) => isObject(m) && typeof m.role === 'string')) {
      bad('messages', 'must be a non-empty array of {role, content} objects in an e2e-chat fixture');
    }
    if (typeof raw.enable_thinking !== 'boolean') bad('enable_thinking', 'must be true or false in an e2e-chat fixture');
    if (typeof raw.greedy.text !== 'string') bad('greedy.text', 'must be a string in an e2e-chat fixture');
    if (raw.prompt_text !== undefined && typeof raw.prompt_text !== 'string') bad('prompt_text', 'must be a string when present');
    if (raw.text_decode !== undefined && raw.text_decode !== 'skip_special_tokens=true' && raw.text_decode !== 'skip_special_tokens=false') {
      bad('text_decode', `must be "skip_special_tokens=true" or "skip_special_tokens=false", got ${JSON.stringify(raw.text_decode)}`);
    }
    if (raw.tools !== undefined && !(Array.isArray(raw.tools) && raw.tools.every(isObject))) bad('tools', 'must be an array of objects when present');
  }
  return raw as ReferenceJson;
}

function checkIds(v: unknown, key: string, bad: (key: string, what: string) => never, allowEmpty: boolean): void {
  if (!Array.isArray(v) || (!allowEmpty && v.length === 0)) bad(key, `must be a${allowEmpty ? 'n' : ' non-empty'} array of token ids`);
  const arr = v as unknown[];
  const i = arr.findIndex((x) => !Number.isSafeInteger(x) || (x as number) < 0);
  if (i >= 0) bad(key, `holds ${JSON.stringify(arr[i])} at index ${i}; token ids are non-negative integers`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

async function readReferenceTensors(path: string, json: ReferenceJson): Promise<Map<string, ReferenceTensor>> {
  let file: SafetensorsFile;
  try {
    file = await SafetensorsFile.open(path);
  } catch (cause) {
    if (cause instanceof LoaderError) throw new FixtureError(path, `${cause.message}`, { cause });
    throw cause;
  }
  try {
    if (file.metadata.format !== 'qo-reference-1') {
      throw new FixtureError(path, `header metadata "format" is ${JSON.stringify(file.metadata.format)}, expected "qo-reference-1". ${REGENERATE}`);
    }
    const inFile = new Set(file.tensors.keys());
    const missing = json.tensors.filter((n) => !inFile.has(n));
    if (missing.length > 0) {
      throw new FixtureError(path, `lacks tensor(s) ${missing.join(', ')} that reference.json "tensors" lists. ${REGENERATE}`);
    }
    const unlisted = [...inFile].filter((n) => !json.tensors.includes(n));
    if (unlisted.length > 0) {
      throw new FixtureError(path, `holds tensor(s) ${unlisted.join(', ')} that reference.json "tensors" does not list. ${REGENERATE}`);
    }
    const out = new Map<string, ReferenceTensor>();
    for (const info of file.tensors.values()) {
      const bytes = await file.read(info.name); // fresh, zero-offset: aligned for typed views
      if (info.dtype === 'F32') {
        out.set(info.name, { name: info.name, dtype: 'F32', shape: info.shape, data: new Float32Array(bytes.buffer, 0, bytes.byteLength / 4) });
      } else if (info.dtype === 'I64') {
        out.set(info.name, { name: info.name, dtype: 'I64', shape: info.shape, data: i64ToNumbers(path, info.name, bytes) });
      } else {
        throw new FixtureError(path, `tensor "${info.name}" is ${info.dtype}; qo-reference-1 stores floats as F32 and integers as I64. ${REGENERATE}`);
      }
    }
    checkKnownShapes(path, json, out);
    return out;
  } finally {
    await file.close();
  }
}

function i64ToNumbers(path: string, name: string, bytes: Uint8Array): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Array<number>(bytes.byteLength / 8);
  for (let i = 0; i < out.length; i++) {
    const v = view.getBigInt64(i * 8, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new FixtureError(path, `tensor "${name}" holds ${v} at index ${i}, beyond what a JS number holds exactly (2^53). ${REGENERATE}`);
    }
    out[i] = Number(v);
  }
  return out;
}

/** The tensors this checker compares must have the shapes REFERENCE_FORMAT.md gives them. */
function checkKnownShapes(path: string, json: ReferenceJson, tensors: ReadonlyMap<string, ReferenceTensor>): void {
  const T = json.prompt_ids.length;
  const N = json.greedy.new_ids.length;
  const bad = (name: string, what: string): never => {
    throw new FixtureError(path, `tensor "${name}" ${what}. ${REGENERATE}`);
  };
  for (const t of tensors.values()) {
    const k = knownTensor(t.name);
    if (k === null) continue;
    const shape = JSON.stringify(t.shape);
    if (k.role === 'input_ids') {
      if (t.dtype !== 'I64' || t.shape.length !== 1 || t.shape[0] !== T) bad(t.name, `must be I64 [${T}] (the prompt), got ${t.dtype} ${shape}`);
      continue;
    }
    if (t.dtype !== 'F32' || t.shape.length !== 2) bad(t.name, `must be a 2-D F32 tensor, got ${t.dtype} ${shape}`);
    const rows = k.role === 'decode_logits' ? N : T;
    if (t.shape[0] !== rows) {
      bad(t.name, `has ${t.shape[0]} rows, expected ${rows} (${k.role === 'decode_logits' ? 'one per greedy.new_ids entry' : 'one per prompt token'})`);
    }
    if (k.role === 'decode_logits') {
      const V = t.shape[1];
      for (let s = 0; s < N; s++) {
        const chosen = argmax(t.data as Float32Array, s * V, V);
        if (chosen !== json.greedy.new_ids[s]) {
          bad(t.name, `row ${s} has its argmax at ${chosen} but greedy.new_ids[${s}] is ${json.greedy.new_ids[s]}: the fixture disagrees with itself`);
        }
      }
    }
  }
}
