// The ops of one decode step allocate nothing: after a warm-up, thousands of calls leave the heap where it was
// and trigger no garbage collection (an op that built even one small string per call would fail this).
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { expect, test } from 'vitest';
import { add, attention, embedding, f32ToBf16, matmul, quantizeQ8_0, rmsnorm, rope, ropeInit, siluMul, softmax } from '../src/index.js';

test('a decode step (T = 1) allocates nothing', async () => {
  const [hidden, nHeads, nKv, D, S, inter, vocab] = [24, 3, 1, 8, 5, 40, 11];
  const wf = new Float32Array(inter * hidden).map((_, i) => Math.sin(i));
  const weights = [
    { dtype: 'f32' as const, rows: nHeads * D, cols: hidden, data: wf.subarray(0, nHeads * D * hidden) },
    { dtype: 'bf16' as const, rows: inter, cols: hidden, data: f32ToBf16(wf) },
    quantizeQ8_0(inter, hidden, wf),
  ];
  const table = quantizeQ8_0(vocab, hidden, new Float32Array(vocab * hidden).fill(0.5));
  const x = new Float32Array(hidden);
  const norm = new Float32Array(hidden).fill(1);
  const q = new Float32Array(inter);
  const up = new Float32Array(inter);
  const kv = new Float32Array(S * nKv * D).fill(0.1);
  const attn = new Float32Array(nHeads * D);
  const scratch = new Float32Array(S);
  const ids = new Int32Array([3]);
  const positions = new Int32Array([S - 1]);
  const { invFreq, attentionScaling } = ropeInit({ rope_type: 'default', rope_theta: 1e6 }, D, 4096);
  const o = { T: 1, S, nHeads, nKvHeads: nKv, headDim: D, scale: D ** -0.5 };
  const step = () => {
    embedding(x, table, ids);
    rmsnorm(x, x, norm, 1, hidden, 1e-6);
    for (const w of weights) matmul(q, x, 1, w);
    rmsnorm(q, q, norm, nHeads, D, 1e-6);
    rope(q, positions, 1, nHeads, D, invFreq, attentionScaling);
    attention(attn, q, kv, kv, o, scratch);
    siluMul(up, q, up, inter);
    softmax(up, 1, inter);
    add(x, x, x, hidden);
  };
  for (let i = 0; i < 2000; i++) step(); // warm-up: JIT and lazy tables

  let gcs = 0;
  const observer = new PerformanceObserver((list) => (gcs += list.getEntries().length));
  observer.observe({ entryTypes: ['gc'] });
  let grown = Infinity;
  // Short windows, many tries: under a loaded CI machine the test runner's own allocations can trigger a
  // collection in any long window; an op that allocated would trigger one (or grow the heap) in every window.
  for (let attempt = 0; attempt < 20 && grown > 0; attempt++) {
    gcs = 0;
    const before = getHeapStatistics().used_heap_size;
    for (let i = 0; i < 4000; i++) step();
    const after = getHeapStatistics().used_heap_size;
    await new Promise((r) => setTimeout(r, 20)); // let gc entries arrive
    if (gcs === 0) grown = after - before; // a collection in between makes the difference meaningless: retry
  }
  observer.disconnect();
  expect(grown).toBeLessThan(16 * 1024); // 4000 steps × 9 ops: below half a byte per call, and no allocation is under 16 bytes
});
