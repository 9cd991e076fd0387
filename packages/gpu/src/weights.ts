import { QK8_0, f16ToF32, q8_0PaddedCols, type Weight } from '@qo/tensor';
import type { GpuContext } from './context.js';
import type { GpuTensor } from './tensor.js';
import { BindingLimitError, GpuDTypeError, GpuShapeError } from './errors.js';
import { BufferUsage } from './usage.js';

/** Weight dtypes the kernels read. */
export type GpuWeightDType = 'f32' | 'bf16' | 'q8_0';

/** Rows [row0, row0 + rows) of a weight, in buffers that each fit one binding. */
export interface GpuWeightChunk {
  row0: number;
  rows: number;
  /** f32 / bf16 values, or q8_0 int8 values (4 per u32). */
  w: GPUBuffer;
  /** q8_0 only: f32 scales, one per block of 32. */
  d?: GPUBuffer;
}

/** A weight on the GPU ([rows, cols] like nn.Linear.weight), split by rows into chunks that fit one binding. */
export interface GpuWeight {
  readonly dtype: GpuWeightDType;
  readonly rows: number;
  readonly cols: number;
  /** Groups of 8 columns per packed row (rows are padded with zeros to whole groups, or whole q8_0 blocks). */
  readonly k8s: number;
  readonly chunks: readonly GpuWeightChunk[];
  readonly label: string;
  /** Bytes on the GPU. */
  readonly bytes: number;
  /**
   * [rows] f32: each row's largest magnitude, the scale at which the int8 tensor-core matmul splits the
   * row (prepareMmaWeights, once at load; undefined until then and on devices without tensor cores).
   */
  mmaRowMax?: GpuTensor;
}

/** Groups of 8 columns in one packed row: f32/bf16 rows pad to 8 columns, q8_0 rows to whole blocks of 32. */
export function packedK8s(dtype: GpuWeightDType, cols: number): number {
  return dtype === 'q8_0' ? q8_0PaddedCols(cols) / 8 : Math.ceil(cols / 8);
}

/** Bytes of one packed row: values (`w`) and, for q8_0, scales (`d`). */
export function packedRowBytes(dtype: GpuWeightDType, cols: number): { w: number; d: number } {
  const k8s = packedK8s(dtype, cols);
  switch (dtype) {
    case 'f32':
      return { w: k8s * 32, d: 0 };
    case 'bf16':
      return { w: k8s * 16, d: 0 };
    case 'q8_0':
      return { w: k8s * 8, d: (k8s / 4) * 4 };
  }
}

/**
 * Packs rows [row0, row0 + rows) of `w` as the kernels read them (README, "Packed weights"):
 * f32 / bf16 rows padded with zeros to a multiple of 8 columns (bf16 two per u32, even column low);
 * q8_0 as the int8 values of whole blocks (4 per u32, little endian) plus f32 scales [rows, blocks].
 */
export function packWeightRows(w: Weight, row0: number, rows: number): { w: Uint8Array; d?: Float32Array } {
  if (!Number.isInteger(row0) || !Number.isInteger(rows) || row0 < 0 || rows < 1 || row0 + rows > w.rows) {
    throw new GpuShapeError(`packWeightRows: rows [${row0}, ${row0 + rows}) are outside a weight of ${w.rows} rows`);
  }
  const cols = w.cols;
  const stride = packedK8s(w.dtype, cols) * 8;
  switch (w.dtype) {
    case 'f32': {
      const out = new Float32Array(rows * stride);
      for (let r = 0; r < rows; r++) out.set(w.data.subarray((row0 + r) * cols, (row0 + r + 1) * cols), r * stride);
      return { w: new Uint8Array(out.buffer) };
    }
    case 'bf16': {
      const out = new Uint16Array(rows * stride);
      for (let r = 0; r < rows; r++) out.set(w.data.subarray((row0 + r) * cols, (row0 + r + 1) * cols), r * stride);
      return { w: new Uint8Array(out.buffer) };
    }
    case 'q8_0': {
      const qs = w.qs.subarray(row0 * stride, (row0 + rows) * stride);
      const nb = stride / QK8_0;
      return {
        w: new Uint8Array(qs.buffer.slice(qs.byteOffset, qs.byteOffset + qs.byteLength)),
        d: f16ToF32(w.d.subarray(row0 * nb, (row0 + rows) * nb)),
      };
    }
    default:
      throw new GpuDTypeError(`packWeightRows: weight dtype '${(w as { dtype: string }).dtype}' is not supported; use f32, bf16 or q8_0`);
  }
}

/**
 * Uploads a weight once: packs it and splits it by rows into chunks whose buffers each fit one
 * binding (`ctx.splitBytes`, the device's maxStorageBufferBindingSize unless lowered).
 */
export async function uploadWeight(ctx: GpuContext, w: Weight, label = 'weight'): Promise<GpuWeight> {
  if (w.dtype !== 'f32' && w.dtype !== 'bf16' && w.dtype !== 'q8_0') {
    throw new GpuDTypeError(`uploadWeight: ${label} is ${(w as { dtype: string }).dtype}; the GPU kernels read f32, bf16 or q8_0 weights`);
  }
  const rowBytes = packedRowBytes(w.dtype, w.cols);
  const perChunk = Math.floor(ctx.splitBytes / rowBytes.w);
  if (perChunk < 1) {
    throw new BindingLimitError(
      `uploadWeight: one row of ${label} (${w.dtype}, ${w.cols} cols) takes ${rowBytes.w} bytes, more than one binding may hold (${ctx.splitBytes})`,
    );
  }
  const usage = BufferUsage.STORAGE | BufferUsage.COPY_DST;
  const chunks: GpuWeightChunk[] = [];
  let bytes = 0;
  for (let row0 = 0; row0 < w.rows; row0 += perChunk) {
    const rows = Math.min(perChunk, w.rows - row0);
    const packed = packWeightRows(w, row0, rows);
    const name = `${label}[${row0}:${row0 + rows}]`;
    const wb = await ctx.createBuffer(packed.w.byteLength, usage, name, packed.w);
    const chunk: GpuWeightChunk = { row0, rows, w: wb };
    bytes += wb.size;
    if (packed.d !== undefined) {
      chunk.d = await ctx.createBuffer(packed.d.byteLength, usage, `${name}.scales`, packed.d);
      bytes += chunk.d.size;
    }
    chunks.push(chunk);
  }
  return { dtype: w.dtype, rows: w.rows, cols: w.cols, k8s: packedK8s(w.dtype, w.cols), chunks, label, bytes };
}

/** The WEIGHT include and extra binding of a weight dtype's kernels. */
export function weightVariant(dtype: GpuWeightDType): { include: string; scales: boolean } {
  return { include: `weight_${dtype}.wgsl`, scales: dtype === 'q8_0' };
}

/** Destroys a weight's buffers (call ctx.clearBindGroups() afterwards if ops used it). */
export function destroyWeight(w: GpuWeight): void {
  for (const c of w.chunks) {
    c.w.destroy();
    c.d?.destroy();
  }
  w.mmaRowMax?.buffer.destroy();
}
