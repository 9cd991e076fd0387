// @qo/tensor against op slices recorded from PyTorch / transformers (reference/fixtures/ops, qo-ops-1).
// Bound: relative L2 error <= 1e-5, float32 vs float32. rmsnorm, attention and matmul run on every CPU backend.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { rope, ropeInit, silu, siluMul, softmax, type RopeParameters } from '../src/index.js';
import { BACKENDS, opsOf, useBackend } from './backends.js';
import { readSafetensors, relL2 } from './safetensors.js';

const DIR = fileURLToPath(new URL('../../../reference/fixtures/ops/', import.meta.url));
const BOUND = 1e-5;

interface Case {
  params: Record<string, unknown>;
  tensors: Record<string, string>;
}
const spec = JSON.parse(readFileSync(DIR + 'ops.json', 'utf8')) as { format: string; cases: Record<string, Case> };
const st = readSafetensors(DIR + 'ops.safetensors');

function tensor(c: string, role: string) {
  const name = spec.cases[c].tensors[role];
  const t = st.get(name);
  if (t === undefined) throw new Error(`fixture: ${name} (case ${c}, role ${role}) is missing from ops.safetensors`);
  return t;
}
const f32 = (c: string, role: string) => Float32Array.from(tensor(c, role).f32); // a copy: ops write in place
/** Largest distance in units in the last place between two f32 arrays of positive values. */
function ulpDistance(a: Float32Array, b: Float32Array): number {
  const ia = new Int32Array(a.buffer, a.byteOffset, a.length);
  const ib = new Int32Array(b.buffer, b.byteOffset, b.length);
  let max = 0;
  for (let i = 0; i < ia.length; i++) max = Math.max(max, Math.abs(ia[i] - ib[i]));
  return max;
}
const params = (c: string) => spec.cases[c].params as Record<string, number> & { rope_parameters: RopeParameters };

test('fixture is qo-ops-1 and holds every case this suite checks', () => {
  expect(spec.format).toBe('qo-ops-1');
  const checked = ['rmsnorm', 'qk_norm', 'rope_default', 'rope_yarn', 'rope_default_qwen3', 'rope_yarn_qwen3', 'softmax', 'silu', 'silu_mul', 'attention_gqa', 'attention_mqa', 'matmul_bf16'];
  expect(Object.keys(spec.cases).sort()).toEqual(checked.sort());
});

describe('rope', () => {
  test.each(['rope_default', 'rope_yarn', 'rope_default_qwen3', 'rope_yarn_qwen3'])('%s: inv_freq and attention scaling as transformers computes them', (c) => {
    const p = params(c);
    const { invFreq, attentionScaling } = ropeInit(p.rope_parameters, p.head_dim, p.max_position_embeddings);
    // f32, at most 1 ulp from torch: we round base ** e correctly; torch's vectorized CPU powf may not
    // (seen once, θ = 1e6, D = 128, i = 37), which moves cos/sin by ~3e-6 at position 131071
    const ref = tensor(c, 'inv_freq').f32;
    expect(invFreq.length).toBe(ref.length);
    expect(ulpDistance(invFreq, ref)).toBeLessThanOrEqual(1);
    expect(attentionScaling).toBe(p.attention_scaling);
  });

  test.each(['rope_default', 'rope_yarn', 'rope_default_qwen3', 'rope_yarn_qwen3'])('%s: q and k rotated', (c) => {
    const p = params(c);
    const { invFreq, attentionScaling } = ropeInit(p.rope_parameters, p.head_dim, p.max_position_embeddings);
    const positions = tensor(c, 'positions').i64;
    const T = positions.length;
    for (const [role, outRole] of [['q', 'q_out'], ['k', 'k_out']]) {
      const shape = tensor(c, role).shape; // [T, heads, headDim]
      expect(shape[0]).toBe(T);
      const x = f32(c, role);
      rope(x, positions, T, shape[1], shape[2], invFreq, attentionScaling);
      expect(relL2(x, tensor(c, outRole).f32)).toBeLessThanOrEqual(BOUND);
    }
  });
});

test('softmax (large magnitudes)', () => {
  const [rows, cols] = tensor('softmax', 'x').shape;
  const x = f32('softmax', 'x');
  softmax(x, rows, cols);
  expect(relL2(x, tensor('softmax', 'out').f32)).toBeLessThanOrEqual(BOUND);
});

test('silu', () => {
  const x = f32('silu', 'x');
  const out = new Float32Array(x.length);
  silu(out, x, x.length);
  expect(relL2(out, tensor('silu', 'out').f32)).toBeLessThanOrEqual(BOUND);
});

test('silu_mul', () => {
  const gate = f32('silu_mul', 'gate');
  const out = new Float32Array(gate.length);
  siluMul(out, gate, f32('silu_mul', 'up'), gate.length);
  expect(relL2(out, tensor('silu_mul', 'out').f32)).toBeLessThanOrEqual(BOUND);
});

describe.each(BACKENDS)('%s backend', (_name, opts) => {
  const backend = useBackend(opts);
  const ops = () => opsOf(backend.get());

  describe('rmsnorm', () => {
    test.each(['rmsnorm', 'qk_norm'])('%s', (c) => {
      const x = tensor(c, 'x');
      const dim = x.shape[x.shape.length - 1];
      const rows = x.f32.length / dim;
      const out = new Float32Array(x.f32.length);
      ops().rmsnorm(out, f32(c, 'x'), f32(c, 'weight'), rows, dim, params(c).eps);
      expect(relL2(out, tensor(c, 'out').f32)).toBeLessThanOrEqual(BOUND);
    });
  });


  describe('attention', () => {
    test.each(['attention_gqa', 'attention_mqa'])('%s', (c) => {
      const p = params(c);
      const T = tensor(c, 'q').shape[0];
      const S = tensor(c, 'k').shape[0];
      expect(tensor(c, 'k').shape).toEqual([S, p.n_kv_heads, p.head_dim]);
      const out = new Float32Array(T * p.n_heads * p.head_dim);
      const o = { T, S, nHeads: p.n_heads, nKvHeads: p.n_kv_heads, headDim: p.head_dim, scale: p.scale };
      ops().attention(out, f32(c, 'q'), f32(c, 'k'), f32(c, 'v'), o, new Float32Array(S));
      expect(relL2(out, tensor(c, 'out').f32)).toBeLessThanOrEqual(BOUND);
    });
  });

  test('matmul_bf16: f32 and bf16 weights (the weight values are bf16-exact)', () => {
    const [T, cols] = tensor('matmul_bf16', 'x').shape;
    const [rows] = tensor('matmul_bf16', 'weight').shape;
    const w = f32('matmul_bf16', 'weight');
    const bf16 = new Uint16Array(w.length);
    const bits = new Uint32Array(w.buffer);
    for (let i = 0; i < w.length; i++) {
      expect(bits[i] & 0xffff).toBe(0); // really bf16-representable
      bf16[i] = bits[i] >>> 16;
    }
    const ref = tensor('matmul_bf16', 'out').f32;
    for (const weight of [
      { dtype: 'f32' as const, rows, cols, data: w },
      { dtype: 'bf16' as const, rows, cols, data: bf16 },
    ]) {
      const out = new Float32Array(T * rows);
      ops().matmul(out, f32('matmul_bf16', 'x'), T, weight);
      expect(relL2(out, ref)).toBeLessThanOrEqual(BOUND);
    }
  });
});
