import { Recorder, type Bindable, type Pipeline } from '@qo/gpu';

/** One dispatch as the op wrapper handed it to the Recorder. */
interface Captured {
  p: Pipeline;
  buffers: (Bindable | undefined)[];
  types: string;
  params: number[];
  workgroups: number[];
}

/**
 * A Recorder that can replay a segment of ops: the first time a segment is recorded its dispatches
 * (pipeline, bindings, params, workgroups) are kept under a key; later it goes straight to
 * `Recorder.dispatch` with them, skipping the op wrappers' checks and pipeline lookups. Only for
 * segments whose params never change: the decode step's matmuls (weights and activations are
 * fixed per model); RoPE, attention and the sampler, whose params follow the position, are
 * recorded afresh every step.
 */
export class ReplayRecorder extends Recorder {
  private readonly segments = new Map<string, Captured[]>();
  private log: Captured[] | undefined;

  override dispatch(p: Pipeline, buffers: readonly (Bindable | undefined)[], types: string, params: readonly number[], workgroups: readonly number[]): void {
    this.log?.push({ p, buffers: [...buffers], types, params: [...params], workgroups: [...workgroups] });
    super.dispatch(p, buffers, types, params, workgroups);
  }

  /** Records what `record` records, or replays what it recorded the first time under `key`. */
  segment(key: string, record: () => void): void {
    const seg = this.segments.get(key);
    if (seg !== undefined) {
      for (const c of seg) super.dispatch(c.p, c.buffers, c.types, c.params, c.workgroups);
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
