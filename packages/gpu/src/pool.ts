/**
 * Reuses released buffers of the same size and usage (readback staging, scratch activations).
 * `acquire` creates a buffer only when none is free; `release` hands it back for the next caller.
 */
export class BufferPool {
  private readonly free = new Map<string, GPUBuffer[]>();
  private readonly create: (size: number, usage: number, label: string) => Promise<GPUBuffer>;

  constructor(create: (size: number, usage: number, label: string) => Promise<GPUBuffer>) {
    this.create = create;
  }

  async acquire(size: number, usage: number, label: string): Promise<GPUBuffer> {
    const list = this.free.get(`${size}:${usage}`);
    const b = list?.pop();
    if (b !== undefined) return b;
    return this.create(size, usage, label);
  }

  release(b: GPUBuffer): void {
    const key = `${b.size}:${b.usage}`;
    let list = this.free.get(key);
    if (list === undefined) this.free.set(key, (list = []));
    list.push(b);
  }

  /** Buffers waiting for reuse. */
  get size(): number {
    let n = 0;
    for (const l of this.free.values()) n += l.length;
    return n;
  }

  /** Destroys every free buffer. */
  clear(): void {
    for (const l of this.free.values()) for (const b of l) b.destroy();
    this.free.clear();
  }
}
