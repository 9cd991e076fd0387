import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { HubOfflineError, ModelSpecError } from '@qo/loader';
import { DEFAULT_MAX_CONTEXT, loadChat, Qwen3Chat, Qwen3InputError, Qwen3Session, type LoadChatProgress } from '../src/index.js';

const ROOT = join(import.meta.dirname, '..');
const FORTUNE = join(ROOT, '../../reference/fixtures/qo-fortune');
const MODEL = join(FORTUNE, 'model');

let chat: Qwen3Chat;
const progress: LoadChatProgress[] = [];
beforeAll(async () => {
  chat = await loadChat(MODEL, { onProgress: (p) => progress.push(p) });
});

describe('examples/chat.ts', () => {
  it('is the README quick start, verbatim', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const example = await readFile(join(ROOT, 'examples/chat.ts'), 'utf8');
    const section = readme.slice(readme.indexOf('## Quick start'));
    const block = /```ts\n([\s\S]*?)```/.exec(section);
    expect(block?.[1]).toBe(example);
    expect(example.trim().split('\n').length).toBeLessThanOrEqual(5);
  });

  it('streams a reply from the embedded model', async () => {
    let out = '';
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    const argv = process.argv;
    process.argv = [argv[0], 'examples/chat.ts', MODEL];
    try {
      await import('../examples/chat.js');
    } finally {
      process.argv = argv;
      write.mockRestore();
    }
    expect(out.trim().length).toBeGreaterThan(0);
    expect(out).not.toMatch(/<\|im_end\|>|<\|im_start\|>|<\/?think>/);
  });
});

describe('loadChat', () => {
  it('reproduces transformers\' greedy chat reply (qo-fortune e2e-chat fixture)', async () => {
    const ref = JSON.parse(await readFile(join(FORTUNE, 'reference.json'), 'utf8'));
    const stream = chat.stream(ref.messages, { enableThinking: ref.enable_thinking, doSample: false, maxNewTokens: ref.greedy.new_ids.length });
    const parts: string[] = [];
    for await (const part of stream) {
      expect(part.type).toBe('content');
      parts.push(part.text);
    }
    const r = await stream.result();
    expect(r.promptIds).toEqual(ref.prompt_ids);
    expect(r.ids).toEqual(ref.greedy.new_ids);
    expect(r.text).toBe(ref.greedy.text);
    expect(parts.join('')).toBe(ref.greedy.text);
    expect(r.stopReason).toBe('length');
  });

  it('applies generation_config.json and config.json defaults; options win', async () => {
    const gen = JSON.parse(await readFile(join(MODEL, 'generation_config.json'), 'utf8'));
    expect(chat.defaults).toMatchObject({
      doSample: gen.do_sample,
      temperature: gen.temperature,
      topK: gen.top_k,
      topP: gen.top_p,
      repetitionPenalty: gen.repetition_penalty,
      eosTokenIds: gen.eos_token_id,
    });
    const r = await chat.complete('Once upon a time', { maxNewTokens: 3, seed: 7 }).result();
    expect(r.sampling).toMatchObject({ doSample: true, temperature: 0.8, topK: 40, topP: 0.95, repetitionPenalty: 1.1 });
    const greedy = await chat.complete('Once upon a time', { maxNewTokens: 3, temperature: 0 }).result();
    expect(greedy.sampling.temperature).toBe(0);
  });

  it('same seed, same tokens; another seed, other tokens', async () => {
    const run = async (seed: number) => (await chat.complete('Once upon a time', { maxNewTokens: 24, seed }).result()).ids;
    const a = await run(1);
    expect(await run(1)).toEqual(a);
    expect(await run(2)).not.toEqual(a);
  });

  it('reports load progress up to every byte of the checkpoint', () => {
    expect(progress.length).toBeGreaterThan(10);
    expect(progress.every((p) => p.phase === 'load')).toBe(true);
    const last = progress.at(-1)!;
    expect(last.loadedBytes).toBe(last.totalBytes);
    expect(last.totalBytes).toBeGreaterThan(7_000_000);
  });

  it('sizes the KV cache from maxContext, within max_position_embeddings', async () => {
    expect(chat.session.maxContext).toBe(Math.min(1024, DEFAULT_MAX_CONTEXT));
    expect(chat.session.cache.maxSeqLen).toBe(1024);
    expect(() => new Qwen3Session(chat.model, 2048)).toThrow(Qwen3InputError);
    expect(() => new Qwen3Session(chat.model, 2048)).toThrow('maxContext must be an integer in [2, 1024]');
    const small = await loadChat(MODEL, { maxContext: 16, dtype: 'q8_0' });
    expect(small.session.maxContext).toBe(16);
    const r = await small.complete('Once upon a time', { doSample: false }).result();
    expect(r.promptIds.length + r.ids.length).toBeLessThanOrEqual(16);
  });
});

describe('loadChat: model specs through @qo/loader\'s resolveModel', () => {
  const tmp: string[] = [];
  afterAll(async () => {
    for (const d of tmp) await rm(d, { recursive: true, force: true });
  });

  it('a Hub id found in the Hugging Face cache (offline): same model, same greedy reply', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'qo-hf-cache-'));
    tmp.push(cacheDir);
    const commit = 'a'.repeat(40);
    const repo = join(cacheDir, 'models--qo--fortune');
    await mkdir(join(repo, 'refs'), { recursive: true });
    await writeFile(join(repo, 'refs/main'), commit);
    await cp(MODEL, join(repo, 'snapshots', commit), { recursive: true });
    const hub = await loadChat('qo/fortune', { hub: { offline: true, cacheDir } });
    expect(hub.dir).toBe(join(repo, 'snapshots', commit));
    const r = await hub.complete('Once upon a time', { doSample: false, maxNewTokens: 12 }).result();
    const local = await chat.complete('Once upon a time', { doSample: false, maxNewTokens: 12 }).result();
    expect(r.ids).toEqual(local.ids);
  });

  it('refuses what is neither a directory nor a cached Hub id, by name', async () => {
    await expect(loadChat('/no/such/model')).rejects.toBeInstanceOf(ModelSpecError);
    await expect(loadChat('/no/such/model')).rejects.toThrow(/^\/no\/such\/model: no such directory\./);
    const cacheDir = await mkdtemp(join(tmpdir(), 'qo-hf-cache-'));
    tmp.push(cacheDir);
    await expect(loadChat('Qwen/Qwen3-0.6B', { hub: { offline: true, cacheDir } })).rejects.toBeInstanceOf(HubOfflineError);
  });
});
