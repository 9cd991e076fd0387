// Bundles bench/moe/*.ts into bench/moe/dist/*.mjs with everything inlined but `webgpu` (kernels too,
// as strings), so they run where node_modules does not travel (the GPU machine). From the repo root:
// node bench/moe/build.mjs
/* global URL */
import { wgslRaw } from '../../scripts/esbuild-wgsl-raw.mjs';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../packages/gpu/package.json', import.meta.url));
const { build } = await import(createRequire(require.resolve('tsup')).resolve('esbuild'));
await build({
  entryPoints: [new URL('synthetic-30b-a3b.ts', import.meta.url).pathname],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outdir: new URL('dist', import.meta.url).pathname,
  outExtension: { '.js': '.mjs' },
  external: ['webgpu'],
  plugins: [wgslRaw],
});
