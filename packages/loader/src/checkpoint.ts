import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CheckpointNotFoundError,
  DuplicateTensorError,
  SafetensorsError,
  SafetensorsIOError,
  ShardIndexError,
  TensorNotFoundError,
} from './errors.js';
import { SafetensorsFile, type SafetensorsOpenOptions } from './safetensors.js';
import type { TensorInfo } from './safetensors-header.js';
import { isPlainObject, parseStrictJson } from './strict-json.js';

export const SINGLE_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';

/**
 * A Hugging Face checkpoint directory: `model.safetensors`, or shards listed by
 * `model.safetensors.index.json` (`weight_map`: tensor name → shard file). Only headers are read
 * at open; tensors are read one at a time on demand.
 */
export class Checkpoint {
  readonly dir: string;
  /** The opened .safetensors files (one, or every shard in index order). */
  readonly files: readonly SafetensorsFile[];
  /** `metadata` of the index file (raw), or undefined for a single-file checkpoint. */
  readonly indexMetadata: Readonly<Record<string, unknown>> | undefined;
  readonly #where: ReadonlyMap<string, SafetensorsFile>;

  private constructor(dir: string, files: SafetensorsFile[], where: Map<string, SafetensorsFile>, indexMetadata: Record<string, unknown> | undefined) {
    this.dir = dir;
    this.files = files;
    this.#where = where;
    this.indexMetadata = indexMetadata;
  }

  static async open(dir: string, options: SafetensorsOpenOptions = {}): Promise<Checkpoint> {
    const indexPath = join(dir, INDEX_FILE);
    if (await isFile(indexPath)) {
      const s = await openSharded(dir, indexPath, options);
      return new Checkpoint(dir, s.files, s.where, s.metadata);
    }
    const single = join(dir, SINGLE_FILE);
    if (await isFile(single)) {
      const f = await SafetensorsFile.open(single, options);
      return new Checkpoint(dir, [f], new Map([...f.tensors.keys()].map((n) => [n, f])), undefined);
    }
    throw new CheckpointNotFoundError(dir, undefined, `${dir}: no ${SINGLE_FILE} or ${INDEX_FILE} here. Pass the directory that save_pretrained wrote (the one holding config.json).`);
  }

  /** Every tensor name, sorted. */
  names(): string[] {
    return [...this.#where.keys()].sort();
  }

  has(name: string): boolean {
    return this.#where.has(name);
  }

  info(name: string): TensorInfo {
    return this.#file(name).info(name);
  }

  /** See `SafetensorsFile.read`. */
  async read(name: string, into?: Uint8Array): Promise<Uint8Array> {
    return this.#file(name).read(name, into);
  }

  async close(): Promise<void> {
    await Promise.all(this.files.map((f) => f.close()));
  }

  #file(name: string): SafetensorsFile {
    const f = this.#where.get(name);
    if (f === undefined) {
      throw new TensorNotFoundError(this.dir, name, `${this.dir}: checkpoint has no tensor "${name}" (${this.#where.size} tensors). Check the name against names().`);
    }
    return f;
  }
}

interface Shards {
  files: SafetensorsFile[];
  where: Map<string, SafetensorsFile>;
  metadata: Record<string, unknown> | undefined;
}

async function openSharded(dir: string, indexPath: string, options: SafetensorsOpenOptions): Promise<Shards> {
  const bad = (what: string, tensor?: string): never => {
    throw new ShardIndexError(indexPath, tensor, `${indexPath}: ${what}. Re-download the checkpoint or regenerate the index.`);
  };
  let text: string;
  try {
    text = await readFile(indexPath, 'utf8');
  } catch (cause) {
    throw new SafetensorsIOError(indexPath, undefined, `${indexPath}: cannot read shard index.`, { cause });
  }
  const root = parseStrictJson(text, (problem, where, dup) =>
    dup !== undefined && where === '$["weight_map"]'
      ? bad(`weight_map lists tensor "${dup}" twice (duplicate JSON key)`, dup)
      : bad(`invalid JSON at ${where}: ${problem}`),
  );
  if (!isPlainObject(root)) return bad('index is not a JSON object');
  const map = root.weight_map;
  if (!isPlainObject(map)) return bad('"weight_map" must be an object of tensor name to shard file');
  const meta = root.metadata;
  if (meta !== undefined && meta !== null && !isPlainObject(meta)) bad('"metadata" must be an object');

  const shardNames: string[] = [];
  for (const [tensor, shard] of Object.entries(map)) {
    if (typeof shard !== 'string') bad(`weight_map["${tensor}"] must be a shard file name, found ${JSON.stringify(shard)}`, tensor);
    const s = shard as string;
    if (s === '' || s.includes('/') || s.includes('\\') || s === '.' || s === '..') {
      bad(`weight_map["${tensor}"] = ${JSON.stringify(s)} is not a plain file name in the checkpoint directory`, tensor);
    }
    if (!shardNames.includes(s)) shardNames.push(s);
  }

  const files: SafetensorsFile[] = [];
  try {
    for (const s of shardNames) {
      const p = join(dir, s);
      if (!(await isFile(p))) bad(`shard "${s}" named in weight_map does not exist in ${dir}`);
      files.push(await SafetensorsFile.open(p, options));
    }
    const byName = new Map(files.map((f, i) => [shardNames[i], f]));
    const where = new Map<string, SafetensorsFile>();
    // Every mapped tensor must be in its shard...
    for (const [tensor, shard] of Object.entries(map as Record<string, string>)) {
      const f = byName.get(shard) as SafetensorsFile;
      if (!f.tensors.has(tensor)) bad(`tensor "${tensor}" is mapped to shard "${shard}" but that shard does not hold it`, tensor);
      where.set(tensor, f);
    }
    // ...and every tensor in a shard must be mapped there, and nowhere else.
    for (const f of files) {
      for (const tensor of f.tensors.keys()) {
        const mapped = where.get(tensor);
        if (mapped === f) continue;
        if (mapped !== undefined) {
          throw new DuplicateTensorError(f.path, tensor, `${dir}: tensor "${tensor}" is in two shards (${mapped.path} and ${f.path}). The checkpoint is inconsistent; re-download it.`);
        }
        bad(`shard "${f.path}" holds tensor "${tensor}" which weight_map does not list`, tensor);
      }
    }
    return { files, where, metadata: meta === undefined || meta === null ? undefined : (meta as Record<string, unknown>) };
  } catch (err) {
    await Promise.all(files.map((f) => f.close().catch(() => undefined)));
    if (err instanceof SafetensorsError) throw err;
    throw new SafetensorsIOError(indexPath, undefined, `${indexPath}: failed to open shards.`, { cause: err });
  }
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}
