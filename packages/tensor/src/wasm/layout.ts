/**
 * Word offsets of the parameter blocks the kernels read (the C structs in csrc/linear.c and
 * csrc/attention.c; every field is 4 bytes, pointers are byte offsets into kernel memory).
 */

/** Op codes of qo_run (csrc/run.c). */
export const OP_LINEAR = 1;
export const OP_SWIGLU = 2;
export const OP_ATTENTION = 3;

/** Weight dtype codes of a Seg. */
export const DT = { f32: 0, bf16: 1, q8_0: 2 } as const;
/** Seg.mode */
export const MODE_STORE = 0;
export const MODE_ADD = 1;

/** struct Linear: T, cols, x, dx, f16, nseg, -, -, then three Segs. */
export const LIN = { T: 0, cols: 1, x: 2, dx: 3, f16: 4, nseg: 5, seg: 8, words: 32 } as const;
/** struct Seg (8 words, at LIN.seg + 8·k): dtype, rows, w, d, out, ostride, mode, -. */
export const SEG = { dtype: 0, rows: 1, w: 2, d: 3, out: 4, ostride: 5, mode: 6, words: 8 } as const;

/** struct Attention: T, S, nH, nKv, D, scale (f32), q, k, v, out, scratch, -. */
export const ATT = { T: 0, S: 1, nH: 2, nKv: 3, D: 4, scale: 5, q: 6, k: 7, v: 8, out: 9, scratch: 10, words: 12 } as const;

/**
 * Control block of the thread pool (Int32Array words): the calling thread writes OP/PARAMS/NTH, then
 * bumps SEQ and notifies; each worker runs its share and bumps DONE; the last one notifies DONE.
 */
export const CTL = { SEQ: 0, DONE: 1, OP: 2, PARAMS: 3, NTH: 4, STOP: 5, ERROR: 6, WORKERS: 7, words: 16 } as const;
