import { readFile } from 'node:fs/promises';
import { ShardIndexError } from '../errors.js';
import { isPlainObject, parseStrictJson } from '../strict-json.js';

/**
 * The shard files `model.safetensors.index.json` names in its weight_map, sorted.
 * Only what the download needs is checked here (shape of weight_map, plain file names);
 * `Checkpoint.open` validates the rest.
 */
export async function shardFiles(indexPath: string): Promise<string[]> {
  const bad = (what: string): never => {
    throw new ShardIndexError(indexPath, undefined, `${indexPath}: ${what}. The Hub's shard index is unusable; check the repository.`);
  };
  let text: string;
  try {
    text = await readFile(indexPath, 'utf8');
  } catch (cause) {
    throw new ShardIndexError(indexPath, undefined, `${indexPath}: cannot read the shard index (${(cause as { code?: string }).code ?? String(cause)}).`, { cause });
  }
  const root = parseStrictJson(text, (problem, where) => bad(`invalid JSON at ${where}: ${problem}`));
  if (!isPlainObject(root) || !isPlainObject(root.weight_map)) return bad('"weight_map" must be an object of tensor name to shard file');
  const names: string[] = [];
  for (const [tensor, shard] of Object.entries(root.weight_map)) {
    if (typeof shard !== 'string' || shard === '' || shard === '.' || shard === '..' || shard.includes('/') || shard.includes('\\')) {
      bad(`weight_map["${tensor}"] = ${JSON.stringify(shard)} is not a plain file name`);
    }
    if (!names.includes(shard as string)) names.push(shard as string);
  }
  names.sort(); // as transformers does (sorted(set(weight_map.values())))
  if (names.length === 0) bad('weight_map is empty');
  return names;
}
