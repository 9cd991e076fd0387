import { GpuContext, SUBGROUP_MATRIX, hasInt8MmaConfig, type ContextOptions } from './context.js';
import { alive } from './alive.js';
import { NoAdapterError } from './errors.js';

export interface AcquireOptions extends ContextOptions {
  /** A GPU object to use (navigator.gpu, or `create()` of the `webgpu` package); found automatically when absent. */
  gpu?: GPU;
  powerPreference?: GPUPowerPreference;
  /** Dawn options for the `webgpu` package's create() in Node (e.g. 'backend=vulkan'). */
  dawnOptions?: string[];
}

const HINT =
  'In Node this needs the `webgpu` package and a Vulkan driver (Linux without a GPU: ' +
  '`apt-get install mesa-vulkan-drivers` from bookworm-backports for lavapipe); in a browser, one with WebGPU enabled';

/** The browser's navigator.gpu, or the `webgpu` package's GPU in Node (imported only here, so browsers never load it). */
async function findGpu(dawnOptions: string[]): Promise<GPU> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu !== undefined) return nav.gpu;
  const spec = 'webgpu';
  let mod: { create: (options: string[]) => GPU };
  try {
    mod = (await import(/* @vite-ignore */ spec)) as typeof mod;
  } catch (e) {
    throw new NoAdapterError(`acquireDevice: no navigator.gpu, and the 'webgpu' package could not be loaded (${String(e)}). ${HINT}`);
  }
  return mod.create(dawnOptions);
}

const instances = new WeakMap<GpuContext, GPU>();

const WANTED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
] as const;

/**
 * Finds a WebGPU adapter and opens a device with the adapter's own limits for what the kernels use
 * (binding and buffer sizes, workgroup storage and size, storage buffers per stage) and the
 * features `subgroups`, `timestamp-query` and (int8 tensor cores) `chromium-experimental-subgroup-matrix`
 * when present; Dawn lists the last only with its `allow_unsafe_apis` toggle (GPU_DAWN_OPTIONS of @qo/qwen3). Throws NoAdapterError when there is none.
 */
export async function acquireDevice(opts: AcquireOptions = {}): Promise<GpuContext> {
  const gpu = opts.gpu ?? (await findGpu(opts.dawnOptions ?? []));
  let adapter: GPUAdapter | null;
  try {
    adapter = await alive(gpu.requestAdapter({ powerPreference: opts.powerPreference }));
  } catch (e) {
    throw new NoAdapterError(`acquireDevice: requestAdapter failed (${String(e)}). ${HINT}`);
  }
  if (adapter === null) throw new NoAdapterError(`acquireDevice: no WebGPU adapter was found. ${HINT}`);
  const requiredFeatures: GPUFeatureName[] = [];
  if (opts.subgroups !== false && adapter.features.has('subgroups')) requiredFeatures.push('subgroups');
  if (adapter.features.has('timestamp-query')) requiredFeatures.push('timestamp-query');
  // tensor cores for the prefill matmul (never together with shader-f16: on NVIDIA's Vulkan driver, Dawn's
  // f16 toggle made subgroup-matrix kernels crash or hang the process, bench/gpu/results/h200-probe-subgroup-matrix-2026-12-06.txt)
  if (opts.mma !== false && opts.subgroups !== false && adapter.features.has(SUBGROUP_MATRIX as GPUFeatureName) && hasInt8MmaConfig(adapter.info)) {
    requiredFeatures.push(SUBGROUP_MATRIX as GPUFeatureName);
  }
  const requiredLimits: Record<string, number> = {};
  for (const k of WANTED_LIMITS) requiredLimits[k] = adapter.limits[k];
  const device = await alive(adapter.requestDevice({ requiredFeatures, requiredLimits, label: 'qo' }));
  const ctx = new GpuContext(device, adapter.info, new Set(adapter.features as unknown as Iterable<string>), opts);
  // dawn.node tears its instance down when the GPU object is collected, even with devices alive: hold it
  instances.set(ctx, gpu);
  return ctx;
}
