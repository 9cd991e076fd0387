import { defineConfig } from 'tsup';
import { wgslRaw } from '../../scripts/esbuild-wgsl-raw.mjs';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  esbuildPlugins: [wgslRaw],
});
