import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/compare.ts', 'src/llama-run.ts'],
  format: ['esm'],
  dts: false,
  sourcemap: true,
  clean: true,
  target: 'node20',
  external: ['node-llama-cpp'],
});
