// Bundles the bench scripts into bench/dist/*.mjs with everything inlined but `webgpu`, so they run
// where node_modules does not travel (the GPU machine). Run from packages/gpu: node bench/build.mjs
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { build } = await import(createRequire(require.resolve('tsup')).resolve('esbuild'));
const wgslRaw = {
  name: 'wgsl-raw',
  setup(b) {
    b.onResolve({ filter: /\.wgsl\?raw$/ }, (a) => ({ path: new URL(a.path.replace(/\?raw$/, ''), `file://${a.resolveDir}/`).pathname, namespace: 'wgsl-raw' }));
    b.onLoad({ filter: /.*/, namespace: 'wgsl-raw' }, async (a) => ({ contents: await readFile(a.path, 'utf8'), loader: 'text' }));
  },
};
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
