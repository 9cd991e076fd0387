import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliError, EXIT } from './errors.js';

/** Name shown for the model `qo` uses when --model is left out. */
export const EMBEDDED_NAME = 'qo-fortune';

/**
 * The embedded default model: `dist/default-model/` of the installed package (the build copies it
 * there), else, in a checkout of the repository, `reference/fixtures/qo-fortune/model`.
 */
export function embeddedModelDir(): string {
  const root = packageRoot(dirname(fileURLToPath(import.meta.url)));
  const candidates = [join(root, 'dist', 'default-model'), join(root, '..', '..', 'reference', 'fixtures', 'qo-fortune', 'model')];
  const found = candidates.find((d) => existsSync(join(d, 'config.json')));
  if (found === undefined) {
    throw new CliError(`the embedded model is missing from this install (looked in ${candidates.join(' and ')})`, 'pass --model DIR, or reinstall @qo/cli', EXIT.failed);
  }
  return found;
}

/** The nearest directory at or above `from` whose package.json is @qo/cli (src/ in development, dist/ when built). */
function packageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === '@qo/cli') return dir;
    if (dirname(dir) === dir) throw new CliError(`cannot find the @qo/cli package above ${from}`, 'reinstall @qo/cli', EXIT.failed);
  }
}
