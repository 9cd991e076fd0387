import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GenerationConfigError, generationDefaults } from '../src/index.js';

describe('generationDefaults', () => {
  it("reads Qwen3's generation_config.json and merges config.json's eos_token_id", () => {
    const d = generationDefaults(
      { bos_token_id: 151643, do_sample: true, eos_token_id: [151645, 151643], pad_token_id: 151643, temperature: 0.6, top_k: 20, top_p: 0.95, transformers_version: '4.51.0' },
      { eos_token_id: 151645, vocab_size: 151936 },
    );
    expect(d).toEqual({ doSample: true, temperature: 0.6, topK: 20, topP: 0.95, eosTokenIds: [151645, 151643] });
  });

  it('reads min_p, repetition_penalty, max_new_tokens, max_length; skips nulls; works without generation_config', () => {
    expect(generationDefaults({ min_p: 0.05, repetition_penalty: 1.1, max_new_tokens: 256, max_length: 4096, top_k: null })).toEqual({
      minP: 0.05,
      repetitionPenalty: 1.1,
      maxNewTokens: 256,
      maxLength: 4096,
    });
    expect(generationDefaults(undefined, { eos_token_id: 2 })).toEqual({ eosTokenIds: [2] });
    expect(generationDefaults()).toEqual({});
  });

  it('names the file and key of a value of the wrong type or range', () => {
    const bad: [unknown, unknown, string, string][] = [
      [{ temperature: '0.7' }, undefined, 'generation_config.json', 'temperature'],
      [{ do_sample: 1 }, undefined, 'generation_config.json', 'do_sample'],
      [{ top_p: 1.5 }, undefined, 'generation_config.json', 'top_p'],
      [{ top_k: -1 }, undefined, 'generation_config.json', 'top_k'],
      [{ max_new_tokens: 0 }, undefined, 'generation_config.json', 'max_new_tokens'],
      [{ eos_token_id: [1, 'x'] }, undefined, 'generation_config.json', 'eos_token_id'],
      [{}, { eos_token_id: -5 }, 'config.json', 'eos_token_id'],
    ];
    for (const [gen, cfg, file, key] of bad) {
      try {
        generationDefaults(gen, cfg);
        expect.unreachable(`${key} should be refused`);
      } catch (e) {
        expect(e).toBeInstanceOf(GenerationConfigError);
        expect([(e as GenerationConfigError).file, (e as GenerationConfigError).key]).toEqual([file, key]);
        expect((e as Error).message).toContain(key);
      }
    }
  });

  it("parses every committed fixture's generation_config.json and config.json", () => {
    const root = fileURLToPath(new URL('../../../reference/fixtures/', import.meta.url));
    const dirs = readdirSync(root).filter((d) => existsSync(`${root}${d}/model/generation_config.json`));
    expect(dirs.length).toBeGreaterThan(0);
    for (const d of dirs) {
      const gen = JSON.parse(readFileSync(`${root}${d}/model/generation_config.json`, 'utf8')) as { eos_token_id?: number | number[] };
      const cfg = JSON.parse(readFileSync(`${root}${d}/model/config.json`, 'utf8')) as unknown;
      const defaults = generationDefaults(gen, cfg);
      expect(defaults.eosTokenIds, d).toEqual(expect.arrayContaining([gen.eos_token_id].flat()));
    }
  });
});
