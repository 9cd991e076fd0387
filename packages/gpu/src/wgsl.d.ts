// Kernel sources are imported as text: vite (vitest) natively, tsup through the plugin in tsup.config.ts.
declare module '*.wgsl?raw' {
  const source: string;
  export default source;
}
