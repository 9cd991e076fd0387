// Expert weights of one sparse layer, stacked on the GPU at load (the GPU half of the sanitize step).
//
//   gate_up_proj  [E, 2·I, H]  expert e: its I gate_proj rows, then its I up_proj rows
//                              (transformers 5's fused Qwen3MoeExperts.gate_up_proj, same order)
//   down_proj     [E, H, I]    expert e: its down_proj rows
//
// Every row is packed as @qo/gpu packs a weight row (its README, "Packed weights"): bf16 two per u32
// (even column low) and f32, padded to whole groups of 8 columns; q8_0 as int8 values four per u32,
// padded to whole blocks of 32, plus one f32 scale per block in a second buffer. Experts are split
// across buffers by whole experts only, as many as fit one binding (ctx.splitBytes): chunk
// { e0, n } holds experts e0 .. e0 + n − 1, expert e's rows starting at byte
// (e − e0) · rows · rowBytes.w of `w` (and (e − e0) · rows · rowBytes.d of `d`). The kernels take
// an expert id from the routing on the GPU and find its rows by that arithmetic; one dispatch per
// chunk (one on GPUs whose binding limit holds a layer's experts; 30B-A3B q8_0 gate_up: 0.43 GB).
import { BindingLimitError, packWeightRows, packedK8s, packedRowBytes, type GpuContext, type GpuWeightDType } from '@qo/gpu';
import type { Weight } from '@qo/tensor';
import { WeightShapeError } from '../errors.js';

/** Experts [e0, e0 + n) in buffers that each fit one binding. */
export interface GpuExpertChunk {
  e0: number;
  n: number;
  /** Packed values of those experts' rows. */
  w: GPUBuffer;
  /** q8_0 only: f32 scales, one per block of 32. */
  d?: GPUBuffer;
}

/** One projection of all experts of a layer, stacked: [experts, rows, cols]. */
export interface GpuExperts {
  readonly dtype: GpuWeightDType;
  readonly experts: number;
  /** Rows per expert: 2·I for gate_up (gate_proj rows, then up_proj rows), H for down. */
  readonly rows: number;
  readonly cols: number;
  /** Groups of 8 columns per packed row. */
  readonly k8s: number;
  readonly chunks: readonly GpuExpertChunk[];
  readonly label: string;
  /** Bytes on the GPU. */
  readonly bytes: number;
}

/** Bytes one expert takes in a chunk's `w` and `d` buffers. */
export function expertBytes(dtype: GpuWeightDType, rows: number, cols: number): { w: number; d: number } {
  const r = packedRowBytes(dtype, cols);
  return { w: rows * r.w, d: rows * r.d };
}

/** Whole experts per chunk so that each buffer fits `splitBytes`; throws when one expert does not. */
export function expertsPerChunk(dtype: GpuWeightDType, rows: number, cols: number, splitBytes: number, label: string): number {
  const b = expertBytes(dtype, rows, cols);
  const n = Math.floor(splitBytes / Math.max(b.w, b.d));
  if (n < 1) {
    throw new BindingLimitError(
      `${label}: one expert ([${rows}, ${cols}] ${dtype}, ${b.w} bytes) is larger than one binding may hold (${splitBytes}); ` +
        'experts are split across bindings only whole, so raise splitBytes (the device limit is the default)',
    );
  }
  return n;
}

/** One expert packed: the rows of `parts` one after another (gate_proj then up_proj for gate_up). */
export function packExpert(parts: readonly Weight[]): { w: Uint8Array; d?: Float32Array } {
  const packed = parts.map((p) => packWeightRows(p, 0, p.rows));
  const w = new Uint8Array(packed.reduce((s, p) => s + p.w.byteLength, 0));
  let at = 0;
  for (const p of packed) {
    w.set(p.w, at);
    at += p.w.byteLength;
  }
  if (packed[0].d === undefined) return { w };
  const d = new Float32Array(packed.reduce((s, p) => s + (p.d?.length ?? 0), 0));
  at = 0;
  for (const p of packed) {
    d.set(p.d as Float32Array, at);
    at += (p.d as Float32Array).length;
  }
  return { w, d };
}

/**
 * Stacks and uploads one projection of `experts` experts. `expert(e)` returns expert e's parts
 * ([gate_proj, up_proj] or [down_proj]); it is called once per expert, in order, and each expert is
 * written to its chunk before the next is asked for, so a caller can produce experts one at a time.
 */
export async function uploadExperts(
  ctx: GpuContext,
  experts: number,
  expert: (e: number) => readonly Weight[],
  label: string,
): Promise<GpuExperts> {
  let shape: { dtype: GpuWeightDType; rows: number; cols: number } | undefined;
  const chunks: GpuExpertChunk[] = [];
  let bytes = 0;
  let perChunk = 0;
  const usage = 0x0080 | 0x0008 | 0x0004; // STORAGE | COPY_DST | COPY_SRC (read back by tests, copied by benches)
  for (let e = 0; e < experts; e++) {
    const parts = expert(e);
    const rows = parts.reduce((s, p) => s + p.rows, 0);
    const first = parts[0];
    for (const p of parts) {
      if (p.dtype !== first.dtype || p.cols !== first.cols) {
        throw new WeightShapeError(`${label}: expert ${e} mixes ${p.dtype} [${p.rows}, ${p.cols}] with ${first.dtype} [${first.rows}, ${first.cols}]`);
      }
    }
    if (first.dtype !== 'f32' && first.dtype !== 'bf16' && first.dtype !== 'q8_0') {
      throw new WeightShapeError(`${label}: expert ${e} is ${(first as { dtype: string }).dtype}; the GPU kernels read f32, bf16 or q8_0`);
    }
    if (shape === undefined) {
      shape = { dtype: first.dtype, rows, cols: first.cols };
      perChunk = expertsPerChunk(shape.dtype, rows, shape.cols, ctx.splitBytes, label);
    } else if (first.dtype !== shape.dtype || rows !== shape.rows || first.cols !== shape.cols) {
      throw new WeightShapeError(
        `${label}: expert ${e} is ${first.dtype} [${rows}, ${first.cols}] but expert 0 is ${shape.dtype} [${shape.rows}, ${shape.cols}]; all experts of a layer must match`,
      );
    }
    const eb = expertBytes(shape.dtype, rows, shape.cols);
    if (e % perChunk === 0) {
      const n = Math.min(perChunk, experts - e);
      const name = `${label}[${e}:${e + n}]`;
      const chunk: GpuExpertChunk = { e0: e, n, w: await ctx.createBuffer(n * eb.w, usage, name) };
      bytes += chunk.w.size;
      if (eb.d > 0) {
        chunk.d = await ctx.createBuffer(n * eb.d, usage, `${name}.scales`);
        bytes += chunk.d.size;
      }
      chunks.push(chunk);
    }
    const chunk = chunks[chunks.length - 1];
    const packed = packExpert(parts);
    const q = ctx.device.queue;
    q.writeBuffer(chunk.w, (e - chunk.e0) * eb.w, packed.w.buffer, packed.w.byteOffset, packed.w.byteLength);
    if (chunk.d !== undefined && packed.d !== undefined) {
      q.writeBuffer(chunk.d, (e - chunk.e0) * eb.d, packed.d.buffer, packed.d.byteOffset, packed.d.byteLength);
    }
    if (e === chunk.e0 + chunk.n - 1) q.submit([]); // hands the chunk's staged writes to the GPU (host memory stays at one chunk)
  }
  if (shape === undefined) throw new WeightShapeError(`${label}: a sparse layer needs at least one expert`);
  return { ...shape, experts, k8s: packedK8s(shape.dtype, shape.cols), chunks, label, bytes };
}

/** Destroys the buffers (call ctx.clearBindGroups() afterwards if kernels used them). */
export function destroyExperts(x: GpuExperts): void {
  for (const c of x.chunks) {
    c.w.destroy();
    c.d?.destroy();
  }
}
