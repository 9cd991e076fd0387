import { stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { downloadModel } from './download.js';
import { ModelSpecError } from './errors.js';
import { parseHubId } from './spec.js';
import type { HubDownloadOptions } from './types.js';

/**
 * The one place a model spec becomes a checkpoint directory. An existing directory is returned as
 * given, without any network; an `org/name[@revision]` Hub id is downloaded into the Hugging Face
 * cache (see `downloadModel`) and its snapshot directory returned. Anything else is a ModelSpecError.
 */
export async function resolveModel(spec: string, options: HubDownloadOptions = {}): Promise<string> {
  if (spec.trim() === '') throw new ModelSpecError({}, 'the model is an empty string. Pass a checkpoint directory (config.json + safetensors) or a Hub id such as Qwen/Qwen3-0.6B.');
  const s = await stat(spec).catch(() => undefined);
  if (s?.isDirectory()) return spec;
  if (s !== undefined) throw new ModelSpecError({}, `${spec} is a file. Pass the directory that holds config.json and the safetensors weights.`);
  if (!looksLikePath(spec) && parseHubId(spec) !== undefined) return (await downloadModel(spec, options)).dir;
  throw new ModelSpecError(
    {},
    looksLikePath(spec) || !spec.includes('/')
      ? `${spec}: no such directory. Pass a checkpoint directory (config.json + safetensors), or a Hub id written org/name such as Qwen/Qwen3-0.6B.`
      : `${spec}: no such directory, and not a Hub id (org/name, optionally @revision, letters, digits, - _ . only). Check the spelling.`,
  );
}

/** Paths that are never Hub ids: ./x, ../x, /x, ~/x, C:\x, anything with a backslash. */
function looksLikePath(spec: string): boolean {
  return spec.startsWith('.') || spec.startsWith('~') || isAbsolute(spec) || spec.includes('\\') || /^[A-Za-z]:/.test(spec);
}
