import { Recorder, type GpuContext } from '@qo/gpu';
import { Qwen3InputError } from '../errors.js';

/** GPU time of one op kind in a profiled step (timestamp queries around each dispatch). */
export interface GpuProfileOp {
  /** Hugging Face name(s) of what the op computes, e.g. 'o_proj+residual' */
  name: string;
  dispatches: number;
  /** summed over the step's dispatches of this op */
  ms: number;
}

export interface GpuProfile {
  /** ops by GPU time, largest first */
  ops: GpuProfileOp[];
  dispatches: number;
  /** sum of the dispatches' own GPU times */
  gpuMs: number;
}

// WebGPU flag values (spec constants): no GPUBufferUsage global needed in Node
const QUERY_RESOLVE = 0x0200;
const COPY_SRC = 0x0004;

/**
 * Stands in for the Recorder's compute pass: every dispatch runs in a pass of its own whose start
 * and end are timestamped, so each op's GPU time can be read. Only for profiling: passes and
 * timestamps add overhead of their own, so the sum is less than a step's wall time.
 */
class TimedPass {
  readonly names: string[] = [];
  mark = '';
  private pass: GPUComputePassEncoder;
  private pipeline: GPUComputePipeline | undefined;

  constructor(
    private readonly enc: GPUCommandEncoder,
    private readonly querySet: GPUQuerySet,
    private readonly capacity: number,
  ) {
    this.pass = this.open();
  }

  private open(): GPUComputePassEncoder {
    const i = this.names.length;
    if (i >= this.capacity) throw new Qwen3InputError(`profile: more than ${this.capacity} dispatches in one step`);
    const pass = this.enc.beginComputePass({
      label: 'qo profile',
      timestampWrites: { querySet: this.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 },
    });
    if (this.pipeline !== undefined) pass.setPipeline(this.pipeline);
    return pass;
  }

  setPipeline(p: GPUComputePipeline): void {
    this.pipeline = p;
    this.pass.setPipeline(p);
  }

  setBindGroup(index: number, group: GPUBindGroup, offsets: Uint32Array, start: number, length: number): void {
    this.pass.setBindGroup(index, group, offsets, start, length);
  }

  dispatchWorkgroups(x: number, y?: number, z?: number): void {
    this.pass.dispatchWorkgroups(x, y, z);
    this.names.push(this.mark);
    this.pass.end();
    this.pass = this.open();
  }

  end(): void {
    this.pass.end();
  }
}

/**
 * Records one step through `record` (which calls `mark(name)` before each op) with every dispatch
 * timestamped, runs it, and sums the GPU time by op name. Needs the adapter's `timestamp-query`
 * (in Dawn, timestamps are quantized unless the toggle `timestamp_quantization` is disabled).
 */
export async function profileStep(ctx: GpuContext, record: (rec: Recorder, mark: (name: string) => void) => void, maxDispatches = 2000): Promise<GpuProfile> {
  return withQueries(ctx, 2 * (maxDispatches + 1), async (querySet, resolve) => {
    const enc = ctx.device.createCommandEncoder({ label: 'qo profile' });
    const pass = new TimedPass(enc, querySet, maxDispatches + 1);
    const rec = new Recorder(ctx);
    rec.begin({ encoder: enc, pass: pass as unknown as GPUComputePassEncoder });
    record(rec, (name) => (pass.mark = name));
    rec.end();
    pass.end();
    const used = pass.names.length;
    enc.resolveQuerySet(querySet, 0, 2 * used, resolve, 0);
    ctx.device.queue.submit([enc.finish()]);
    const t = new BigUint64Array(await ctx.readBytes(resolve, 0, 2 * used * 8));
    const byName = new Map<string, GpuProfileOp>();
    let gpuMs = 0;
    for (let i = 0; i < used; i++) {
      const ms = Number(t[2 * i + 1] - t[2 * i]) / 1e6;
      gpuMs += ms;
      const name = pass.names[i];
      const op = byName.get(name) ?? { name, dispatches: 0, ms: 0 };
      op.dispatches++;
      op.ms += ms;
      byName.set(name, op);
    }
    return { ops: [...byName.values()].sort((a, b) => b.ms - a.ms), dispatches: used, gpuMs };
  });
}

/**
 * Records one step through `record` into a single compute pass, as the fast path does, timestamped at its
 * start and end only: the step's GPU time with the dispatches back to back (no per-dispatch overhead),
 * as one op named 'step'.
 */
export async function timeStep(ctx: GpuContext, record: (rec: Recorder, mark: (name: string) => void) => void): Promise<GpuProfile> {
  return withQueries(ctx, 2, async (querySet, resolve) => {
    const enc = ctx.device.createCommandEncoder({ label: 'qo step timing' });
    const pass = enc.beginComputePass({ label: 'qo step', timestampWrites: { querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } });
    const rec = new Recorder(ctx);
    rec.begin({ encoder: enc, pass });
    record(rec, () => {});
    rec.end();
    pass.end();
    enc.resolveQuerySet(querySet, 0, 2, resolve, 0);
    ctx.device.queue.submit([enc.finish()]);
    const t = new BigUint64Array(await ctx.readBytes(resolve, 0, 16));
    const ms = Number(t[1] - t[0]) / 1e6;
    return { ops: [{ name: 'step', dispatches: rec.dispatches, ms }], dispatches: rec.dispatches, gpuMs: ms };
  });
}

/** A timestamp query set of `n` queries and the buffer they resolve into, for `use`, destroyed after it. */
async function withQueries<R>(ctx: GpuContext, n: number, use: (querySet: GPUQuerySet, resolve: GPUBuffer) => Promise<R>): Promise<R> {
  if (!ctx.features.timestampQuery) {
    throw new Qwen3InputError("profile: the GPU adapter has no 'timestamp-query' feature; profiling needs it");
  }
  // WebGPU allows 4096 queries in one set
  const querySet = ctx.device.createQuerySet({ type: 'timestamp', count: n, label: 'qo profile' });
  const resolve = ctx.device.createBuffer({ size: n * 8, usage: QUERY_RESOLVE | COPY_SRC, label: 'qo profile resolve' });
  try {
    return await use(querySet, resolve);
  } finally {
    querySet.destroy();
    resolve.destroy();
  }
}
