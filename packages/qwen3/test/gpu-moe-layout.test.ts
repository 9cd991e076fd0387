import { acquireDevice, BindingLimitError, type GpuContext } from '@qo/gpu';
import { f16ToF32, f32ToBf16, quantizeQ8_0, type Weight } from '@qo/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { WeightShapeError } from '../src/errors.js';
import { expertBytes, expertsPerChunk, packExpert, uploadExperts } from '../src/gpu-moe/index.js';

// The stacked expert layout of src/gpu-moe/layout.ts, byte by byte: per expert the rows of its
// parts one after another (gate_proj then up_proj), each row as @qo/gpu packs it; experts split
// across buffers only whole.

function values(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 100 + i) * (1 + (i % 5)));
}

function bf16(rows: number, cols: number, seed: number): Extract<Weight, { dtype: 'bf16' }> {
  return { dtype: 'bf16', rows, cols, data: f32ToBf16(values(rows * cols, seed)) };
}

describe('packExpert', () => {
  it('bf16: gate_proj rows then up_proj rows, each padded with zeros to 8 columns, two values per u32 (even column low)', () => {
    const gate = bf16(2, 10, 1);
    const up = bf16(2, 10, 2);
    const { w, d } = packExpert([gate, up]);
    expect(d).toBeUndefined();
    expect(w.byteLength).toBe(4 * 16 * 2); // 4 rows of 16 bf16 values
    const dv = new DataView(w.buffer, w.byteOffset, w.byteLength);
    for (let r = 0; r < 4; r++) {
      const src = r < 2 ? gate.data.subarray(r * 10, r * 10 + 10) : up.data.subarray((r - 2) * 10, (r - 1) * 10);
      for (let c = 0; c < 16; c++) {
        const word = dv.getUint32(r * 32 + Math.floor(c / 2) * 4, true);
        const half = c % 2 === 0 ? word & 0xffff : word >>> 16;
        expect(half).toBe(c < 10 ? src[c] : 0);
      }
    }
  });

  it('q8_0: int8 values four per u32 in rows padded to whole blocks of 32, and f32 scales [rows, blocks]', () => {
    const gate = quantizeQ8_0(1, 40, values(40, 3));
    const up = quantizeQ8_0(1, 40, values(40, 4));
    const { w, d } = packExpert([gate, up]);
    expect(w.byteLength).toBe(2 * 64);
    expect(d).toBeDefined();
    expect([...(d as Float32Array)]).toEqual([...f16ToF32(gate.d), ...f16ToF32(up.d)]);
    const dv = new DataView(w.buffer, w.byteOffset, w.byteLength);
    for (const [r, p] of [gate, up].entries()) {
      for (let c = 0; c < 64; c++) {
        const byte = (dv.getUint32(r * 64 + Math.floor(c / 4) * 4, true) >>> (8 * (c % 4))) & 0xff;
        expect((byte << 24) >> 24).toBe(c < 40 ? p.qs[c] : 0);
      }
    }
  });

  it('sizes experts and chunks by whole experts, and refuses an expert larger than a binding', () => {
    expect(expertBytes('bf16', 6, 10)).toEqual({ w: 6 * 32, d: 0 });
    expect(expertBytes('q8_0', 6, 40)).toEqual({ w: 6 * 64, d: 6 * 8 });
    expect(expertsPerChunk('bf16', 6, 10, 1000, 'x')).toBe(5);
    expect(() => expertsPerChunk('bf16', 6, 10, 100, 'model.layers.0.mlp.experts.down_proj')).toThrow(BindingLimitError);
    expect(() => expertsPerChunk('bf16', 6, 10, 100, 'model.layers.0.mlp.experts.down_proj')).toThrow(/model.layers.0.mlp.experts.down_proj: one expert/);
  });
});

let ctx: GpuContext | undefined;
try {
  ctx = await acquireDevice({ splitBytes: 1024 });
} catch (e) {
  if (process.env.CI) throw e;
  console.error(`\n!!! GPU MoE layout tests SKIPPED: no WebGPU adapter (${String(e)})\n!!! With CI set this is a failure.\n`);
}
afterAll(() => ctx?.destroy());

describe.skipIf(ctx === undefined)('uploadExperts', () => {
  it.each(['bf16', 'q8_0'] as const)('%s: chunk { e0, n } holds experts e0 .. e0 + n − 1, expert e at (e − e0) · expert bytes', async (dtype) => {
    const c = ctx as GpuContext;
    const [E, I, H] = [5, 3, 40];
    const make = (rows: number, seed: number): Weight => (dtype === 'bf16' ? bf16(rows, H, seed) : quantizeQ8_0(rows, H, values(rows * H, seed)));
    const experts = Array.from({ length: E }, (_, e) => [make(I, 2 * e), make(I, 2 * e + 1)]);
    const asked: number[] = [];
    const g = await uploadExperts(c, E, (e) => (asked.push(e), experts[e]), 'gate_up');
    expect(asked).toEqual([0, 1, 2, 3, 4]);
    const eb = expertBytes(dtype, 2 * I, H);
    const per = Math.floor(1024 / eb.w);
    expect(per).toBeGreaterThan(1);
    expect(g.chunks.map((ch) => [ch.e0, ch.n])).toEqual(Array.from({ length: Math.ceil(E / per) }, (_, i) => [i * per, Math.min(per, E - i * per)]));
    expect({ experts: g.experts, rows: g.rows, cols: g.cols, dtype: g.dtype }).toEqual({ experts: E, rows: 2 * I, cols: H, dtype });
    for (const ch of g.chunks) {
      const w = new Uint8Array(await c.readBytes(ch.w, 0, ch.n * eb.w));
      const d = ch.d === undefined ? undefined : new Float32Array(await c.readBytes(ch.d, 0, ch.n * eb.d));
      for (let e = ch.e0; e < ch.e0 + ch.n; e++) {
        const want = packExpert(experts[e]);
        expect(w.subarray((e - ch.e0) * eb.w, (e - ch.e0 + 1) * eb.w)).toEqual(want.w);
        if (dtype === 'q8_0') expect((d as Float32Array).subarray(((e - ch.e0) * eb.d) / 4, ((e - ch.e0 + 1) * eb.d) / 4)).toEqual(want.d);
      }
    }
  });

  it('refuses experts of different shapes', async () => {
    const c = ctx as GpuContext;
    await expect(uploadExperts(c, 2, (e) => [bf16(e === 0 ? 3 : 4, 8, e)], 'model.layers.1.mlp.experts.down_proj')).rejects.toThrow(WeightShapeError);
    await expect(uploadExperts(c, 2, (e) => [bf16(e === 0 ? 3 : 4, 8, e)], 'model.layers.1.mlp.experts.down_proj')).rejects.toThrow(/expert 1 is bf16 \[4, 8\] but expert 0 is bf16 \[3, 8\]/);
  });
});
