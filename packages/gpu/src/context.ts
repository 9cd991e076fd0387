import { BindingLimitError, DeviceLostError, GpuOutOfMemoryError, GpuShapeError, GpuValidationError, ShaderError } from './errors.js';
import { alive } from './alive.js';
import { kernelSources } from './kernels.js';
import { BufferPool } from './pool.js';
import { preprocessWgsl } from './preprocess.js';
import { GpuTensor, type GpuDType } from './tensor.js';
import { BufferUsage, MapMode, STORAGE_USAGE, ShaderStage } from './usage.js';

/** How one binding after the params uniform (binding 0) is used by a kernel. */
export type BindingKind = 'read' | 'rw';

/** A kernel variant: its file, what its `#include NAME` lines map to, its override constants, its bindings 1…n. */
export interface KernelVariant {
  file: string;
  includes?: Readonly<Record<string, string>>;
  constants?: Readonly<Record<string, number>>;
  /** Binding i + 1's use; undefined where the variant declares no such binding. */
  bindings: readonly (BindingKind | undefined)[];
}

/** A compiled kernel variant (cached by the context). */
export interface Pipeline {
  readonly key: string;
  /** Debug label: the op name, also the WGSL file's name. */
  readonly label: string;
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
}

/** What the adapter offers that the kernels care about. */
export interface GpuFeatures {
  /** Subgroup kernels are used (the adapter has `subgroups` and it was not turned off). */
  subgroups: boolean;
  subgroupMinSize: number;
  subgroupMaxSize: number;
  timestampQuery: boolean;
  /**
   * The int8 tensor-core prefill matmul (matmul_mma.wgsl) can run: the device has Dawn's
   * `chromium-experimental-subgroup-matrix` with an i8 × i8 → i32 16 × 16 × 32 configuration, subgroups of
   * exactly 32 invocations, and 32 KiB of workgroup storage.
   */
  mma: boolean;
}

/** Counters of what the context created and dispatched, to check that a plan stops allocating. */
export interface GpuStats {
  buffers: number;
  bytes: number;
  pipelines: number;
  bindGroups: number;
  dispatches: number;
}

export interface ContextOptions {
  /** Largest binding one weight chunk may take; defaults to the device's maxStorageBufferBindingSize. */
  splitBytes?: number;
  /** Use subgroup reductions where the adapter has them (default true). */
  subgroups?: boolean;
  /** Use the int8 tensor-core prefill matmul where the device has it (default true; GpuFeatures.mma). */
  mma?: boolean;
}

/** Dawn's (experimental) feature through which WGSL reaches tensor cores. */
export const SUBGROUP_MATRIX = 'chromium-experimental-subgroup-matrix';

/** Workgroup storage matmul_mma.wgsl declares: its staged planes, then its i32 results. */
const MMA_WORKGROUP_BYTES = 32 * 1024;

interface SubgroupMatrixConfig {
  componentType: string;
  resultComponentType: string;
  M: number;
  N: number;
  K: number;
}

/** The adapter lists the i8 × i8 → i32, M = N = 16, K = 32 configuration matmul_mma.wgsl uses. */
export function hasInt8MmaConfig(info: GPUAdapterInfo): boolean {
  const configs = (info as { subgroupMatrixConfigs?: readonly SubgroupMatrixConfig[] }).subgroupMatrixConfigs ?? [];
  return configs.some((c) => c.componentType === 'i8' && c.resultComponentType === 'i32' && c.M === 16 && c.N === 16 && c.K === 32);
}

/** Reading `tensor` or a buffer back to the CPU allocates a staging buffer from the pool. */
export class GpuContext {
  readonly device: GPUDevice;
  readonly adapterInfo: GPUAdapterInfo;
  readonly features: GpuFeatures;
  /** The device's maxStorageBufferBindingSize: activations and caches must fit one binding. */
  readonly maxBindingBytes: number;
  /** Largest binding of one weight chunk (tests lower it to exercise the split path). */
  readonly splitBytes: number;
  /** The device's maxComputeWorkgroupStorageSize. */
  readonly maxWorkgroupStorageBytes: number;
  /** The device's maxComputeWorkgroupsPerDimension. */
  readonly maxWorkgroupsPerDimension: number;
  readonly stats: GpuStats = { buffers: 0, bytes: 0, pipelines: 0, bindGroups: 0, dispatches: 0 };
  readonly pool: BufferPool;
  private readonly pipelines = new Map<string, Pipeline>();
  /** Bind groups by pipeline, then by the ids of the params page and of each buffer (0: none): no key strings are built per dispatch. */
  private bindGroups = new Map<Pipeline, BindGroupNode>();
  private readonly bufferIds = new WeakMap<GPUBuffer, number>();
  private nextBufferId = 1;
  private readonly pending: Error[] = [];
  private lostInfo: GPUDeviceLostInfo | undefined;
  /** Pipeline builds whose errors are not known yet. */
  private readonly building = new Set<Promise<void>>();

  constructor(device: GPUDevice, adapterInfo: GPUAdapterInfo, adapterFeatures: ReadonlySet<string>, opts: ContextOptions = {}) {
    this.device = device;
    this.adapterInfo = adapterInfo;
    const subgroups = opts.subgroups !== false && device.features.has('subgroups');
    this.features = {
      subgroups,
      subgroupMinSize: subgroups ? (adapterInfo as { subgroupMinSize?: number }).subgroupMinSize ?? 0 : 0,
      subgroupMaxSize: subgroups ? (adapterInfo as { subgroupMaxSize?: number }).subgroupMaxSize ?? 0 : 0,
      timestampQuery: device.features.has('timestamp-query') && adapterFeatures.has('timestamp-query'),
      mma:
        opts.mma !== false &&
        subgroups &&
        device.features.has(SUBGROUP_MATRIX) &&
        hasInt8MmaConfig(adapterInfo) &&
        (adapterInfo as { subgroupMinSize?: number }).subgroupMinSize === 32 &&
        (adapterInfo as { subgroupMaxSize?: number }).subgroupMaxSize === 32 &&
        device.limits.maxComputeWorkgroupStorageSize >= MMA_WORKGROUP_BYTES,
    };
    this.maxBindingBytes = device.limits.maxStorageBufferBindingSize;
    this.maxWorkgroupsPerDimension = device.limits.maxComputeWorkgroupsPerDimension;
    this.maxWorkgroupStorageBytes = device.limits.maxComputeWorkgroupStorageSize;
    const split = opts.splitBytes ?? this.maxBindingBytes;
    if (!Number.isInteger(split) || split < 256 || split > this.maxBindingBytes) {
      throw new GpuShapeError(`GpuContext: splitBytes must be an integer in [256, ${this.maxBindingBytes}] (the device's binding limit), got ${split}`);
    }
    this.splitBytes = split;
    this.pool = new BufferPool((size, usage, label) => this.createBuffer(size, usage, label));
    device.addEventListener('uncapturederror', (e) => {
      const err = (e as GPUUncapturedErrorEvent).error;
      this.pending.push(
        err.constructor.name === 'GPUOutOfMemoryError'
          ? new GpuOutOfMemoryError(`WebGPU ran out of memory: ${err.message}; try q8_0 weights or a shorter context`)
          : new GpuValidationError(`WebGPU reported an error: ${err.message}`),
      );
    });
    void device.lost.then((info) => {
      this.lostInfo = info;
    });
  }

  /** Throws DeviceLostError if the device is gone, else the first error WebGPU reported since the last check. */
  check(): void {
    if (this.lostInfo !== undefined) {
      throw new DeviceLostError(
        `the GPU device was lost (${this.lostInfo.reason}: ${this.lostInfo.message}); acquire a new device and upload the weights again`,
      );
    }
    const err = this.pending.shift();
    if (err !== undefined) {
      this.pending.length = 0;
      throw err;
    }
  }

  /** Creates a buffer inside an out-of-memory error scope. */
  async createBuffer(size: number, usage: number, label: string, init?: ArrayBufferView): Promise<GPUBuffer> {
    this.check();
    const bytes = Math.max(4, Math.ceil(size / 4) * 4);
    if (bytes > this.device.limits.maxBufferSize) {
      throw new GpuOutOfMemoryError(
        `${label}: a buffer of ${bytes} bytes exceeds the device's maxBufferSize (${this.device.limits.maxBufferSize}); try q8_0 weights or a shorter context`,
      );
    }
    this.device.pushErrorScope('out-of-memory');
    let buffer: GPUBuffer;
    try {
      buffer = this.device.createBuffer({ size: bytes, usage, label, mappedAtCreation: init !== undefined });
    } catch (e) {
      await alive(this.device.popErrorScope());
      throw new GpuOutOfMemoryError(`${label}: could not allocate ${bytes} bytes (${String(e)}); try q8_0 weights or a shorter context`);
    }
    const err = await alive(this.device.popErrorScope());
    if (err !== null) {
      buffer.destroy();
      throw new GpuOutOfMemoryError(`${label}: could not allocate ${bytes} bytes (${err.message}); try q8_0 weights or a shorter context`);
    }
    if (init !== undefined) {
      new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(init.buffer, init.byteOffset, init.byteLength));
      buffer.unmap();
    }
    this.stats.buffers++;
    this.stats.bytes += bytes;
    return buffer;
  }

  /** A zero-filled tensor that ops can read and write; it must fit one binding. */
  async tensor(dtype: GpuDType, shape: readonly number[], label: string): Promise<GpuTensor> {
    const size = shape.reduce((a, b) => a * b, 1);
    for (const s of shape) {
      if (!Number.isInteger(s) || s < 1) throw new GpuShapeError(`${label}: shape [${shape.join(', ')}] must hold positive integers`);
    }
    if (size * 4 > this.maxBindingBytes) {
      throw new BindingLimitError(
        `${label}: [${shape.join(', ')}] ${dtype} takes ${size * 4} bytes, more than one binding may hold on this device ` +
          `(maxStorageBufferBindingSize ${this.maxBindingBytes}); use a shorter context or fewer tokens per step`,
      );
    }
    return new GpuTensor(await this.createBuffer(size * 4, STORAGE_USAGE, label), dtype, shape, label);
  }

  /** A tensor holding `data` (f32 from a Float32Array, u32 from a Uint32Array). */
  async upload(data: Float32Array | Uint32Array, shape: readonly number[], label: string): Promise<GpuTensor> {
    const t = await this.tensor(data instanceof Float32Array ? 'f32' : 'u32', shape, label);
    if (data.length !== t.size) {
      throw new GpuShapeError(`${label}: ${data.length} values do not fill shape [${shape.join(', ')}] (${t.size})`);
    }
    this.device.queue.writeBuffer(t.buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    return t;
  }

  /** Writes `data` into `t` from element `offset` (queued before the next submit). */
  write(t: GpuTensor, data: Float32Array | Uint32Array, offset = 0): void {
    if (offset + data.length > t.size) {
      throw new GpuShapeError(`write: ${data.length} values at offset ${offset} overflow '${t.label}' (${t.size} elements)`);
    }
    this.device.queue.writeBuffer(t.buffer, offset * 4, data.buffer, data.byteOffset, data.byteLength);
  }

  /** Copies `count` elements of `t` from element `offset` back to the CPU (waits for the queue). */
  async read(t: GpuTensor, offset = 0, count = t.size - offset): Promise<Float32Array | Uint32Array> {
    if (offset < 0 || count < 1 || offset + count > t.size) {
      throw new GpuShapeError(`read: elements [${offset}, ${offset + count}) are outside '${t.label}' (${t.size} elements)`);
    }
    const bytes = await this.readBytes(t.buffer, offset * 4, count * 4);
    return t.dtype === 'f32' ? new Float32Array(bytes) : new Uint32Array(bytes);
  }

  /** Copies bytes [offset, offset + size) of a buffer back to the CPU. */
  async readBytes(buffer: GPUBuffer, offset: number, size: number): Promise<ArrayBuffer> {
    const staging = await this.pool.acquire(size, BufferUsage.MAP_READ | BufferUsage.COPY_DST, 'readback');
    const enc = this.device.createCommandEncoder({ label: 'readback' });
    enc.copyBufferToBuffer(buffer, offset, staging, 0, size);
    this.device.queue.submit([enc.finish()]);
    try {
      await alive(staging.mapAsync(MapMode.READ));
    } catch (e) {
      await this.settle();
      throw new GpuValidationError(`readback of ${size} bytes failed: ${String(e)}`);
    }
    const out = staging.getMappedRange().slice(0);
    staging.unmap();
    this.pool.release(staging);
    await this.settle();
    return out;
  }

  /** Waits until the queue is idle, then throws the first error WebGPU reported meanwhile. */
  async sync(): Promise<void> {
    await alive(this.device.queue.onSubmittedWorkDone());
    await this.settle();
  }

  /** Waits for the pipelines being built to report, then `check()`s (a shader error comes first). */
  async settle(): Promise<void> {
    await Promise.all(this.building);
    this.check();
  }

  /** The cached pipeline of a kernel variant; compiles it on first use (errors surface at the next check). */
  pipeline(v: KernelVariant): Pipeline {
    const key = `${v.file}|${JSON.stringify(v.includes ?? {})}|${JSON.stringify(v.constants ?? {})}|${v.bindings.map((b) => b ?? '-').join(',')}`;
    const hit = this.pipelines.get(key);
    if (hit !== undefined) return hit;
    const label = v.file.replace(/\.wgsl$/, '');
    const code = preprocessWgsl(v.file, kernelSources, v.includes);
    const entries: GPUBindGroupLayoutEntry[] = [
      { binding: 0, visibility: ShaderStage.COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true, minBindingSize: PARAMS_BYTES } },
      ...v.bindings.flatMap((kind, i) =>
        kind === undefined
          ? []
          : [{ binding: i + 1, visibility: ShaderStage.COMPUTE, buffer: { type: kind === 'read' ? ('read-only-storage' as const) : ('storage' as const) } }],
      ),
    ];
    this.device.pushErrorScope('validation');
    const module = this.device.createShaderModule({ code, label });
    const layout = this.device.createBindGroupLayout({ entries, label });
    const pipeline = this.device.createComputePipeline({
      label,
      layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout], label }),
      compute: { module, entryPoint: 'main', constants: { ...v.constants } },
    });
    const built = alive(this.device.popErrorScope()).then(async (err) => {
      this.building.delete(built);
      if (err === null) return;
      const info = await alive(module.getCompilationInfo());
      const msgs = info.messages.map((m) => `${m.type} at line ${m.lineNum}:${m.linePos}: ${m.message}`).join('\n');
      this.pending.unshift(new ShaderError(`kernel ${v.file} (variant ${key}) failed to build: ${err.message}\n${msgs}`));
    });
    this.building.add(built);
    const p: Pipeline = { key, label, pipeline, layout };
    this.pipelines.set(key, p);
    this.stats.pipelines++;
    return p;
  }

  /** A stable small id for a buffer (bind groups are cached by the ids of what they bind). */
  bufferId(b: GPUBuffer): number {
    let id = this.bufferIds.get(b);
    if (id === undefined) {
      id = this.nextBufferId++;
      this.bufferIds.set(b, id);
    }
    return id;
  }

  /** The cached bind group of `p` over `params` (binding 0, a dynamic-offset uniform page) and `buffers` (1…n; undefined: none). */
  bindGroup(p: Pipeline, params: GPUBuffer, buffers: readonly (GPUBuffer | undefined)[]): GPUBindGroup {
    let node = this.bindGroups.get(p);
    if (node === undefined) this.bindGroups.set(p, (node = new Map()));
    node = step(node, this.bufferId(params));
    for (let i = 0; i < buffers.length; i++) {
      const b = buffers[i];
      node = step(node, b === undefined ? 0 : this.bufferId(b));
    }
    const hit = node.bindGroup;
    if (hit !== undefined) return hit;
    const bg = this.device.createBindGroup({
      label: p.label,
      layout: p.layout,
      entries: [
        { binding: 0, resource: { buffer: params, size: PARAMS_BYTES } },
        ...buffers.flatMap((buffer, i) => (buffer === undefined ? [] : [{ binding: i + 1, resource: { buffer } }])),
      ],
    });
    node.bindGroup = bg;
    this.stats.bindGroups++;
    return bg;
  }

  /** Drops the cached bind groups (call after destroying buffers they bind). */
  clearBindGroups(): void {
    this.bindGroups = new Map();
  }

  /** Releases the device; the context cannot be used afterwards. */
  destroy(): void {
    this.pool.clear();
    this.bindGroups = new Map();
    this.pipelines.clear();
    this.device.destroy();
  }
}

/** A level of the bind-group cache: the next buffer id leads on; the last level holds the bind group. */
type BindGroupNode = Map<number, BindGroupNode> & { bindGroup?: GPUBindGroup };

function step(node: BindGroupNode, id: number): BindGroupNode {
  let next = node.get(id);
  if (next === undefined) node.set(id, (next = new Map()));
  return next;
}

/** Bytes of one op's params slot: minUniformBufferOffsetAlignment, and more than any Params struct needs. */
export const PARAMS_BYTES = 256;
