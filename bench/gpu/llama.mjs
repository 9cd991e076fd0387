// llama.cpp's Vulkan backend through node-llama-cpp (its prebuilt @node-llama-cpp/linux-x64-vulkan),
// timed like qo's benchGpu: a prompt of P token ids (the same ids), then G greedy tokens; median of
// RUNS timed runs after one warm-up. One JSON object on stdout.
//   node bench/gpu/llama.mjs MODEL.gguf [P] [G] [RUNS]
import { getLlama, LlamaLogLevel } from 'node-llama-cpp';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const [modelPath, P = '512', G = '128', RUNS = '3'] = process.argv.slice(2);
const [np, ng, runs] = [Number(P), Number(G), Number(RUNS)];
const llama = await getLlama({ gpu: 'vulkan', build: 'never', logLevel: LlamaLogLevel.error });
const t0 = performance.now();
const model = await llama.loadModel({ modelPath, gpuLayers: 'max' });
const loadMs = performance.now() - t0;
const V = model.tokens.vocabSize ?? 151936;
const prompt = Array.from({ length: np }, (_, i) => (i * 7919 + 13) % V);
const context = await model.createContext({ contextSize: np + ng + 16, batchSize: np, sequences: 1 });
const seq = context.getSequence();

async function one() {
  await seq.clearHistory();
  const a = performance.now();
  let n = 0;
  let ttft = 0;
  let b = 0;
  for await (const _token of seq.evaluate(prompt, { temperature: 0 })) {
    if (n === 0) {
      ttft = performance.now() - a;
      b = performance.now();
    }
    if (++n >= ng) break;
  }
  const decodeMs = performance.now() - b;
  return { prefill_tps: (np * 1000) / ttft, decode_tps: ((n - 1) * 1000) / decodeMs, ttft_ms: ttft, generated: n };
}

await one();
const res = [];
for (let r = 0; r < runs; r++) res.push(await one());
const median = (xs) => [...xs].sort((x, y) => x - y)[xs.length >> 1];
// node-llama-cpp's package root (its exports hide package.json)
const root = fileURLToPath(import.meta.resolve('node-llama-cpp')).replace(/\/dist\/.*$/, '');
const version = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')).version;
let release = 'unknown';
try {
  release = JSON.parse(readFileSync(`${root}/llama/llama.cpp.info.json`, 'utf8')).tag;
} catch {}
console.log(
  JSON.stringify({
    engine: 'llama.cpp (node-llama-cpp, Vulkan)',
    model: modelPath,
    llama_cpp: release,
    node_llama_cpp: version,
    gpu: llama.gpu,
    devices: await llama.getGpuDeviceNames(),
    context: { contextSize: np + ng + 16, batchSize: np, flashAttention: context.flashAttention },
    prompt_tokens: np,
    gen_tokens: ng,
    load_ms: loadMs,
    prefill_tps: median(res.map((r) => r.prefill_tps)),
    decode_tps: median(res.map((r) => r.decode_tps)),
    ttft_ms: median(res.map((r) => r.ttft_ms)),
    runs: res,
  }),
);
await context.dispose();
await model.dispose();
await llama.dispose();
