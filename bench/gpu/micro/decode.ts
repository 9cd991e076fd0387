// Micro-benchmark suite 'decode': the host (JavaScript + Dawn) cost of recording one decode step
// of the whole model, and the wall time of a step, for each way of recording it. One line per
// model and variant: record ms per step (Qwen3GpuModel.lastRecordMs: recording and submitting,
// not the GPU), dispatches per step, wall ms per step (64 greedy steps / 64), tok/s, and whether
// the tokens equal the shipped variant's.
import type { GpuContext } from '@qo/gpu';
import type { TextConfig } from '@qo/loader';
import { Qwen3GpuModel, synthConfig, synthWeights, type GpuLoadOptions } from '@qo/qwen3';

const STEPS = 64;
const PROMPT = 16;

/** Small widths: the record cost depends on the dispatch count, not on the sizes. */
const SMALL_WIDTHS = { hidden_size: 64, num_attention_heads: 4, num_key_value_heads: 2, head_dim: 16, vocab_size: 1024 };

function models(small: boolean): { name: string; config: TextConfig }[] {
  const dense = synthConfig('qwen3-0.6b');
  const moe = synthConfig('qwen3-30b-a3b');
  const moeSmall = { ...moe, ...SMALL_WIDTHS, moe_intermediate_size: 32, intermediate_size: 128 } as TextConfig;
  return [
    small
      ? { name: 'qwen3-0.6b layout (28 layers), small widths', config: { ...dense, ...SMALL_WIDTHS, intermediate_size: 128 } as TextConfig }
      : { name: 'qwen3-0.6b', config: dense },
    { name: 'qwen3-30b-a3b layout (48 layers, 128 experts, top 8), small widths', config: moeSmall },
  ];
}

/** The shipped way first (the reference for the tokens), then the candidates. */
const VARIANTS: { name: string; opts: GpuLoadOptions }[] = [
  { name: 'shipped (replay, submit every 4, pipelined)', opts: {} },
  { name: 'no replay (every op through its wrapper)', opts: { replay: false } },
  { name: 'submit once per step', opts: { submitEvery: 0 } },
  { name: 'submit every 8 layers', opts: { submitEvery: 8 } },
  { name: 'submit every 2 layers', opts: { submitEvery: 2 } },
  { name: 'not pipelined', opts: { pipeline: false } },
];

interface Result {
  recordMs: number;
  dispatches: number;
  wallMs: number;
  tokens: number[];
}

async function run(ctx: GpuContext, config: TextConfig, weights: Awaited<ReturnType<typeof synthWeights>>, opts: GpuLoadOptions): Promise<Result> {
  const model = await Qwen3GpuModel.fromWeights(config, weights, 'bf16', { ...opts, context: ctx, maxContext: PROMPT + STEPS + 8 });
  try {
    const cache = model.createCache();
    const prompt = Array.from({ length: PROMPT }, (_, i) => (i * 37 + 11) % config.vocab_size);
    let id = await model.forwardSample(prompt, cache, { temperature: 0 }, 0.5);
    // two warm-up steps: pipelines, bind groups and the replayed segments are made here
    for (let s = 0; s < 2; s++) id = await model.forwardSample([id], cache, { temperature: 0 }, 0.5);
    const tokens: number[] = [];
    let record = 0;
    const t0 = performance.now();
    for (let s = 0; s < STEPS; s++) {
      id = await model.forwardSample([id], cache, { temperature: 0 }, 0.5);
      record += model.lastRecordMs;
      tokens.push(id);
    }
    const wall = performance.now() - t0;
    return { recordMs: record / STEPS, dispatches: model.lastDispatches, wallMs: wall / STEPS, tokens };
  } finally {
    model.dispose();
  }
}

export default async function decode(ctx: GpuContext, log: (line: string) => void): Promise<void> {
  const small = process.env.QO_MICRO_SMALL === '1';
  // QO_MICRO_DECODE=dense|moe: one of the two models only
  const only = process.env.QO_MICRO_DECODE;
  for (const { name, config } of models(small).filter((m) => only === undefined || (only === 'moe') === m.name.includes('a3b'))) {
    const weights = await synthWeights(config, { dtype: 'bf16' });
    let ref: number[] | undefined;
    // QO_MICRO_DECODE_VARIANTS=0,2: the shipped variant and the third only
    const pick = process.env.QO_MICRO_DECODE_VARIANTS?.split(',').map(Number);
    for (const v of VARIANTS.filter((_, i) => pick === undefined || pick.includes(i))) {
      const r = await run(ctx, config, weights, v.opts);
      ref ??= r.tokens;
      const same = r.tokens.every((t, i) => t === ref?.[i]) ? 'tokens = shipped' : 'TOKENS DIFFER from shipped';
      log(
        `decode ${name} | ${v.name}: record ${r.recordMs.toFixed(3)} ms/step, ${r.dispatches} dispatches ` +
          `(${((r.recordMs * 1000) / r.dispatches).toFixed(1)} us each), wall ${r.wallMs.toFixed(3)} ms/step ` +
          `(${(1000 / r.wallMs).toFixed(1)} tok/s), ${same}`,
      );
    }
  }
}
