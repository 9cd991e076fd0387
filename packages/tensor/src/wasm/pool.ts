import { BackendStateError, KernelUnavailableError } from '../errors.js';
import { CTL } from './layout.js';
import type { KernelExports } from './module.js';
import type { KernelMemory } from './memory.js';
import { type WorkerData, workerMain } from './worker.js';

/** The part of a Node `Worker` or a browser `Worker` the pool uses. */
interface AnyWorker {
  terminate(): unknown;
}

type Spawn = (data: WorkerData) => AnyWorker;

const isNode = typeof process === 'object' && typeof process.versions?.node === 'string';
/** Browsers forbid Atomics.wait on the main thread; there the caller only spins. */
const canBlock = isNode || typeof (globalThis as { document?: unknown }).document === 'undefined';

/** Starts worker threads from source text: worker_threads with `eval` in Node, a Blob URL in browsers. */
async function spawner(): Promise<Spawn> {
  const body = `(${workerMain.toString()})`;
  if (isNode) {
    const { Worker } = await import('node:worker_threads');
    const src = `${body}(require('node:worker_threads').workerData);`;
    return (data) => {
      const w = new Worker(src, { eval: true, workerData: data });
      w.unref(); // an idle pool never keeps the process alive
      return w;
    };
  }
  if (typeof Worker !== 'function' || typeof Blob !== 'function') {
    throw new KernelUnavailableError('threads need Web Workers here; pass threads: 1');
  }
  const url = URL.createObjectURL(new Blob([`self.onmessage = (e) => ${body}(e.data);`], { type: 'text/javascript' }));
  return (data) => {
    const w = new Worker(url);
    w.postMessage(data);
    return w;
  };
}

/**
 * `threads − 1` worker threads plus the calling thread, all running qo_run on one shared memory. A task
 * is one op: the caller publishes it in the control block, wakes the workers (who spin briefly between
 * tasks, then sleep in Atomics.wait), runs its own share (thread 0), and waits for every worker to count
 * itself done. Workers start on the first task that uses them.
 */
export class ThreadPool {
  private readonly ctl: Int32Array;
  private workers: AnyWorker[] = [];
  private disposed = false;

  private constructor(
    readonly threads: number,
    private readonly module: WebAssembly.Module,
    private readonly memory: KernelMemory,
    private readonly main: KernelExports,
    private readonly spawn: Spawn | null,
    private readonly spin: number,
  ) {
    this.ctl = memory.i32(CTL.words);
  }

  static async create(threads: number, module: WebAssembly.Module, memory: KernelMemory, main: KernelExports, spin = 1 << 16): Promise<ThreadPool> {
    return new ThreadPool(threads, module, memory, main, threads > 1 ? await spawner() : null, spin);
  }

  /** Runs op `op` with parameters at byte offset `params` on `nth` threads (1 … threads); returns when all are done. */
  run(op: number, params: number, nth: number): void {
    if (this.disposed) throw new BackendStateError('this CPU backend was disposed; create a new one (or load the model again)');
    if (nth <= 1 || this.spawn === null) {
      this.main.qo_run(op, params, 0, 1);
      return;
    }
    if (this.workers.length === 0) this.start();
    const ctl = this.ctl;
    const n = this.workers.length;
    ctl[CTL.OP] = op;
    ctl[CTL.PARAMS] = params;
    ctl[CTL.NTH] = Math.min(nth, this.threads);
    Atomics.store(ctl, CTL.DONE, 0);
    Atomics.add(ctl, CTL.SEQ, 1);
    Atomics.notify(ctl, CTL.SEQ);
    this.main.qo_run(op, params, 0, ctl[CTL.NTH]);
    let spins = 0;
    for (let done = Atomics.load(ctl, CTL.DONE); done < n; done = Atomics.load(ctl, CTL.DONE)) {
      if (canBlock && ++spins >= this.spin) {
        Atomics.wait(ctl, CTL.DONE, done, 1000);
        spins = 0;
      }
    }
    const failed = Atomics.exchange(ctl, CTL.ERROR, 0);
    if (failed !== 0) throw new BackendStateError(`kernel op ${op} trapped in worker thread ${failed}; this is a bug in qo's kernels, please report it`);
  }

  private start(): void {
    const spawn = this.spawn as Spawn;
    this.ctl[CTL.WORKERS] = this.threads - 1;
    for (let tid = 1; tid < this.threads; tid++) {
      this.workers.push(
        spawn({ module: this.module, memory: this.memory.memory, ctl: this.ctl.byteOffset, tid, spin: this.spin, words: CTL }),
      );
    }
  }

  /** Stops the workers (idempotent). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.workers.length > 0) {
      Atomics.store(this.ctl, CTL.STOP, 1);
      Atomics.add(this.ctl, CTL.SEQ, 1);
      Atomics.notify(this.ctl, CTL.SEQ);
      for (const w of this.workers) void w.terminate();
      this.workers = [];
    }
  }
}
