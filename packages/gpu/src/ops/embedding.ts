import { checkInt, checkTensor } from '../check.js';
import type { Recorder } from '../recorder.js';
import type { GpuTensor } from '../tensor.js';
import { weightVariant, type GpuWeight } from '../weights.js';

export interface EmbeddingArgs {
  /** [T, cols] f32. */
  out: GpuTensor;
  /** u32 token ids; ids[idsOffset + t] for t < T, each < table.rows (ids out of range leave their row untouched). */
  ids: GpuTensor;
  table: GpuWeight;
  T: number;
  idsOffset?: number;
}

/** out[t, :] = table[ids[t], :] (embed_tokens), dequantized to f32; one dispatch per table chunk. */
export function embedding(rec: Recorder, a: EmbeddingArgs): void {
  const { out, ids, table, T } = a;
  const idsOffset = a.idsOffset ?? 0;
  checkInt('embedding', 'T', T);
  checkInt('embedding', 'idsOffset', idsOffset, 0);
  checkTensor('embedding', 'ids', ids, idsOffset + T, `ids [T=${T}] from ${idsOffset}`, 'u32');
  checkTensor('embedding', 'out', out, T * table.cols, `out [T=${T}, cols=${table.cols}] of ${table.label}`);
  const wv = weightVariant(table.dtype);
  const p = rec.ctx.pipeline({
    file: 'embedding.wgsl',
    includes: { WEIGHT: wv.include },
    constants: { WG: 64 },
    bindings: wv.scales ? ['read', 'rw', 'read', 'read'] : ['read', 'rw', 'read'],
  });
  for (const c of table.chunks) {
    const bufs = c.d === undefined ? [ids, out, c.w] : [ids, out, c.w, c.d];
    rec.dispatch(p, bufs, 'uuuuuu', [T, table.cols, table.k8s, c.row0, c.rows, idsOffset], [Math.ceil(table.k8s / 64), T]);
  }
}
