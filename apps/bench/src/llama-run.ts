// Child process of compare.ts: llama.cpp (node-llama-cpp) on one GGUF, its own process so that its peak
// RSS is its own. Prints one JSON line: load_ms, prefill_tps, decode_tps, ttft_ms, peak_rss_bytes, runs.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { llamaRun, openLlama } from './llama.js';

const { values } = parseArgs({
  options: { gguf: { type: 'string' }, threads: { type: 'string' }, prompt: { type: 'string' }, gen: { type: 'string' }, repeat: { type: 'string' } },
});
const P = Number(values.prompt ?? 128);
const G = Number(values.gen ?? 64);
const T = Number(values.threads ?? 1);
const R = Number(values.repeat ?? 3);
if (values.gguf === undefined) throw new Error('llama-run: --gguf FILE is required');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
/** VmHWM (this process image's peak RSS; getrusage's maxrss would include the parent's at fork), as qo bench reports it. */
const peakRss = () => Number(/^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? process.resourceUsage().maxRSS) * 1024;
const s = await openLlama(values.gguf, P + G, T, P);
try {
  const vocab = s.model.fileInfo.metadata.tokenizer.ggml.tokens.length;
  const prompt = Array.from({ length: P }, (_, i) => (i * 7919 + 13) % vocab); // the prompt qo bench uses
  await llamaRun(s, prompt, Math.min(G, 8)); // warm-up at full length, as qo bench does
  const runs = [];
  for (let r = 0; r < R; r++) runs.push(await llamaRun(s, prompt, G));
  process.stdout.write(
    JSON.stringify({
      engine: 'llama.cpp',
      load_ms: s.loadMs,
      prefill_tps: median(runs.map((r) => r.prefill_tps)),
      decode_tps: median(runs.map((r) => r.decode_tps)),
      ttft_ms: median(runs.map((r) => r.ttft_ms)),
      peak_rss_bytes: peakRss(),
      threads: T,
      runs,
    }) + '\n',
  );
} finally {
  await s.dispose();
}
