import { defineConfig } from 'tsup';
import { wgslRaw } from '../../scripts/esbuild-wgsl-raw.mjs';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  // the declarations use WebGPU's global types (GPUDevice, GPUBuffer…)
  dts: { banner: '/// <reference types="@webgpu/types" />' },
  sourcemap: true,
  clean: true,
  target: 'node20',
  external: ['webgpu'],
  esbuildPlugins: [wgslRaw],
});
