import { afterAll, describe, expect, it } from 'vitest';
import { Recorder, rmsnorm, type Bindable, type FixedDispatch, type Pipeline } from '../src/index.js';
import { randn, rng, testContext } from './helpers.js';

const ctx = await testContext();
afterAll(() => ctx?.destroy());

/** Records every op as a FixedDispatch (made on first use, then reused), as a decode replay does. */
class FixingRecorder extends Recorder {
  readonly made: FixedDispatch[] = [];
  next = 0;
  plain = false;
  override dispatch(p: Pipeline, buffers: readonly (Bindable | undefined)[], types: string, params: readonly number[], workgroups: readonly number[]): void {
    if (this.plain) return super.dispatch(p, buffers, types, params, workgroups);
    if (this.next === this.made.length) this.made.push(this.fix(p, buffers, types, params, workgroups));
    this.dispatchFixed(this.made[this.next++]);
  }
}

describe.skipIf(ctx === undefined)('Recorder.dispatchFixed', () => {
  it('gives what dispatch gives, across uniform pages and when recorded again at other slots', async () => {
    const c = ctx!;
    const rows = 3;
    const dim = 37;
    const r = rng(5);
    const x = randn(r, rows * dim);
    const w = randn(r, dim);
    const [gx, gw] = await Promise.all([c.upload(x, [rows, dim], 'x'), c.upload(w, [dim], 'w')]);
    // 300 ops: more than one page of 256 params slots, each with its own eps (an f32 param)
    const n = 300;
    const outs = await Promise.all(Array.from({ length: n }, (_, i) => c.tensor('f32', [rows, dim], `out ${i}`)));
    const scratch = await c.tensor('f32', [rows, dim], 'scratch');
    const record = (rec: Recorder, lead = 0): void => {
      rec.begin();
      // `lead` ops first (plainly recorded), so the fixed ones land in other slots, some on another page
      if (rec instanceof FixingRecorder) rec.plain = true;
      for (let i = 0; i < lead; i++) rmsnorm(rec, { out: scratch, x: gx, weight: gw, rows, dim, eps: 0.5 });
      if (rec instanceof FixingRecorder) rec.plain = false;
      for (let i = 0; i < n; i++) rmsnorm(rec, { out: outs[i], x: gx, weight: gw, rows, dim, eps: 1e-6 * (i + 1) });
      rec.submit();
    };
    record(new Recorder(c));
    const want = await Promise.all(outs.map((o) => c.read(o)));
    const fixing = new FixingRecorder(c);
    for (const lead of [0, 0, 100]) {
      for (const o of outs) c.write(o, new Float32Array(rows * dim));
      fixing.next = 0;
      record(fixing, lead);
      for (let i = 0; i < n; i++) expect(Array.from(await c.read(outs[i]))).toEqual(Array.from(want[i]));
    }
    expect(fixing.made.length).toBe(n);
    // eps differs per op, so a slot that took another op's params would show
    expect(want[0]).not.toEqual(want[n - 1]);
  });

  it('checks workgroup counts when a dispatch is fixed', () => {
    const c = ctx!;
    const p = c.pipeline({ file: 'add.wgsl', constants: { WG: 256 }, bindings: ['read', 'rw'] });
    expect(() => new Recorder(c).fix(p, [], 'u', [1], [c.maxWorkgroupsPerDimension + 1])).toThrow(/workgroups/);
  });
});
