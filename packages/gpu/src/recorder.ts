import { PARAMS_BYTES, type GpuContext, type Pipeline } from './context.js';
import { GpuShapeError, GpuValidationError } from './errors.js';
import { GpuTensor } from './tensor.js';
import { BufferUsage } from './usage.js';

/** Params slots per uniform page (one GPU buffer); pages are made on first need and reused for every later step. */
const SLOTS_PER_PAGE = 256;

/** A buffer bound by an op: a tensor or a raw buffer (weight chunks). */
export type Bindable = GpuTensor | GPUBuffer;

/**
 * A dispatch whose pipeline, buffers, params and workgroups never change (a decode step's
 * matmuls), made once by `Recorder.fix` and recorded any number of times by `dispatchFixed`:
 * its params are copied as words and its bind group is kept on it, so recording it again costs
 * one copy of the words and three calls into WebGPU.
 */
export interface FixedDispatch {
  readonly p: Pipeline;
  readonly buffers: readonly (GPUBuffer | undefined)[];
  /** The params as they lie in a slot (u32 and f32 bit patterns). */
  readonly words: Uint32Array;
  readonly workgroups: readonly [number, number, number];
  /** The bind group over the uniform page it was last recorded into. */
  bindGroup?: GPUBindGroup;
  page?: GPUBuffer;
}

export interface BeginOptions {
  /** Record into this encoder (default: a new one, submitted by `submit()`). */
  encoder?: GPUCommandEncoder;
  /** Record into this open compute pass (of `encoder`); `end()` leaves it open. */
  pass?: GPUComputePassEncoder;
  label?: string;
}

/**
 * Records ops into one compute pass: no submit, readback or allocation per op. Each op's params go
 * to its own 256-byte slot of uniform pages bound with a dynamic offset, so bind groups depend on
 * buffers only and are cached; the pages are uploaded once, at `end()`. Record the same sequence
 * again (the next decode step) and nothing new is created on the GPU.
 */
export class Recorder {
  readonly ctx: GpuContext;
  private readonly pages: { buffer: GPUBuffer; data: ArrayBuffer; u32: Uint32Array; f32: Float32Array }[] = [];
  private slot = 0;
  private enc: GPUCommandEncoder | undefined;
  private cpass: GPUComputePassEncoder | undefined;
  private ownsPass = false;
  private ownsEncoder = false;
  private lastPipeline: GPUComputePipeline | undefined;
  private readonly offsets = new Uint32Array(1);
  /** The GPU buffers of the dispatch being recorded (reused: no array per dispatch). */
  private readonly bufs: (GPUBuffer | undefined)[] = [];
  /** Dispatches recorded since `begin()`. */
  dispatches = 0;

  constructor(ctx: GpuContext) {
    this.ctx = ctx;
  }

  /** Makes the uniform pages for `slots` dispatches now (a plan does this once, so recording never allocates). */
  reserve(slots: number): void {
    while (this.pages.length * SLOTS_PER_PAGE < slots) this.addPage();
  }

  private addPage(): void {
    const buffer = this.ctx.device.createBuffer({
      size: SLOTS_PER_PAGE * PARAMS_BYTES,
      usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST,
      label: `params page ${this.pages.length}`,
    });
    this.ctx.stats.buffers++;
    this.ctx.stats.bytes += buffer.size;
    const data = new ArrayBuffer(SLOTS_PER_PAGE * PARAMS_BYTES);
    this.pages.push({ buffer, data, u32: new Uint32Array(data), f32: new Float32Array(data) });
  }

  begin(opts: BeginOptions = {}): this {
    if (this.cpass !== undefined) throw new GpuValidationError('Recorder.begin: the previous recording was not ended; call end() or submit() first');
    this.ctx.check();
    this.enc = opts.encoder ?? this.ctx.device.createCommandEncoder({ label: opts.label ?? 'qo' });
    this.ownsEncoder = opts.encoder === undefined;
    this.cpass = opts.pass ?? this.enc.beginComputePass({ label: opts.label ?? 'qo' });
    this.ownsPass = opts.pass === undefined;
    this.slot = 0;
    this.dispatches = 0;
    this.lastPipeline = undefined;
    return this;
  }

  /** Forget the last pipeline set (call after setting one on the pass yourself between ops). */
  resetState(): void {
    this.lastPipeline = undefined;
  }

  /** The open compute pass. */
  get pass(): GPUComputePassEncoder {
    if (this.cpass === undefined) throw new GpuValidationError('Recorder: nothing is being recorded; call begin() first');
    return this.cpass;
  }

  /** The encoder being recorded into. */
  get encoder(): GPUCommandEncoder {
    if (this.enc === undefined) throw new GpuValidationError('Recorder: nothing is being recorded; call begin() first');
    return this.enc;
  }

  /**
   * Records one dispatch of `p`: params (`types`: one letter per 4-byte field, u = u32, f = f32)
   * into the next slot, bindings 1…n = `buffers`, `workgroups` = [x, y, z].
   */
  dispatch(p: Pipeline, buffers: readonly (Bindable | undefined)[], types: string, params: readonly number[], workgroups: readonly number[]): void {
    const pass = this.pass;
    const maxDim = this.ctx.maxWorkgroupsPerDimension;
    for (const n of workgroups) {
      if (!Number.isInteger(n) || n < 0 || n > maxDim) {
        throw new GpuShapeError(`${p.label}: ${n} workgroups in one dimension is outside [0, ${maxDim}]; the sizes are too large for one dispatch`);
      }
    }
    const page = (this.slot / SLOTS_PER_PAGE) | 0;
    if (page === this.pages.length) this.addPage();
    const { buffer, u32, f32 } = this.pages[page];
    const offset = (this.slot % SLOTS_PER_PAGE) * PARAMS_BYTES;
    const base = offset / 4;
    for (let i = 0; i < types.length; i++) {
      if (types[i] === 'f') f32[base + i] = params[i];
      else u32[base + i] = params[i];
    }
    this.slot++;
    const bufs = this.bufs;
    bufs.length = buffers.length;
    for (let i = 0; i < buffers.length; i++) {
      const b = buffers[i];
      bufs[i] = b instanceof GpuTensor ? b.buffer : b;
    }
    if (p.pipeline !== this.lastPipeline) {
      pass.setPipeline(p.pipeline);
      this.lastPipeline = p.pipeline;
    }
    this.offsets[0] = offset;
    pass.setBindGroup(0, this.ctx.bindGroup(p, buffer, bufs), this.offsets, 0, 1);
    pass.dispatchWorkgroups(workgroups[0], workgroups[1] ?? 1, workgroups[2] ?? 1);
    this.dispatches++;
    this.ctx.stats.dispatches++;
  }

  /** A FixedDispatch of what `dispatch(p, buffers, types, params, workgroups)` would record (checked the same way). */
  fix(p: Pipeline, buffers: readonly (Bindable | undefined)[], types: string, params: readonly number[], workgroups: readonly number[]): FixedDispatch {
    const maxDim = this.ctx.maxWorkgroupsPerDimension;
    for (const n of workgroups) {
      if (!Number.isInteger(n) || n < 0 || n > maxDim) {
        throw new GpuShapeError(`${p.label}: ${n} workgroups in one dimension is outside [0, ${maxDim}]; the sizes are too large for one dispatch`);
      }
    }
    const words = new Uint32Array(types.length);
    const f32 = new Float32Array(words.buffer);
    for (let i = 0; i < types.length; i++) {
      if (types[i] === 'f') f32[i] = params[i];
      else words[i] = params[i];
    }
    return {
      p,
      buffers: buffers.map((b) => (b instanceof GpuTensor ? b.buffer : b)),
      words,
      workgroups: [workgroups[0], workgroups[1] ?? 1, workgroups[2] ?? 1],
    };
  }

  /** Records `d` (see FixedDispatch): the same commands as `dispatch` with its arguments, without redoing their work. */
  dispatchFixed(d: FixedDispatch): void {
    const pass = this.pass;
    const page = (this.slot / SLOTS_PER_PAGE) | 0;
    if (page === this.pages.length) this.addPage();
    const pg = this.pages[page];
    const offset = (this.slot % SLOTS_PER_PAGE) * PARAMS_BYTES;
    pg.u32.set(d.words, offset / 4);
    this.slot++;
    if (d.page !== pg.buffer || d.bindGroup === undefined) {
      d.bindGroup = this.ctx.bindGroup(d.p, pg.buffer, d.buffers);
      d.page = pg.buffer;
    }
    if (d.p.pipeline !== this.lastPipeline) {
      pass.setPipeline(d.p.pipeline);
      this.lastPipeline = d.p.pipeline;
    }
    this.offsets[0] = offset;
    pass.setBindGroup(0, d.bindGroup, this.offsets, 0, 1);
    pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
    this.dispatches++;
    this.ctx.stats.dispatches++;
  }

  /** Ends the pass (if `begin` opened it) and queues the params upload; returns the encoder for more commands. */
  end(): GPUCommandEncoder {
    const enc = this.encoder;
    if (this.ownsPass) this.pass.end();
    this.cpass = undefined;
    const used = Math.ceil(this.slot / SLOTS_PER_PAGE);
    for (let i = 0; i < used; i++) {
      const n = i < used - 1 ? SLOTS_PER_PAGE : this.slot - i * SLOTS_PER_PAGE;
      this.ctx.device.queue.writeBuffer(this.pages[i].buffer, 0, this.pages[i].data, 0, n * PARAMS_BYTES);
    }
    return enc;
  }

  /** `end()`, then submits the encoder (only one that `begin` created). */
  submit(): void {
    if (!this.ownsEncoder) throw new GpuValidationError('Recorder.submit: the encoder was passed to begin(); call end(), then finish and submit it yourself');
    const enc = this.end();
    this.enc = undefined;
    this.ctx.device.queue.submit([enc.finish()]);
  }
}
