import { f32ToBf16, type Weight } from '@qo/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BindingLimitError,
  DeviceLostError,
  GpuDTypeError,
  GpuOutOfMemoryError,
  GpuShapeError,
  NoAdapterError,
  Recorder,
  ShaderError,
  TokenReader,
  acquireDevice,
  argmax,
  embedding,
  matmul,
  preprocessWgsl,
  rmsnorm,
  sample,
  uploadWeight,
  type GpuContext,
} from '../src/index.js';
import { randn, rng, testContext } from './helpers.js';

const ctx = await testContext();
afterAll(() => ctx?.destroy());
const run = it.skipIf(ctx === undefined);

describe('acquireDevice', () => {
  it('throws NoAdapterError with what to install when the GPU has no adapter', async () => {
    const gpu = { requestAdapter: async () => null } as unknown as GPU;
    await expect(acquireDevice({ gpu })).rejects.toThrow(NoAdapterError);
    await expect(acquireDevice({ gpu })).rejects.toThrow(/mesa-vulkan-drivers/);
  });

  run("opens a device with the adapter's binding limit and reports its features", () => {
    const c = ctx as GpuContext;
    expect(c.maxBindingBytes).toBe(c.device.limits.maxStorageBufferBindingSize);
    expect(c.maxBindingBytes).toBeGreaterThanOrEqual(128 * 2 ** 20); // WebGPU guarantees at least 128 MiB
    expect(c.splitBytes).toBe(c.maxBindingBytes);
    expect(c.features.subgroups).toBe(c.device.features.has('subgroups'));
  });

  run('refuses a splitBytes outside [256, the binding limit]', async () => {
    await expect(acquireDevice({ splitBytes: 100 })).rejects.toThrow(GpuShapeError);
  });

  run('reports device loss as DeviceLostError', async () => {
    const c = (await testContext()) as GpuContext;
    c.device.destroy();
    await c.device.lost;
    expect(() => c.check()).toThrow(DeviceLostError);
    await expect(c.tensor('f32', [4], 'x')).rejects.toThrow(/acquire a new device/);
  });
});

describe('allocation errors', () => {
  run('a buffer above maxBufferSize is GpuOutOfMemoryError saying what to try', async () => {
    const c = ctx as GpuContext;
    const size = c.device.limits.maxBufferSize + 4;
    await expect(c.createBuffer(size, 0x80, 'huge')).rejects.toThrow(GpuOutOfMemoryError);
    await expect(c.createBuffer(size, 0x80, 'huge')).rejects.toThrow(/q8_0 weights or a shorter context/);
  });

  run('an activation larger than one binding is BindingLimitError (weights are split instead)', async () => {
    const c = ctx as GpuContext;
    await expect(c.tensor('f32', [c.maxBindingBytes / 4 + 1], 'kv cache')).rejects.toThrow(BindingLimitError);
  });

  run('a weight row larger than splitBytes is BindingLimitError', async () => {
    const c = (await testContext({ splitBytes: 256 })) as GpuContext;
    const w: Weight = { dtype: 'f32', rows: 2, cols: 65, data: new Float32Array(130) };
    await expect(uploadWeight(c, w, 'lm_head')).rejects.toThrow(/one row of lm_head/);
    c.destroy();
  });
});

describe('op argument checks', () => {
  run('name the op, the tensor and what it needs', async () => {
    const c = ctx as GpuContext;
    const w = await uploadWeight(c, { dtype: 'f32', rows: 3, cols: 5, data: new Float32Array(15) }, 'q_proj');
    const x = await c.tensor('f32', [2, 5], 'x');
    const out = await c.tensor('f32', [2, 3], 'out');
    const ids = await c.tensor('f32', [2], 'ids');
    const rec = new Recorder(c).begin();
    expect(() => matmul(rec, { out, x, w, T: 3 })).toThrow(/matmul: x \('x', 10 elements\) is too small for x \[T=3, 5\] of q_proj/);
    expect(() => matmul(rec, { out: x, x, w, T: 1 })).toThrow(GpuShapeError);
    expect(() => embedding(rec, { out, ids, table: w, T: 2 })).toThrow(GpuDTypeError);
    expect(() => rmsnorm(rec, { out, x, weight: x, rows: 2, dim: 0, eps: 1e-6 })).toThrow(/dim must be an integer >= 1/);
    expect(() => sample(rec, { out: ids, x, n: 5, temperature: -1, u: 0.5 })).toThrow(/temperature must be a number >= 0 \(0: greedy\)/);
    expect(rec.dispatches).toBe(0);
    rec.submit();
  });
});

describe('preprocessWgsl', () => {
  const sources = {
    'k.wgsl': 'enable f16;\n#include "a.wgsl"\n#include W\nfn main() {}',
    'a.wgsl': '#include "b.wgsl"\nfn a() {}',
    'b.wgsl': 'enable subgroups;\nfn b() {}',
    'w1.wgsl': '#include "b.wgsl"\nfn w() {}',
    'bad.wgsl': '#define X 1',
  };

  it('inlines each file once, maps #include NAME through the variant and hoists enable directives', () => {
    const out = preprocessWgsl('k.wgsl', sources, { W: 'w1.wgsl' });
    const lines = out.split('\n');
    expect(lines.slice(0, 2)).toEqual(['enable f16;', 'enable subgroups;']);
    expect(lines.filter((l) => l === 'fn b() {}')).toHaveLength(1);
    expect(out.indexOf('fn b()')).toBeLessThan(out.indexOf('fn a()'));
    expect(out.indexOf('fn w()')).toBeLessThan(out.indexOf('fn main()'));
  });

  it('refuses unknown files, unmapped names and other directives with ShaderError', () => {
    expect(() => preprocessWgsl('k.wgsl', sources, {})).toThrow(/k.wgsl:3 includes W, but the variant maps it to no file/);
    expect(() => preprocessWgsl('k.wgsl', sources, { W: 'nope.wgsl' })).toThrow(ShaderError);
    expect(() => preprocessWgsl('bad.wgsl', sources)).toThrow(/unknown directive '#define X 1'/);
  });
});

describe('recording', () => {
  run('a second recording of the same step creates no buffer, bind group or pipeline', async () => {
    const c = ctx as GpuContext;
    const [V, H, T] = [50, 24, 3];
    const r = rng(1);
    const embed = await uploadWeight(c, { dtype: 'bf16', rows: V, cols: H, data: f32ToBf16(randn(r, V * H)) }, 'embed_tokens');
    const head = await uploadWeight(c, { dtype: 'bf16', rows: V, cols: H, data: f32ToBf16(randn(r, V * H)) }, 'lm_head');
    const ids = await c.upload(new Uint32Array([3, 1, 4]), [T], 'ids');
    const h = await c.tensor('f32', [T, H], 'h');
    const normed = await c.tensor('f32', [T, H], 'normed');
    const norm = await c.upload(randn(r, H), [H], 'norm');
    const logits = await c.tensor('f32', [V], 'logits');
    const next = await c.tensor('u32', [1], 'next');
    const rec = new Recorder(c);
    const reader = await TokenReader.create(c);
    const step = (): void => {
      rec.begin();
      embedding(rec, { out: h, ids, table: embed, T });
      rmsnorm(rec, { out: normed, x: h, weight: norm, rows: T, dim: H, eps: 1e-6 });
      matmul(rec, { out: logits, x: normed, w: head, T: 1, xOffset: (T - 1) * H });
      argmax(rec, { out: next, x: logits, rows: 1, n: V });
      const enc = rec.end();
      reader.copy(enc, next);
      c.device.queue.submit([enc.finish()]);
    };
    step();
    const first = (await reader.read())[0];
    const before = { ...c.stats };
    step();
    const second = (await reader.read())[0];
    expect(rec.dispatches).toBe(4);
    expect(c.stats.buffers).toBe(before.buffers);
    expect(c.stats.bindGroups).toBe(before.bindGroups);
    expect(c.stats.pipelines).toBe(before.pipelines);
    expect(c.stats.dispatches).toBe(before.dispatches + 4);
    expect(second).toBe(first);
    const logitsCpu = await c.read(logits);
    let best = 0;
    for (let i = 1; i < V; i++) if (logitsCpu[i] > logitsCpu[best]) best = i;
    expect(first).toBe(best);
  });

  run('keeps each op its own params across many uniform pages', async () => {
    const c = ctx as GpuContext;
    const rows = 600; // > 2 pages of 256 slots
    const n = 7;
    const x = randn(rng(9), rows * n);
    const gx = await c.upload(x, [rows, n], 'x');
    const out = await c.tensor('u32', [rows], 'ids');
    const rec = new Recorder(c).begin();
    for (let r = 0; r < rows; r++) argmax(rec, { out, x: gx, rows: 1, n, xOffset: r * n, outOffset: r });
    rec.submit();
    const got = await c.read(out);
    for (let r = 0; r < rows; r++) {
      let best = 0;
      for (let i = 1; i < n; i++) if (x[r * n + i] > x[r * n + best]) best = i;
      expect(got[r]).toBe(best);
    }
  });

  run('the buffer pool hands a released buffer to the next caller of the same size and usage', async () => {
    const c = ctx as GpuContext;
    const a = await c.pool.acquire(64, 0x80 | 0x8, 'scratch');
    c.pool.release(a);
    expect(await c.pool.acquire(64, 0x80 | 0x8, 'scratch')).toBe(a);
    expect(await c.pool.acquire(64, 0x80 | 0x8, 'scratch')).not.toBe(a);
  });
});
