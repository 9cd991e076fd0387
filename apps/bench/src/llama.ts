import { getLlama, type Llama, type LlamaContext, type LlamaModel, LlamaLogLevel, type Token } from 'node-llama-cpp';

/** llama.cpp (node-llama-cpp's prebuilt CPU binary) with one model and one context loaded. */
export interface LlamaSession {
  llama: Llama;
  model: LlamaModel;
  context: LlamaContext;
  /** loadModel + createContext, ms */
  loadMs: number;
  dispose(): Promise<void>;
}

/** Loads a GGUF on the CPU (no GPU layers) with a context of `contextSize` tokens evaluated on `threads` threads. */
export async function openLlama(gguf: string, contextSize: number, threads: number, batchSize = contextSize): Promise<LlamaSession> {
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error, progressLogs: false, maxThreads: threads });
  const t0 = performance.now();
  const model = await llama.loadModel({ modelPath: gguf, gpuLayers: 0 });
  const context = await model.createContext({ contextSize, batchSize, threads: { ideal: threads, min: threads } });
  const loadMs = performance.now() - t0;
  return {
    llama,
    model,
    context,
    loadMs,
    async dispose() {
      await context.dispose();
      await model.dispose();
      await llama.dispose();
    },
  };
}

/** The logits llama.cpp computes for the last of `ids` (from a fresh sequence). */
export async function llamaLogits(s: LlamaSession, ids: number[]): Promise<Float32Array> {
  const seq = s.context.getSequence();
  try {
    const items = ids.map((id, i) => (i === ids.length - 1 ? ([id as Token, { generateNext: { logits: true } }] as const) : (id as Token)));
    const out = await seq.controlledEvaluate(items as never);
    const last = out[ids.length - 1] as { next?: { logits?: Map<Token, number> } } | undefined;
    const logits = last?.next?.logits;
    if (logits === undefined) throw new Error('node-llama-cpp returned no logits');
    const v = new Float32Array(logits.size);
    for (const [t, x] of logits) v[t] = x;
    return v;
  } finally {
    seq.dispose();
  }
}

/** One timed greedy run: prefill (time to first token) then gen − 1 decode steps, as `qo bench` measures. */
export async function llamaRun(s: LlamaSession, prompt: number[], gen: number): Promise<{ prefill_tps: number; decode_tps: number; ttft_ms: number }> {
  const seq = s.context.getSequence();
  try {
    const a = performance.now();
    let ttft = 0;
    let b = 0;
    let n = 0;
    for await (const _token of seq.evaluate(prompt as Token[], { temperature: 0 })) {
      n++;
      if (n === 1) {
        ttft = performance.now() - a;
        b = performance.now();
      }
      if (n === gen) break;
    }
    const decodeMs = performance.now() - b;
    return { prefill_tps: (prompt.length * 1000) / ttft, decode_tps: ((gen - 1) * 1000) / decodeMs, ttft_ms: ttft };
  } finally {
    seq.dispose();
  }
}
