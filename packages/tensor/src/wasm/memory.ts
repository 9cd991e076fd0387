import { KernelMemoryError } from '../errors.js';

const PAGE = 65536;
const MAX_PAGES = 65536; // wasm32: 4 GiB
const ALIGN = 64; // cache line
const MIN_GROW = 16 << 20;

type View = Float32Array | Uint16Array | Int16Array | Int8Array | Uint8Array | Int32Array;

function gib(bytes: number): string {
  return (bytes / 2 ** 30).toFixed(2);
}

/**
 * The shared WebAssembly memory the kernels run on, and a first-fit allocator over it. Every buffer a
 * kernel reads or writes (weights, activations, the KV cache) is a typed-array view into this memory;
 * worker threads see the same bytes. Views stay valid when the memory grows (it is shared, so its
 * buffers are never detached). Blocks are 64-byte aligned and zero-filled when handed out.
 */
export class KernelMemory {
  readonly memory: WebAssembly.Memory;
  /** Buffer objects known to be views of this memory (V8 hands out new ones whenever any shared memory grows). */
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  /** One word of this memory, flipped to recognise buffers over it (see owns). */
  private readonly mark: Int32Array;
  private readonly blocks = new WeakMap<View, { off: number; bytes: number }>();
  /** Free blocks [offset, bytes], sorted by offset, never adjacent (they are merged). */
  private readonly free: [number, number][] = [];
  private top: number;

  constructor(heapBase: number, initialBytes = 0) {
    const start = Math.ceil(heapBase / ALIGN) * ALIGN;
    const pages = Math.max(1, Math.ceil((start + initialBytes) / PAGE));
    this.memory = new WebAssembly.Memory({ initial: pages, maximum: MAX_PAGES, shared: true });
    this.buffers.add(this.memory.buffer);
    this.top = start;
    this.mark = this.i32(1);
  }

  /** Bytes of memory the allocator has handed out or holds free (not counting the reserve above the top). */
  get usedBytes(): number {
    return this.top - this.free.reduce((s, [, b]) => s + b, 0);
  }

  /** Offset of a block of `bytes` (zero-filled). Grows the memory when no free block fits. */
  alloc(bytes: number): number {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    for (let i = 0; i < this.free.length; i++) {
      const [off, b] = this.free[i];
      if (b < size) continue;
      if (b === size) this.free.splice(i, 1);
      else this.free[i] = [off + size, b - size];
      new Uint8Array(this.memory.buffer, off, size).fill(0);
      return off;
    }
    const off = this.top;
    const end = off + size;
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      const want = Math.min(MAX_PAGES * PAGE, Math.max(end, Math.min(have + MIN_GROW, MAX_PAGES * PAGE)));
      if (end > MAX_PAGES * PAGE) {
        throw new KernelMemoryError(
          `kernel memory: ${gib(size)} GiB more does not fit (${gib(this.usedBytes)} GiB in use of the 4 GiB a wasm32 memory holds); ` +
            "use a smaller model or dtype 'q8_0', a shorter context (a smaller KV cache), or the plain TypeScript backend ({ backend: 'js' })",
        );
      }
      this.memory.grow(Math.ceil((want - have) / PAGE));
      this.buffers.add(this.memory.buffer);
    }
    this.top = end;
    return off;
  }

  /** Returns a block to the allocator. */
  release(off: number, bytes: number): void {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    let i = 0;
    while (i < this.free.length && this.free[i][0] < off) i++;
    this.free.splice(i, 0, [off, size]);
    // merge with the next, then the previous neighbour
    if (i + 1 < this.free.length && off + size === this.free[i + 1][0]) {
      this.free[i][1] += this.free[i + 1][1];
      this.free.splice(i + 1, 1);
    }
    if (i > 0 && this.free[i - 1][0] + this.free[i - 1][1] === off) {
      this.free[i - 1][1] += this.free[i][1];
      this.free.splice(i, 1);
    }
  }

  f32(n: number): Float32Array {
    return this.view(Float32Array, n);
  }
  u16(n: number): Uint16Array {
    return this.view(Uint16Array, n);
  }
  i16(n: number): Int16Array {
    return this.view(Int16Array, n);
  }
  i8(n: number): Int8Array {
    return this.view(Int8Array, n);
  }
  u8(n: number): Uint8Array {
    return this.view(Uint8Array, n);
  }
  i32(n: number): Int32Array {
    return this.view(Int32Array, n);
  }

  /** Frees the block behind a view this memory handed out (a no-op for any other array). */
  releaseView(v: View): void {
    const b = this.blocks.get(v);
    if (b === undefined) return;
    this.blocks.delete(v);
    this.release(b.off, b.bytes);
  }

  /**
   * True when `v` lies in this memory. A buffer object seen for the first time is tested by flipping a
   * word of this memory and reading it back through that buffer (it allocates a one-word view, once per
   * buffer object); the answer is cached, so steady-state calls allocate nothing.
   */
  owns(v: ArrayBufferView): boolean {
    const buf = v.buffer;
    if (this.buffers.has(buf)) return true;
    if (!(buf instanceof SharedArrayBuffer) || buf.byteLength < this.mark.byteOffset + 4) return false;
    const probe = new Int32Array(buf, this.mark.byteOffset, 1);
    const mark = this.mark[0];
    this.mark[0] = ~mark;
    const same = probe[0] === ~mark;
    this.mark[0] = mark;
    if (same) this.buffers.add(buf);
    return same;
  }

  private view<T extends View>(ctor: { new (b: ArrayBufferLike, off: number, n: number): T; BYTES_PER_ELEMENT: number }, n: number): T {
    const bytes = n * ctor.BYTES_PER_ELEMENT;
    const off = this.alloc(bytes);
    const v = new ctor(this.memory.buffer, off, n);
    this.blocks.set(v, { off, bytes });
    return v;
  }
}
