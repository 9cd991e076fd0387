// Timing for the kernel micro-benchmarks (bench/gpu/micro): an op recorded `iters` times into one
// compute pass, submitted once, after a warm-up; the GPU time per op is read from timestamp
// queries around the pass when the adapter has them, else the wall time to onSubmittedWorkDone.
import { Recorder, type GpuContext } from '@qo/gpu';

// WebGPU flag values (spec constants): plain Node has no GPUBufferUsage / GPUMapMode globals
const QUERY_RESOLVE = 0x0200;
const COPY_SRC = 0x0004;
const COPY_DST = 0x0008;
const MAP_READ = 0x0001;

export interface OpTime {
  /** Milliseconds per op (the median of `reps` passes of `iters` ops each). */
  ms: number;
  /** 'gpu' (timestamp queries) or 'wall'. */
  clock: 'gpu' | 'wall';
}

/** Times `record` (one op into `rec`): median over `reps` passes of `iters` back-to-back ops. */
export async function timeOp(ctx: GpuContext, record: (rec: Recorder) => void, iters = 20, reps = 5): Promise<OpTime> {
  const rec = new Recorder(ctx);
  const ts = ctx.features.timestampQuery;
  const qs = ts ? ctx.device.createQuerySet({ type: 'timestamp', count: 2 }) : undefined;
  const resolve = ts ? ctx.device.createBuffer({ size: 16, usage: QUERY_RESOLVE | COPY_SRC }) : undefined;
  const read = ts ? ctx.device.createBuffer({ size: 16, usage: MAP_READ | COPY_DST }) : undefined;
  const one = async (n: number): Promise<number> => {
    const enc = ctx.device.createCommandEncoder();
    const pass = enc.beginComputePass(qs ? { timestampWrites: { querySet: qs, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } } : {});
    rec.begin({ encoder: enc, pass });
    for (let i = 0; i < n; i++) record(rec);
    rec.end();
    pass.end();
    if (qs && resolve && read) {
      enc.resolveQuerySet(qs, 0, 2, resolve, 0);
      enc.copyBufferToBuffer(resolve, 0, read, 0, 16);
    }
    const t0 = performance.now();
    ctx.device.queue.submit([enc.finish()]);
    await ctx.device.queue.onSubmittedWorkDone();
    const wall = performance.now() - t0;
    ctx.check();
    if (read) {
      await read.mapAsync(MAP_READ);
      const t = new BigUint64Array(read.getMappedRange().slice(0));
      read.unmap();
      return Number(t[1] - t[0]) / 1e6;
    }
    return wall;
  };
  await one(2); // pipelines, bind groups, first touch
  const times: number[] = [];
  for (let r = 0; r < reps; r++) times.push((await one(iters)) / iters);
  times.sort((a, b) => a - b);
  qs?.destroy();
  resolve?.destroy();
  read?.destroy();
  return { ms: times[(times.length - 1) >> 1], clock: ts ? 'gpu' : 'wall' };
}

/** `x` formatted with `d` decimals, right-aligned in `w` columns. */
export function fmt(x: number, d = 3, w = 9): string {
  return x.toFixed(d).padStart(w);
}
