// qo against llama.cpp on this machine's CPU: `pnpm --filter @qo/bench compare [options]`.
//
// For each dtype pair (qo q8_0 vs llama.cpp Q8_0, qo bf16 vs llama.cpp F16) it writes a GGUF with the
// preset's shapes from the same random weights qo generates (synthWeights, same seed), then runs, each
// in its own process so that peak RSS is its own: `qo bench --synth PRESET --json` (the CLI as users run
// it) and llama.cpp through node-llama-cpp's prebuilt CPU binary, with the same threads, prompt and
// generated lengths. It prints both and the ratios, and with --json FILE writes them all.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Qwen3TextConfig } from '@qo/loader';
import { SYNTH_PRESETS, synthWeights, type SynthPreset } from '@qo/qwen3';
import { type GgufFormat, writeQwen3Gguf } from './qwen3-gguf.js';
import { QWEN3_TOKENIZER, vocabFromTokenizerJson } from './vocab.js';

const { values } = parseArgs({
  options: {
    preset: { type: 'string', default: 'qwen3-0.6b' },
    threads: { type: 'string' },
    prompt: { type: 'string', default: '128' },
    gen: { type: 'string', default: '64' },
    repeat: { type: 'string', default: '3' },
    dtypes: { type: 'string', default: 'q8_0,bf16' },
    json: { type: 'string' },
    'keep-gguf': { type: 'string' },
    'wait-quiet': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  console.log(`usage: pnpm --filter @qo/bench compare [--preset qwen3-0.6b] [--threads N] [--prompt 128] [--gen 64]
                                    [--repeat 3] [--dtypes q8_0,bf16] [--json FILE] [--keep-gguf DIR]
                                    [--wait-quiet LOAD]
qo (qo bench --synth) against llama.cpp (node-llama-cpp, prebuilt CPU binary) on GGUFs of the same random
weights: q8_0 vs Q8_0 and bf16 vs F16. Threads default to every core, for both. On a shared machine,
--wait-quiet 0.5 waits (up to 10 minutes) before each engine until the 1-minute load average is below 0.5;
the load averages around each run are printed.`);
  process.exit(0);
}

const preset = values.preset as SynthPreset;
const config = SYNTH_PRESETS[preset] as Qwen3TextConfig | undefined;
if (config === undefined || config.model_type !== 'qwen3') {
  console.error(`compare: --preset must be a dense preset (${Object.keys(SYNTH_PRESETS).filter((p) => p !== 'qwen3-30b-a3b').join(', ')})`);
  process.exit(2);
}
const threads = Number(values.threads ?? os.availableParallelism());
const [P, G, R] = [Number(values.prompt), Number(values.gen), Number(values.repeat)];
const dtypes = (values.dtypes as string).split(',') as ('q8_0' | 'bf16')[];
const here = dirname(fileURLToPath(import.meta.url));
const qoCli = join(dirname(createRequire(import.meta.url).resolve('@qo/cli/package.json')), 'dist/cli.js');

interface Numbers {
  load_ms: number;
  prefill_tps: number;
  decode_tps: number;
  ttft_ms: number;
  peak_rss_bytes: number;
  weight_bytes?: number;
  kv_cache_bytes?: number;
  runs: { prefill_tps: number; decode_tps: number; ttft_ms: number }[];
}

const quiet = values['wait-quiet'] === undefined ? undefined : Number(values['wait-quiet']);

/** Waits (at most 10 minutes) until the 1-minute load average is below --wait-quiet. */
function waitQuiet(): void {
  if (quiet === undefined) return;
  const until = Date.now() + 600_000;
  while (os.loadavg()[0] >= quiet && Date.now() < until) spawnSync('sleep', ['5']);
}

function runJson(what: string, args: string[]): Numbers & { loadavg_before: number[]; loadavg_after: number[] } {
  waitQuiet();
  const before = os.loadavg();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}): node ${args.join(' ')}`);
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  return { ...(JSON.parse(line) as Numbers), loadavg_before: before, loadavg_after: os.loadavg() };
}

const mb = (b: number) => `${(b / 1e6).toFixed(0)} MB`;
const tmp = values['keep-gguf'] ?? mkdtempSync(join(os.tmpdir(), 'qo-compare-'));
const results: Record<string, { qo: Numbers & { loadavg_before: number[]; loadavg_after: number[] }; llama: Numbers & { loadavg_before: number[]; loadavg_after: number[] }; gguf_bytes: number }> = {};
try {
  for (const dtype of dtypes) {
    const format: GgufFormat = dtype === 'q8_0' ? 'Q8_0' : 'F16';
    const gguf = join(tmp, `${preset}-${format}.gguf`);
    process.stderr.write(`compare: writing ${gguf} (${preset}, ${dtype} random weights, seed 0) … `);
    let size: number;
    {
      const weights = await synthWeights(config, { dtype, seed: 0 });
      size = writeQwen3Gguf(gguf, config, weights, vocabFromTokenizerJson(QWEN3_TOKENIZER, config.vocab_size), format, `qo synthetic ${preset}`);
    }
    process.stderr.write(`${mb(size)}\ncompare: qo ${dtype} …\n`);
    const common = ['--threads', String(threads), '--prompt', String(P), '--gen', String(G), '--repeat', String(R)];
    const qo = runJson('qo bench', [qoCli, 'bench', '--synth', preset, '--dtype', dtype, '--json', ...common]);
    process.stderr.write(`compare: llama.cpp ${format} …\n`);
    const llama = runJson('llama.cpp', [join(here, 'llama-run.js'), '--gguf', gguf, ...common]);
    results[dtype] = { qo, llama, gguf_bytes: size };
    if (values['keep-gguf'] === undefined) rmSync(gguf, { force: true });
  }
} finally {
  if (values['keep-gguf'] === undefined) rmSync(tmp, { recursive: true, force: true });
}

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const lines = [
  `qo vs llama.cpp: ${preset} shapes, random weights (seed 0), ${threads} threads, prompt ${P}, gen ${G}, median of ${R}`,
  `${cpu} ×${os.cpus().length}, Node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`,
  '',
  '                         qo          llama.cpp   qo / llama.cpp',
];
const row = (name: string, a: number, b: number, unit: string, digits = 1) =>
  `${name.padEnd(20)} ${`${a.toFixed(digits)} ${unit}`.padStart(12)} ${`${b.toFixed(digits)} ${unit}`.padStart(12)}   ${(a / b).toFixed(2)}×`;
for (const [dtype, { qo, llama }] of Object.entries(results)) {
  const fmt = dtype === 'q8_0' ? 'Q8_0' : 'F16';
  lines.push(`${dtype} vs ${fmt}`);
  lines.push(row('  prefill', qo.prefill_tps, llama.prefill_tps, 'tok/s'));
  lines.push(row('  decode', qo.decode_tps, llama.decode_tps, 'tok/s'));
  lines.push(row('  time to 1st token', qo.ttft_ms, llama.ttft_ms, 'ms', 0));
  lines.push(row('  load', qo.load_ms, llama.load_ms, 'ms', 0));
  lines.push(row('  peak RSS', qo.peak_rss_bytes / 1e6, llama.peak_rss_bytes / 1e6, 'MB', 0));
  const la = (n: { loadavg_before: number[]; loadavg_after: number[] }) => `${n.loadavg_before[0].toFixed(2)} → ${n.loadavg_after[0].toFixed(2)}`;
  lines.push(`  1-min load average during the runs: qo ${la(qo)}, llama.cpp ${la(llama)}`);
  if (qo.weight_bytes !== undefined && qo.kv_cache_bytes !== undefined) {
    lines.push(`  qo peak RSS / (weights ${mb(qo.weight_bytes)} + KV cache ${mb(qo.kv_cache_bytes)}) = ${(qo.peak_rss_bytes / (qo.weight_bytes + qo.kv_cache_bytes)).toFixed(2)}`);
  }
}
console.log(lines.join('\n'));
if (values.json !== undefined) {
  writeFileSync(
    values.json,
    JSON.stringify(
      { date: new Date().toISOString(), preset, threads, prompt: P, gen: G, repeat: R, cpu, cores: os.cpus().length, node: process.version, loadavg: os.loadavg(), results },
      null,
      2,
    ) + '\n',
  );
}
