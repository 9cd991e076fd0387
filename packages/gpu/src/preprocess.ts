import { ShaderError } from './errors.js';

/**
 * The kernels' one preprocessor directive, on a line of its own:
 *   `#include "file.wgsl"`  inlines a file of `kernels/` (each file at most once per kernel);
 *   `#include NAME`         inlines the file the variant maps NAME to (WEIGHT → weight_bf16.wgsl, say).
 * `enable …;` and `diagnostic(…);` directives are hoisted to the top, where WGSL requires them. Everything else is left as written.
 */
export function preprocessWgsl(
  entry: string,
  sources: Readonly<Record<string, string>>,
  includes: Readonly<Record<string, string>> = {},
): string {
  const enables = new Set<string>();
  const seen = new Set<string>();
  const body: string[] = [];
  const visit = (file: string, from: string): void => {
    if (seen.has(file)) return;
    const src = sources[file];
    if (src === undefined) {
      throw new ShaderError(`preprocessWgsl: ${from} includes '${file}', which is not a file of kernels/; check the name`);
    }
    seen.add(file);
    body.push(`// ---- ${file}`);
    for (const [i, line] of src.split('\n').entries()) {
      const inc = /^\s*#include\s+(?:"([^"]+)"|([A-Z_][A-Z0-9_]*))\s*$/.exec(line);
      if (inc) {
        const target = inc[1] ?? includes[inc[2]];
        if (target === undefined) {
          throw new ShaderError(
            `preprocessWgsl: ${file}:${i + 1} includes ${inc[2]}, but the variant maps it to no file; ` +
              `pass it in includes (known: ${Object.keys(includes).join(', ') || 'none'})`,
          );
        }
        visit(target, `${file}:${i + 1}`);
      } else if (/^\s*#/.test(line)) {
        throw new ShaderError(`preprocessWgsl: ${file}:${i + 1}: unknown directive '${line.trim()}'; only #include exists`);
      } else if (/^\s*enable\s+[\w, ]+;\s*$/.test(line) || /^\s*diagnostic\s*\([\w., ]+\)\s*;\s*$/.test(line)) {
        enables.add(line.trim());
      } else {
        body.push(line);
      }
    }
  };
  visit(entry, 'the kernel');
  return [...enables, ...body].join('\n');
}
