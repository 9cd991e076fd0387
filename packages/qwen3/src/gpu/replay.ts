import { Recorder, type Bindable, type FixedDispatch, type Pipeline } from '@qo/gpu';

/**
 * A Recorder that can replay a segment of ops: the first time a segment is recorded its dispatches
 * are kept under a key as FixedDispatches (params as words, buffers resolved, bind group cached on
 * each); later the segment is recorded straight from them, skipping the op wrappers' checks,
 * pipeline lookups, params encoding and bind-group lookups. Only for segments whose params never
 * change: the decode step's matmuls (weights and activations are fixed per model); RoPE,
 * attention and the sampler, whose params follow the position, are recorded afresh every step.
 */
export class ReplayRecorder extends Recorder {
  private readonly segments = new Map<string, FixedDispatch[]>();
  private log: FixedDispatch[] | undefined;

  override dispatch(p: Pipeline, buffers: readonly (Bindable | undefined)[], types: string, params: readonly number[], workgroups: readonly number[]): void {
    if (this.log === undefined) {
      super.dispatch(p, buffers, types, params, workgroups);
      return;
    }
    const d = this.fix(p, buffers, types, params, workgroups);
    this.log.push(d);
    this.dispatchFixed(d);
  }

  /** Records what `record` records, or replays what it recorded the first time under `key`. */
  segment(key: string, record: () => void): void {
    const seg = this.segments.get(key);
    if (seg !== undefined) {
      for (const d of seg) this.dispatchFixed(d);
      return;
    }
    this.log = [];
    try {
      record();
      this.segments.set(key, this.log);
    } finally {
      this.log = undefined;
    }
  }

  /** Forgets the segments (their buffers were destroyed). */
  forget(): void {
    this.segments.clear();
  }
}
