import { PARAMS_BYTES, ShaderError, preprocessWgsl, type GpuContext, type KernelVariant, type Pipeline } from '@qo/gpu';
import { allKernelSources } from './kernels.js';

/** GPUShaderStage.COMPUTE (a spec constant; Node has no GPUShaderStage global unless the webgpu globals are installed). */
const COMPUTE = 0x4;

const caches = new WeakMap<GpuContext, Map<string, Pipeline>>();

/**
 * `p`, with Node's event loop kept alive until it settles: dawn.node settles its promises from the
 * loop but holds no handle on it (the same guard as @qo/gpu's, which does not export it).
 */
async function alive<T>(p: Promise<T>): Promise<T> {
  const timer = setInterval(() => {}, 1000);
  try {
    return await p;
  } finally {
    clearInterval(timer);
  }
}

/**
 * A MoE kernel variant compiled for `ctx`, cached per context (same key and bind group layout as
 * `ctx.pipeline`, so `Recorder.dispatch` and the context's bind group cache take it as theirs).
 * `GpuContext.pipeline` only knows @qo/gpu's own files, so the MoE kernels are built here, and
 * awaited: a shader that fails to build throws ShaderError (with WGSL line numbers) now, not later.
 */
export async function moePipeline(ctx: GpuContext, v: KernelVariant): Promise<Pipeline> {
  const key = `${v.file}|${JSON.stringify(v.includes ?? {})}|${JSON.stringify(v.constants ?? {})}|${v.bindings.map((b) => b ?? '-').join(',')}`;
  let cache = caches.get(ctx);
  if (cache === undefined) {
    cache = new Map();
    caches.set(ctx, cache);
  }
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const label = v.file.replace(/\.wgsl$/, '');
  const code = preprocessWgsl(v.file, allKernelSources, v.includes);
  const entries: GPUBindGroupLayoutEntry[] = [
    { binding: 0, visibility: COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true, minBindingSize: PARAMS_BYTES } },
    ...v.bindings.flatMap((kind, i) =>
      kind === undefined ? [] : [{ binding: i + 1, visibility: COMPUTE, buffer: { type: kind === 'read' ? ('read-only-storage' as const) : ('storage' as const) } }],
    ),
  ];
  const device = ctx.device;
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ code, label });
  const layout = device.createBindGroupLayout({ entries, label });
  const pipeline = device.createComputePipeline({
    label,
    layout: device.createPipelineLayout({ bindGroupLayouts: [layout], label }),
    compute: { module, entryPoint: 'main', constants: { ...v.constants } },
  });
  const err = await alive(device.popErrorScope());
  if (err !== null) {
    const info = await alive(module.getCompilationInfo());
    const msgs = info.messages.map((m) => `${m.type} at line ${m.lineNum}:${m.linePos}: ${m.message}`).join('\n');
    throw new ShaderError(`kernel ${v.file} (variant ${key}) failed to build: ${err.message}\n${msgs}`);
  }
  const p: Pipeline = { key, label, pipeline, layout };
  cache.set(key, p);
  ctx.stats.pipelines++;
  return p;
}
