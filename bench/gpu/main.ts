// The qo side of the side-by-side GPU benchmark (bench/gpu/run.sh), bundled by build.mjs:
//   node dist/main.mjs qo --dtype bf16|q8_0 [--prompt 512] [--gen 128] [--profile] [--submit-every N] [--dawn OPT]…
//       times qo on the GPU (benchGpu) with random Qwen3-0.6B weights; one JSON object on stdout
//   node dist/main.mjs gguf --dtype bf16|q8_0 --out FILE
//       writes the same random weights as GGUF (F16 from bf16, Q8_0 as is) for llama.cpp, with
//       @qo/bench's GGUF writer (apps/bench)
//   node dist/main.mjs micro [SUITE…]
//       kernel micro-benchmarks (bench/gpu/micro): attention, matmul, decode, moe
//   node dist/main.mjs validate --fixture DIR --device gpu [--dtype …]
//       qo-validate itself (apps/validate), for the fixtures on the GPU machine (bench/gpu/validate.sh)
import { parseArgs } from 'node:util';
import { acquireDevice } from '@qo/gpu';
import { GPU_DAWN_OPTIONS, synthConfig, synthWeights, type SynthPreset } from '@qo/qwen3';
import { benchGpu } from '../../apps/cli/src/bench/gpu.js';
import type { Qwen3TextConfig } from '@qo/loader';
import { writeQwen3Gguf } from '../../apps/bench/src/qwen3-gguf.js';
import { vocabFromTokenizerJson } from '../../apps/bench/src/vocab.js';
import { SUITES } from './micro/index.js';

if (process.argv[2] === 'validate') {
  const { runCli } = await import('../../apps/validate/src/run-cli.js');
  process.exit(await runCli(process.argv.slice(3), process));
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    preset: { type: 'string', default: 'qwen3-0.6b' },
    dtype: { type: 'string', default: 'bf16' },
    prompt: { type: 'string', default: '512' },
    gen: { type: 'string', default: '128' },
    runs: { type: 'string', default: '3' },
    profile: { type: 'boolean', default: false },
    'submit-every': { type: 'string' },
    'no-pipeline': { type: 'boolean', default: false },
    // the prefill matmuls in f32 even where the device has int8 tensor cores
    'no-mma': { type: 'boolean', default: false },
    // Dawn options, after GPU_DAWN_OPTIONS (what Qwen3GpuModel uses); --plain-dawn: only those given
    // (none: Dawn's defaults, robust buffer access on)
    dawn: { type: 'string', multiple: true },
    'plain-dawn': { type: 'boolean', default: false },
    out: { type: 'string' },
    tokenizer: { type: 'string', default: 'reference/fixtures/qwen3-e2e-chat/model/tokenizer.json' },
    // smoke runs (lavapipe): fewer layers and a smaller vocabulary than the preset
    layers: { type: 'string' },
    vocab: { type: 'string' },
  },
});
const PRESET = values.preset as SynthPreset;
const config = {
  ...synthConfig(PRESET),
  ...(values.layers !== undefined && { num_hidden_layers: Number(values.layers) }),
  ...(values.vocab !== undefined && { vocab_size: Number(values.vocab) }),
};
const dtype = values.dtype as 'bf16' | 'q8_0';
if (dtype !== 'bf16' && dtype !== 'q8_0') throw new Error(`--dtype bf16|q8_0, got ${dtype}`);

if (positionals[0] === 'qo') {
  const r = await benchGpu({
    synth: values.layers === undefined && values.vocab === undefined ? PRESET : config,
    dtype,
    prompt: Number(values.prompt),
    gen: Number(values.gen),
    runs: Number(values.runs),
    profile: values.profile,
    ...(values['submit-every'] !== undefined && { submitEvery: Number(values['submit-every']) }),
    dawnOptions: values['plain-dawn'] ? (values.dawn ?? []) : [...GPU_DAWN_OPTIONS, ...(values.dawn ?? [])],
    pipeline: !values['no-pipeline'],
    mma: !values['no-mma'],
  });
  console.log(JSON.stringify({ engine: 'qo', mma: !values['no-mma'], submit_every: values['submit-every'] ?? 'default', pipeline: !values['no-pipeline'], plain_dawn: values['plain-dawn'], dawn: values.dawn ?? [], ...r }));
} else if (positionals[0] === 'gguf') {
  if (values.out === undefined) throw new Error('gguf: --out FILE');
  const weights = await synthWeights(config, { dtype }); // the weights benchGpu uploads (same preset, dtype and seed)
  const vocab = vocabFromTokenizerJson(values.tokenizer, config.vocab_size);
  writeQwen3Gguf(values.out, config as Qwen3TextConfig, weights, vocab, dtype === 'q8_0' ? 'Q8_0' : 'F16', `${PRESET} random ${dtype}`);
} else if (positionals[0] === 'micro') {
  const names = positionals.length > 1 ? positionals.slice(1) : Object.keys(SUITES);
  const ctx = await acquireDevice({ dawnOptions: values['plain-dawn'] ? (values.dawn ?? []) : [...GPU_DAWN_OPTIONS, ...(values.dawn ?? [])], mma: !values['no-mma'] });
  console.log(`adapter: ${ctx.adapterInfo.vendor} ${ctx.adapterInfo.architecture} ${ctx.adapterInfo.description} ${JSON.stringify(ctx.features)}`);
  for (const name of names) {
    const suite = SUITES[name];
    if (suite === undefined) throw new Error(`micro: no suite '${name}' (${Object.keys(SUITES).join(', ')})`);
    console.log(`=== ${name}`);
    await suite(ctx, (line) => console.log(line));
  }
  ctx.destroy();
} else {
  throw new Error('usage: main.mjs qo|gguf|micro [options]');
}
