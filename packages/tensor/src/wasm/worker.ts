import { CTL } from './layout.js';

/** What a worker thread receives (structured-cloned: the module and the shared memory are shared, not copied). */
export interface WorkerData {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  /** Byte offset of the control block. */
  ctl: number;
  tid: number;
  /** Atomics.load polls before sleeping in Atomics.wait. */
  spin: number;
  words: typeof CTL;
}

/**
 * The body of every worker thread. It runs as source text in a fresh thread (Function.prototype.toString),
 * so it must stay self-contained: no imports, no closures, only its argument and standard globals.
 *
 * Loop: wait until SEQ moves past the last task seen (spinning first, then sleeping), run this thread's
 * share of the op, count itself in DONE; the last one to finish wakes the caller.
 */
export function workerMain(d: WorkerData): void {
  const W = d.words;
  const instance = new WebAssembly.Instance(d.module, { env: { memory: d.memory } });
  const run = instance.exports.qo_run as (op: number, params: number, tid: number, nth: number) => void;
  const ctl = new Int32Array(d.memory.buffer, d.ctl, W.words);
  let seen = 0;
  for (;;) {
    let spins = 0;
    let seq = Atomics.load(ctl, W.SEQ);
    while (seq === seen) {
      if (++spins >= d.spin) {
        Atomics.wait(ctl, W.SEQ, seen);
        spins = 0;
      }
      seq = Atomics.load(ctl, W.SEQ);
    }
    seen = seq;
    if (Atomics.load(ctl, W.STOP) !== 0) return;
    const nth = Atomics.load(ctl, W.NTH);
    if (d.tid < nth) {
      try {
        run(Atomics.load(ctl, W.OP), Atomics.load(ctl, W.PARAMS), d.tid, nth);
      } catch {
        Atomics.store(ctl, W.ERROR, d.tid);
      }
    }
    if (Atomics.add(ctl, W.DONE, 1) + 1 === Atomics.load(ctl, W.WORKERS)) Atomics.notify(ctl, W.DONE);
  }
}
