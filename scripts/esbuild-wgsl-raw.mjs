// An esbuild plugin for every bundle of this repository (the tsup configs of @qo/gpu and @qo/qwen3,
// bench bundles): `import src from '…/kernels/x.wgsl?raw'` (vite's raw import, which vitest
// understands natively) becomes a string constant, so a published package carries its kernels.
import { readFile } from 'node:fs/promises';
import { URL } from 'node:url';

/** @type {import('./esbuild-wgsl-raw.d.mts').WgslRawPlugin} */
export const wgslRaw = {
  name: 'wgsl-raw',
  setup(build) {
    build.onResolve({ filter: /\.wgsl\?raw$/ }, (args) => ({
      path: new URL(args.path.replace(/\?raw$/, ''), `file://${args.resolveDir}/`).pathname,
      namespace: 'wgsl-raw',
    }));
    build.onLoad({ filter: /.*/, namespace: 'wgsl-raw' }, async (args) => ({
      contents: await readFile(args.path, 'utf8'),
      loader: 'text',
    }));
  },
};
