import { readFile } from 'node:fs/promises';
import { defineConfig } from 'tsup';

// `import src from '../../../../kernels/moe_x.wgsl?raw'` (vite's raw import, which vitest understands natively)
// becomes a string constant in the bundle, so the published package carries the MoE kernels (as @qo/gpu does its own).
const wgslRaw = {
  name: 'wgsl-raw',
  setup(build: { onResolve: Function; onLoad: Function }) {
    build.onResolve({ filter: /\.wgsl\?raw$/ }, (args: { path: string; resolveDir: string }) => ({
      path: new URL(args.path.replace(/\?raw$/, ''), `file://${args.resolveDir}/`).pathname,
      namespace: 'wgsl-raw',
    }));
    build.onLoad({ filter: /.*/, namespace: 'wgsl-raw' }, async (args: { path: string }) => ({
      contents: await readFile(args.path, 'utf8'),
      loader: 'text',
    }));
  },
};

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  esbuildPlugins: [wgslRaw],
});
