// Kernel sources are imported as text: vite (vitest) natively, tsup/esbuild through a wgsl-raw plugin.
declare module '*.wgsl?raw' {
  const source: string;
  export default source;
}
