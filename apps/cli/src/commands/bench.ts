import { SYNTH_PRESETS, type SynthPreset } from '@qo/qwen3';
import { int, oneOf, parse } from '../args.js';
import { DEVICES, type BenchOptions, type BenchResult } from '../bench/devices.js';
import { CliError, EXIT, toCliError } from '../errors.js';
import { bytes } from '../style.js';

const OPTIONS = {
  model: { type: 'string', short: 'm' },
  synth: { type: 'string' },
  device: { type: 'string' },
  dtype: { type: 'string' },
  prompt: { type: 'string' },
  gen: { type: 'string' },
  threads: { type: 'string' },
  repeat: { type: 'string' },
  profile: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const PRESETS = Object.keys(SYNTH_PRESETS) as SynthPreset[];

const HELP = `usage: qo bench (--model M | --synth PRESET) [--device cpu|gpu] [--dtype bf16|q8_0|f32]
                [--prompt N] [--gen N] [--threads N] [--repeat N] [--profile] [--json]

Prefill speed (time to first token), decode speed, load time and peak memory: a warm-up run, then
--repeat timed runs of greedy decoding; medians are reported.

  -m, --model M              checkpoint directory or Hugging Face id
  --synth PRESET             random weights of a real model's shapes, made in memory (no download):
                             ${PRESETS.join(', ')}
  --device cpu|gpu           default cpu
${Object.entries(DEVICES)
  .map(([n, d]) => `                               ${n}: ${d.summary}`)
  .join('\n')}
  --dtype bf16|q8_0|f32      weights in memory (default bf16)
  --prompt N                 prompt tokens
  --gen N                    generated tokens (the first comes from the prefill)
  --threads N                cpu: threads (default: every core)
  --repeat N                 timed runs (default 3)
  --profile                  also time each op of the decode steps (cpu) / of one step (gpu)
  --json                     one JSON object instead of the table`;

export async function main(argv: string[]): Promise<number> {
  const { values: v } = parse('bench', argv, OPTIONS, false);
  if (v.help === true) {
    process.stdout.write(HELP + '\n');
    return EXIT.ok;
  }
  const model = v.model as string | undefined;
  const synth = oneOf('synth', v.synth, PRESETS);
  if ((model === undefined) === (synth === undefined)) {
    throw new CliError('qo bench needs exactly one of --model and --synth', `e.g. qo bench --synth qwen3-0.6b --dtype q8_0 (presets: ${PRESETS.join(', ')})`);
  }
  const device = oneOf('device', v.device, Object.keys(DEVICES)) ?? 'cpu';
  const opts: BenchOptions = {
    ...(model !== undefined && { model }),
    ...(synth !== undefined && { synth }),
    dtype: oneOf('dtype', v.dtype, ['bf16', 'q8_0', 'f32'] as const) ?? 'bf16',
    ...(v.prompt !== undefined && { prompt: int('prompt', v.prompt, 1) }),
    ...(v.gen !== undefined && { gen: int('gen', v.gen, 2) }),
    ...(v.threads !== undefined && { threads: int('threads', v.threads, 1, 1024) }),
    ...(v.repeat !== undefined && { runs: int('repeat', v.repeat, 1, 100) }),
    ...(v.profile === true && { profile: true }),
  };
  for (const [name, d] of Object.entries(DEVICES)) {
    if (name === device) continue;
    for (const flag of d.only ?? []) {
      if (opts[flag] !== undefined) throw new CliError(`--${flag} is for --device ${name}, not ${device}`, 'qo bench --help lists the options');
    }
  }
  let r: BenchResult;
  try {
    r = await DEVICES[device].run(opts);
  } catch (e) {
    if (e instanceof Error && e.name === 'KernelMemoryError') throw new CliError(e.message, 'try --dtype q8_0, a shorter --prompt/--gen, or a smaller preset', EXIT.failed);
    throw toCliError(e);
  }
  process.stdout.write(v.json === true ? JSON.stringify(r) + '\n' : format(r));
  return EXIT.ok;
}

/** The result as a few aligned lines. */
export function format(r: BenchResult): string {
  const x = r as BenchResult & Record<string, unknown>;
  const where = r.device === 'cpu' ? `cpu (${String(x.backend)}, ${String(x.threads)} threads)` : r.device;
  const machine = x.machine as { cpu?: string; cpus?: string; cores: number; node: string } | undefined;
  const lines = [
    `qo bench  ${r.model}  ${where}  ${r.dtype}${machine ? `  ${machine.cpu ?? machine.cpus} ×${machine.cores}, Node ${machine.node}` : ''}`,
    `  prefill   ${r.prefill_tps.toFixed(1).padStart(8)} tok/s   ${r.prompt_tokens} tokens, time to first token ${r.ttft_ms.toFixed(0)} ms`,
    `  decode    ${r.decode_tps.toFixed(1).padStart(8)} tok/s   ${r.gen_tokens - 1} tokens after the first`,
    `  load      ${(r.load_ms / 1000).toFixed(2).padStart(8)} s`,
    `  peak RSS  ${bytes(r.peak_rss_bytes).padStart(10)}` +
      (typeof x.weight_bytes === 'number' ? `   weights ${bytes(x.weight_bytes)} + KV cache ${bytes(x.kv_cache_bytes as number)}` : ''),
    `  runs      ${r.runs.map((u) => `${u.prefill_tps.toFixed(1)}/${u.decode_tps.toFixed(1)}`).join('  ')}  (prefill/decode tok/s)`,
  ];
  if (r.device === 'cpu' && r.profile !== undefined) {
    lines.push('  decode time per token:');
    for (const [k, ms] of Object.entries(r.profile as Record<string, number>)) lines.push(`    ${ms.toFixed(2).padStart(8)} ms  ${k}`);
  }
  return lines.join('\n') + '\n';
}
