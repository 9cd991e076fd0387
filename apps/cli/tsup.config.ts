import { cp, rm } from 'node:fs/promises';
import { defineConfig } from 'tsup';

/** The embedded default model ships inside the package: dist/default-model/ (found at runtime by src/default-model.ts). */
const DEFAULT_MODEL = '../../reference/fixtures/qo-fortune/model';

export default defineConfig({
  entry: ['src/cli.ts', 'src/commands/*.ts'],
  format: ['esm'],
  dts: false,
  sourcemap: true,
  clean: true,
  target: 'node20',
  async onSuccess() {
    await rm('dist/default-model', { recursive: true, force: true });
    await cp(DEFAULT_MODEL, 'dist/default-model', { recursive: true });
  },
});
