import { acquireDevice, type GpuContext } from '../src/index.js';

/**
 * The GPU for these tests (lavapipe on CPU machines). With CI set, no adapter is a failure; without
 * it, the suites are skipped with a loud message, since a developer machine may have no Vulkan driver.
 */
export async function testContext(opts: Parameters<typeof acquireDevice>[0] = {}): Promise<GpuContext | undefined> {
  try {
    return await acquireDevice(opts);
  } catch (e) {
    if (process.env.CI) throw e;
    console.error(`\n!!! @qo/gpu tests SKIPPED: no WebGPU adapter (${String(e)})\n!!! With CI set this is a failure.\n`);
    return undefined;
  }
}

/** A deterministic pseudo-random stream (mulberry32) of uniform numbers in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n values uniform in [-scale, scale). */
export function randn(r: () => number, n: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (r() * 2 - 1) * scale;
  return out;
}

/** ‖a − b‖ / ‖b‖ in double. */
export function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`relL2: lengths ${a.length} and ${b.length} differ`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / (den || 1));
}
