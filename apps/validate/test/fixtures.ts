/** The committed fixtures, and temp copies of them to break on purpose. */
import { existsSync, readdirSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SafetensorsFile } from '@qo/loader';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const FIXTURES = join(REPO, 'reference/fixtures');
export const CLI = join(REPO, 'apps/validate/dist/cli.js');

/** Every committed model fixture: reference/fixtures/<name>/reference.json. */
export function modelFixtures(): string[] {
  const names = readdirSync(FIXTURES).filter((n) => existsSync(join(FIXTURES, n, 'reference.json')));
  if (names.length === 0) throw new Error(`no model fixtures under ${FIXTURES}`);
  return names.sort();
}

const temps: string[] = [];

/** A temp copy of reference/fixtures/<name>; removed by removeTemps(). */
export async function copyFixture(name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `qo-validate-${name}-`));
  temps.push(dir);
  await cp(join(FIXTURES, name), dir, { recursive: true });
  return dir;
}

export async function removeTemps(): Promise<void> {
  await Promise.all(temps.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

export async function editJson(path: string, edit: (j: Record<string, unknown>) => void): Promise<void> {
  const j = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  edit(j);
  await writeFile(path, JSON.stringify(j, null, 2));
}

/** The checkpoint file of `modelDir` that holds `tensor` (single file or sharded). */
async function shardOf(modelDir: string, tensor: string): Promise<string> {
  const index = join(modelDir, 'model.safetensors.index.json');
  if (!existsSync(index)) return join(modelDir, 'model.safetensors');
  const map = (JSON.parse(await readFile(index, 'utf8')) as { weight_map: Record<string, string> }).weight_map;
  return join(modelDir, map[tensor]);
}

/**
 * Rewrites the bf16 values of one checkpoint tensor in place (`edit` gets them as numbers and
 * returns new ones, rounded back to bf16 by truncation). Returns how many values changed.
 */
export async function editBf16Tensor(modelDir: string, tensor: string, edit: (values: Float32Array) => Float32Array): Promise<number> {
  const path = await shardOf(modelDir, tensor);
  const f = await SafetensorsFile.open(path);
  const info = f.info(tensor);
  await f.close();
  if (info.dtype !== 'BF16') throw new Error(`${tensor} is ${info.dtype}, not BF16`);
  const bytes = await readFile(path);
  const n = info.byteLength / 2;
  const bits = new Uint16Array(n);
  for (let i = 0; i < n; i++) bits[i] = bytes.readUInt16LE(info.offset + 2 * i);
  const values = new Float32Array(new Uint32Array(Array.from(bits, (b) => b << 16)).buffer);
  const edited = new Uint32Array(edit(values.slice()).buffer);
  let changed = 0;
  for (let i = 0; i < n; i++) {
    const b = edited[i] >>> 16;
    if (b !== bits[i]) changed++;
    bytes.writeUInt16LE(b, info.offset + 2 * i);
  }
  await writeFile(path, bytes);
  return changed;
}
