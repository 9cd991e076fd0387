// Bundles bench/gpu/main.ts into bench/gpu/dist/main.mjs with everything inlined but `webgpu`
// (the GPU machine has no node_modules; .device/enter.sh provides webgpu). Run from the repo root
// after `pnpm build`: node bench/gpu/build.mjs
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const tsup = createRequire(`${process.cwd()}/packages/qwen3/package.json`).resolve('tsup');
const { build } = await import(createRequire(tsup).resolve('esbuild'));
await build({
  entryPoints: ['bench/gpu/main.ts'],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile: 'bench/gpu/dist/main.mjs',
  external: ['webgpu'],
  // bench/gpu is no workspace package: resolve @qo/* where the CLI and @qo/qwen3 see them
  nodePaths: ['apps/cli/node_modules', 'packages/qwen3/node_modules', 'apps/bench/node_modules'],
  banner: { js: "import { createRequire as __qoCreateRequire } from 'node:module'; const require = __qoCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
void require;
