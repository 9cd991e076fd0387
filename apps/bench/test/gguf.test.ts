// The GGUF writer: the bytes read back by a reader written from the format description here, and the
// files loaded by llama.cpp itself (node-llama-cpp's prebuilt CPU binary), whose logits must match qo's
// for the same random weights: that pins tensor names, the ne[] order, Q8_0 blocks and the tokenizer section.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Qwen3TextConfig } from '@qo/loader';
import { SYNTH_PRESETS, Qwen3ForCausalLM, synthWeights } from '@qo/qwen3';
import { createCpuBackend, q8_0ToGgmlBlocks, type Weight } from '@qo/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { GGML_TYPE, GGUF, writeGguf, int32s, str, strings, u32 } from '../src/gguf.js';
import { llamaLogits, openLlama } from '../src/llama.js';
import { writeQwen3Gguf } from '../src/qwen3-gguf.js';
import { QWEN3_TOKENIZER, byteChars, byteVocab, vocabFromTokenizerJson } from '../src/vocab.js';

const dir = mkdtempSync(join(tmpdir(), 'qo-gguf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Reads a GGUF header: version, key-values (arrays as JS arrays), tensor infos and where data starts. */
function readGguf(path: string) {
  const b = readFileSync(path);
  let p = 0;
  const u32r = () => ((p += 4), b.readUInt32LE(p - 4));
  const u64r = () => ((p += 8), Number(b.readBigUInt64LE(p - 8)));
  const strr = () => {
    const n = u64r();
    p += n;
    return b.toString('utf8', p - n, p);
  };
  const value = (t: number): unknown => {
    switch (t) {
      case GGUF.UINT32:
        return u32r();
      case GGUF.INT32:
        return ((p += 4), b.readInt32LE(p - 4));
      case GGUF.FLOAT32:
        return ((p += 4), b.readFloatLE(p - 4));
      case GGUF.BOOL:
        return b[p++] !== 0;
      case GGUF.STRING:
        return strr();
      case GGUF.ARRAY: {
        const et = u32r();
        const n = u64r();
        return Array.from({ length: n }, () => value(et));
      }
      default:
        throw new Error(`value type ${t}`);
    }
  };
  expect(b.toString('ascii', 0, 4)).toBe('GGUF');
  p = 4;
  const version = u32r();
  const nt = u64r();
  const nkv = u64r();
  const kv = new Map<string, unknown>();
  for (let i = 0; i < nkv; i++) {
    const k = strr();
    kv.set(k, value(u32r()));
  }
  const tensors = [];
  for (let i = 0; i < nt; i++) {
    const name = strr();
    const nd = u32r();
    const ne = Array.from({ length: nd }, () => u64r());
    tensors.push({ name, ne, type: u32r(), offset: u64r() });
  }
  const data = Math.ceil(p / 32) * 32;
  return { version, kv, tensors, data, bytes: b };
}

const TINY: Qwen3TextConfig = {
  ...SYNTH_PRESETS['qwen3-0.6b'],
  vocab_size: 320,
  hidden_size: 64,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  head_dim: 32,
  intermediate_size: 96,
  tie_word_embeddings: false,
};

describe('writeGguf', () => {
  it('writes the header, key-values, tensor infos (ne reversed) and 32-aligned data', () => {
    const path = join(dir, 'small.gguf');
    const q: Weight = { dtype: 'q8_0', rows: 2, cols: 32, qs: Int8Array.from({ length: 64 }, (_, i) => i - 32), d: new Uint16Array([0x3c00, 0x4000]) };
    const f = new Float32Array([1.5, -2, 3]);
    writeGguf(
      path,
      [
        ['general.architecture', str('qwen3')],
        ['a.n', u32(7)],
        ['a.list', strings(['x', 'yz'])],
        ['a.ints', int32s([-1, 5])],
      ],
      [
        { name: 'v', shape: [3], type: GGML_TYPE.F32, data: () => new Uint8Array(f.buffer) },
        { name: 'q', shape: [2, 32], type: GGML_TYPE.Q8_0, data: () => q8_0ToGgmlBlocks(q) },
      ],
    );
    const g = readGguf(path);
    expect(g.version).toBe(3);
    expect([...g.kv]).toEqual([
      ['general.architecture', 'qwen3'],
      ['a.n', 7],
      ['a.list', ['x', 'yz']],
      ['a.ints', [-1, 5]],
    ]);
    expect(g.tensors).toEqual([
      { name: 'v', ne: [3], type: 0, offset: 0 },
      { name: 'q', ne: [32, 2], type: 8, offset: 32 },
    ]);
    expect(g.data % 32).toBe(0);
    expect(Array.from(new Float32Array(g.bytes.buffer.slice(g.bytes.byteOffset + g.data, g.bytes.byteOffset + g.data + 12)))).toEqual([1.5, -2, 3]);
    const block1 = g.bytes.subarray(g.data + 32 + 34, g.data + 32 + 68);
    expect(block1.readUInt16LE(0)).toBe(0x4000);
    expect(Array.from(new Int8Array(block1.buffer, block1.byteOffset + 2, 32))).toEqual(Array.from(q.qs.subarray(32)));
    expect(() => writeGguf(join(dir, 'bad.gguf'), [], [{ name: 'x', shape: [2], type: GGML_TYPE.F32, data: () => new Uint8Array(4) }])).toThrow(/produced 4 bytes, its shape and type need 8/);
  });

  it('writes the byte-level vocabulary and the Qwen3 tokenizer as llama.cpp reads them', () => {
    const bytes = byteChars();
    expect(bytes[33]).toBe('!');
    expect(bytes[32]).toBe('Ġ'); // the GPT-2 table: space → U+0120
    expect(bytes[10]).toBe('Ċ');
    const v = vocabFromTokenizerJson(QWEN3_TOKENIZER, 151936);
    expect(v.tokens.length).toBe(151936);
    expect(v.tokens[151643]).toBe('<|endoftext|>');
    expect(v.eos).toBe(151643);
    expect(v.types[151643]).toBe(3);
    expect(v.tokens[151935]).toBe('[PAD151935]');
    expect(v.types[151935]).toBe(5);
    expect(v.merges[0]).toBe('Ġ Ġ');
    expect(new Set(v.tokens).size).toBe(151936);
  });
});

describe('llama.cpp loads what qo writes and computes the same logits', () => {
  const ids = [5, 77, 300, 12, 199, 250, 3];
  const relL2 = (a: Float32Array, b: Float32Array) => {
    let n = 0;
    let d = 0;
    for (let i = 0; i < b.length; i++) [n, d] = [n + (a[i] - b[i]) ** 2, d + b[i] ** 2];
    return Math.sqrt(n / d);
  };

  it.each([
    ['F16', 'bf16'],
    ['Q8_0', 'q8_0'],
  ] as const)('%s from %s weights, untied head', async (format, dtype) => {
    const path = join(dir, `tiny-${format}.gguf`);
    const backend = await createCpuBackend({ threads: 1 });
    const weights = await synthWeights(TINY, { dtype, seed: 5, backend });
    writeQwen3Gguf(path, TINY, weights, byteVocab(TINY.vocab_size), format, 'tiny');
    const qo = Qwen3ForCausalLM.fromWeights(TINY, weights, dtype, backend);
    const ours = qo.forward(ids, qo.createCache(16)).slice();
    qo.dispose();
    const s = await openLlama(path, 32, 1);
    try {
      const theirs = await llamaLogits(s, ids);
      expect(theirs.length).toBe(TINY.vocab_size);
      // llama.cpp rounds activations to f16 (F16) or int8 per block (Q8_0) inside its matmuls
      expect(relL2(theirs, ours)).toBeLessThan(format === 'F16' ? 2e-3 : 3e-2);
    } finally {
      await s.dispose();
    }
  });

  it('the real Qwen3 tokenizer section (151936 tokens, tied head)', async () => {
    const cfg: Qwen3TextConfig = { ...TINY, vocab_size: 151936, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1, head_dim: 16, tie_word_embeddings: true };
    const path = join(dir, 'vocab.gguf');
    const backend = await createCpuBackend({ threads: 1 });
    const weights = await synthWeights(cfg, { dtype: 'q8_0', seed: 1, backend });
    writeQwen3Gguf(path, cfg, weights, vocabFromTokenizerJson(QWEN3_TOKENIZER, cfg.vocab_size), 'Q8_0', 'vocab');
    const qo = Qwen3ForCausalLM.fromWeights(cfg, weights, 'q8_0', backend);
    const ours = qo.forward(ids, qo.createCache(16)).slice();
    qo.dispose();
    const s = await openLlama(path, 32, 1);
    try {
      expect(s.model.tokens.eos).toBe(151643);
      expect(relL2(await llamaLogits(s, ids), ours)).toBeLessThan(3e-2);
    } finally {
      await s.dispose();
    }
  });
});
