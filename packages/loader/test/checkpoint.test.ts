import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Checkpoint,
  CheckpointNotFoundError,
  DuplicateTensorError,
  InvalidHeaderError,
  SafetensorsError,
  ShardIndexError,
  TensorNotFoundError,
  writeSafetensors,
  type TensorToWrite,
} from '../src/index.js';
import { ramp, tempDir } from './helpers.js';

let root: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir: root, cleanup } = await tempDir()));
afterAll(async () => cleanup());

let n = 0;
async function freshDir(): Promise<string> {
  const d = join(root, `ckpt-${n++}`);
  await mkdir(d);
  return d;
}

const u8 = (len: number, start: number): TensorToWrite => ({ dtype: 'U8', shape: [len], data: ramp(len, start) });
const SHARD1 = 'model-00001-of-00002.safetensors';
const SHARD2 = 'model-00002-of-00002.safetensors';

/** Two shards: a, b in the first; c in the second. Returns the dir; `index` overrides the index JSON text. */
async function sharded(index?: string, extra?: (d: string) => Promise<void>): Promise<string> {
  const d = await freshDir();
  await writeSafetensors(join(d, SHARD1), { 'model.a': u8(3, 10), 'model.b': u8(5, 20) }, { format: 'pt' });
  await writeSafetensors(join(d, SHARD2), { 'model.c': u8(4, 30) }, { format: 'pt' });
  const good = { metadata: { total_size: 12 }, weight_map: { 'model.a': SHARD1, 'model.b': SHARD1, 'model.c': SHARD2 } };
  await writeFile(join(d, 'model.safetensors.index.json'), index ?? JSON.stringify(good, null, 2));
  await extra?.(d);
  return d;
}

async function openError(d: string): Promise<SafetensorsError> {
  const e = await Checkpoint.open(d).then(
    () => {
      throw new Error('expected Checkpoint.open to fail');
    },
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(SafetensorsError);
  return e as SafetensorsError;
}

describe('Checkpoint', () => {
  it('opens a single-file checkpoint', async () => {
    const d = await freshDir();
    await writeSafetensors(join(d, 'model.safetensors'), { 'z.w': u8(2, 1), 'a.w': u8(3, 5) });
    const c = await Checkpoint.open(d);
    expect(c.names()).toEqual(['a.w', 'z.w']);
    expect(c.has('a.w')).toBe(true);
    expect(c.has('nope')).toBe(false);
    expect(c.info('a.w')).toMatchObject({ dtype: 'U8', shape: [3], byteLength: 3, file: join(d, 'model.safetensors') });
    expect(await c.read('a.w')).toEqual(ramp(3, 5));
    expect(c.indexMetadata).toBeUndefined();
    await expect(c.read('nope')).rejects.toThrow(TensorNotFoundError);
    await c.close();
  });

  it('opens a sharded checkpoint and reads each tensor from its shard', async () => {
    const d = await sharded();
    const c = await Checkpoint.open(d, { maxReadBytes: 2 });
    expect(c.names()).toEqual(['model.a', 'model.b', 'model.c']);
    expect(c.files.map((f) => f.path)).toEqual([join(d, SHARD1), join(d, SHARD2)]);
    expect(c.info('model.c').file).toBe(join(d, SHARD2));
    expect(await c.read('model.a')).toEqual(ramp(3, 10));
    expect(await c.read('model.b')).toEqual(ramp(5, 20));
    expect(await c.read('model.c')).toEqual(ramp(4, 30));
    expect(c.indexMetadata).toEqual({ total_size: 12 });
    await c.close();
  });

  it('prefers the index when both layouts are present', async () => {
    const d = await sharded(undefined, (dd) => writeSafetensors(join(dd, 'model.safetensors'), { other: u8(1, 0) }));
    const c = await Checkpoint.open(d);
    expect(c.has('other')).toBe(false);
    await c.close();
  });

  it('an empty directory names both expected files', async () => {
    const e = await openError(await freshDir());
    expect(e).toBeInstanceOf(CheckpointNotFoundError);
    expect(e.message).toMatch(/no model\.safetensors or model\.safetensors\.index\.json/);
  });

  it('a broken shard header surfaces the shard error', async () => {
    const d = await sharded(undefined, (dd) => writeFile(join(dd, SHARD2), new Uint8Array([2, 0, 0, 0, 0, 0, 0, 0, 0x5b, 0x5d])));
    const e = await openError(d);
    expect(e).toBeInstanceOf(InvalidHeaderError);
    expect(e.file).toBe(join(d, SHARD2));
  });
});

describe('shard index validation', () => {
  const map = (weight_map: Record<string, unknown>) => JSON.stringify({ weight_map });
  const cases: [string, () => Promise<string>, new (...a: never[]) => SafetensorsError, RegExp][] = [
    ['invalid JSON', () => sharded('{"weight_map": {'), ShardIndexError, /invalid JSON/],
    ['not an object', () => sharded('[]'), ShardIndexError, /not a JSON object/],
    ['no weight_map', () => sharded('{"metadata": {}}'), ShardIndexError, /"weight_map" must be an object/],
    ['metadata not an object', () => sharded('{"metadata": 3, "weight_map": {}}'), ShardIndexError, /"metadata" must be an object/],
    ['shard name not a string', () => sharded(map({ 'model.a': 1 })), ShardIndexError, /weight_map\["model.a"\] must be a shard file name/],
    ['shard path escapes the directory', () => sharded(map({ 'model.a': '../x.safetensors' })), ShardIndexError, /not a plain file name/],
    ['shard missing', () => sharded(map({ 'model.a': 'model-00003-of-00003.safetensors' })), ShardIndexError, /shard "model-00003-of-00003.safetensors" named in weight_map does not exist/],
    ['tensor not in its shard', () => sharded(map({ 'model.a': SHARD2, 'model.b': SHARD1, 'model.c': SHARD2 })), ShardIndexError, /tensor "model.a" is mapped to shard "model-00002-of-00002.safetensors" but that shard does not hold it/],
    ['tensor in a shard but not in the map', () => sharded(map({ 'model.a': SHARD1, 'model.c': SHARD2 })), ShardIndexError, /holds tensor "model.b" which weight_map does not list/],
    ['tensor listed twice (duplicate JSON key)', () => sharded(`{"weight_map": {"model.a": "${SHARD1}", "model.b": "${SHARD1}", "model.a": "${SHARD2}", "model.c": "${SHARD2}"}}`), ShardIndexError, /lists tensor "model.a" twice/],
  ];
  for (const [name, make, cls, pattern] of cases) {
    it(name, async () => {
      const d = await make();
      const e = await openError(d);
      expect(e).toBeInstanceOf(cls);
      expect(e.message).toMatch(pattern);
      expect(e.message).toContain(d);
    });
  }

  it('a tensor present in two shards', async () => {
    const d = await sharded(undefined, (dd) => writeSafetensors(join(dd, SHARD2), { 'model.c': u8(4, 30), 'model.a': u8(3, 10) }));
    const e = await openError(d);
    expect(e).toBeInstanceOf(DuplicateTensorError);
    expect(e.tensor).toBe('model.a');
    expect(e.message).toMatch(/tensor "model.a" is in two shards/);
  });
});
