import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Checkpoint, DTYPE_BYTES, loadConfig, textConfigOf } from '../src/index.js';
import { FIXTURES_DIR } from './helpers.js';

// Opens every committed fixture checkpoint (reference/fixtures/*/model/), reads every tensor and
// parses its config. In CI, finding none is a failure: the fixtures are part of the repository.

async function fixtureModelDirs(): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(FIXTURES_DIR);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const n of names.sort()) {
    const d = join(FIXTURES_DIR, n, 'model');
    if (await stat(d).then((s) => s.isDirectory(), () => false)) out.push(d);
  }
  return out;
}

const dirs = await fixtureModelDirs();

describe('committed fixture checkpoints', () => {
  it('exist (required when CI is set)', () => {
    if (process.env.CI) expect(dirs.length, `no reference/fixtures/*/model/ directories under ${FIXTURES_DIR}`).toBeGreaterThan(0);
    else expect(Array.isArray(dirs)).toBe(true);
  });

  for (const dir of dirs) {
    it(`${dir.slice(FIXTURES_DIR.length + 1)}: config parses and every tensor reads`, async () => {
      const { config, generation } = await loadConfig(dir);
      const text = textConfigOf(config);
      const ckpt = await Checkpoint.open(dir);
      try {
        const names = ckpt.names();
        expect(names.length).toBeGreaterThan(0);
        let bytes = 0;
        for (const name of names) {
          const info = ckpt.info(name);
          const data = await ckpt.read(name);
          expect(data.byteLength).toBe(info.shape.reduce((a, d) => a * d, 1) * DTYPE_BYTES[info.dtype]);
          bytes += data.byteLength;
        }
        expect(bytes).toBeGreaterThan(0);
        // The checkpoint and the config agree on the embedding table.
        const embed = names.find((n) => n.endsWith('embed_tokens.weight'));
        expect(embed, 'an embed_tokens.weight tensor').toBeDefined();
        expect(ckpt.info(embed as string).shape).toEqual([text.vocab_size, text.hidden_size]);
        expect(ckpt.has('lm_head.weight') || names.some((n) => n.endsWith('.lm_head.weight'))).toBe(!text.tie_word_embeddings);
        if (generation !== undefined) expect(typeof generation).toBe('object');
      } finally {
        await ckpt.close();
      }
    });
  }
});
