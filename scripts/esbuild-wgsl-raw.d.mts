/** The esbuild plugin shape this repository's bundles take (kept structural: no esbuild types needed). */
export interface WgslRawPlugin {
  name: string;
  setup(build: {
    onResolve(opts: { filter: RegExp }, cb: (args: { path: string; resolveDir: string }) => { path: string; namespace: string }): void;
    onLoad(opts: { filter: RegExp; namespace: string }, cb: (args: { path: string }) => Promise<{ contents: string; loader: 'text' }>): void;
  }): void;
}
export declare const wgslRaw: WgslRawPlugin;
