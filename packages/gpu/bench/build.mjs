// Bundles the bench scripts into bench/dist/*.mjs with everything inlined but `webgpu`, so they run
// where node_modules does not travel (the GPU machine). Run from packages/gpu: node bench/build.mjs
import { wgslRaw } from '../../../scripts/esbuild-wgsl-raw.mjs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { build } = await import(createRequire(require.resolve('tsup')).resolve('esbuild'));
await build({
  entryPoints: ['bench/synthetic-qwen3.ts', 'bench/kernels.ts'],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outdir: 'bench/dist',
  outExtension: { '.js': '.mjs' },
  external: ['webgpu'],
  plugins: [wgslRaw],
});
