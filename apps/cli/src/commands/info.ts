import { Checkpoint, loadConfig, resolveModel, textConfigOf, Tokenizer, TokenizerError, type ModelConfig } from '@qo/loader';
import { generationDefaults, type GenerationDefaults } from '@qo/generate';
import { parse } from '../args.js';
import { EMBEDDED_NAME, embeddedModelDir } from '../default-model.js';
import { CliError, EXIT, toCliError } from '../errors.js';
import { summarize, type ModelSummary } from '../info/summary.js';
import { ProgressBar } from '../progress.js';
import { bytes } from '../style.js';

const OPTIONS = {
  model: { type: 'string', short: 'm' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const HELP = `usage: qo info [--model DIR] [--json]

What a checkpoint is, from config.json and the tensor headers (no weights are read): architecture,
parameter count, dtypes, memory for each --dtype and for the KV cache, generation defaults.

  -m, --model DIR            checkpoint directory (default: the embedded qo-fortune model)
  --json                     one JSON object instead of the table`;

export async function main(argv: string[]): Promise<number> {
  const { values: v } = parse('info', argv, OPTIONS, false);
  if (v.help === true) {
    process.stdout.write(HELP + '\n');
    return EXIT.ok;
  }
  if (v.model === '') throw new CliError('--model is empty', 'pass a checkpoint directory, or leave out --model for the embedded model');
  const name = (v.model as string | undefined) ?? EMBEDDED_NAME;
  let info: Info;
  try {
    info = await readInfo(v.model === undefined ? embeddedModelDir() : await resolve(v.model as string));
  } catch (e) {
    throw toCliError(e);
  }
  if (v.json === true) {
    process.stdout.write(JSON.stringify({ model: name, ...info }) + '\n');
  } else {
    process.stdout.write(format(name, info));
  }
  return EXIT.ok;
}

/** A directory as is; a Hub id downloaded (or found in the cache), with a progress bar on a terminal. */
async function resolve(spec: string): Promise<string> {
  const bar = new ProgressBar(process.stderr, `downloading ${spec}`);
  try {
    return await resolveModel(spec, { onProgress: (p) => bar.update(p.loadedBytes, p.totalBytes, `downloading ${p.repoId} ${p.file}`) });
  } finally {
    bar.done();
  }
}

interface Info {
  dir: string;
  config: ModelConfig;
  summary: ModelSummary;
  generation: GenerationDefaults;
  checkpointFiles: number;
  /** 'chat-template': tokenizer.json and a chat template; 'no-chat-template'; or what is wrong with the tokenizer */
  tokenizer: 'chat-template' | 'no-chat-template' | { error: string };
}

async function readInfo(dir: string): Promise<Info> {
  const { config, generation, raw } = await loadConfig(dir);
  const ckpt = await Checkpoint.open(dir);
  try {
    const tensors = ckpt.names().map((n) => ckpt.info(n));
    return {
      dir,
      config,
      summary: summarize(config, tensors),
      generation: generationDefaults(generation, raw),
      checkpointFiles: ckpt.files.length,
      tokenizer: await readTokenizer(dir),
    };
  } finally {
    await ckpt.close();
  }
}

async function readTokenizer(dir: string): Promise<Info['tokenizer']> {
  try {
    return (await Tokenizer.fromDir(dir)).chatTemplateNames.length > 0 ? 'chat-template' : 'no-chat-template';
  } catch (e) {
    if (e instanceof TokenizerError) return { error: e.message };
    throw e;
  }
}

function format(name: string, { dir, config, summary: s, generation: g, checkpointFiles, tokenizer }: Info): string {
  const c = textConfigOf(config);
  const rope = c.rope_parameters;
  const moe =
    c.model_type === 'qwen3'
      ? ''
      : ` · ${c.num_experts} experts, top ${c.num_experts_per_tok}, expert ffn ${c.moe_intermediate_size}`;
  const runs = config.model_type === 'qwen3' || config.model_type === 'qwen3_moe';
  const dtypes = Object.entries(s.dtypes)
    .map(([d, x]) => `${d} ${x.tensors} tensor${x.tensors === 1 ? '' : 's'} (${bytes(x.bytes)})`)
    .join(', ');
  const gen = [
    g.doSample === undefined && 'greedy (no do_sample)',
    g.doSample !== undefined && `do_sample ${g.doSample}`,
    g.temperature !== undefined && `temperature ${g.temperature}`,
    g.topK !== undefined && `top_k ${g.topK}`,
    g.topP !== undefined && `top_p ${g.topP}`,
    g.minP !== undefined && `min_p ${g.minP}`,
    g.repetitionPenalty !== undefined && `repetition_penalty ${g.repetitionPenalty}`,
    g.maxNewTokens !== undefined && `max_new_tokens ${g.maxNewTokens}`,
    g.eosTokenIds !== undefined && `eos ${g.eosTokenIds.join(', ')}`,
  ].filter((x): x is string => typeof x === 'string');
  const rows: [string, string][] = [
    ['model', `${name}${name === dir ? '' : ` (${dir})`}`],
    ['type', `${config.model_type}${runs ? '' : ' (qo run/chat do not run this type yet)'}`],
    ['layers', `${c.num_hidden_layers} · hidden ${c.hidden_size} · heads ${c.num_attention_heads} (kv ${c.num_key_value_heads}) · head_dim ${c.head_dim} · ffn ${c.intermediate_size}${moe}`],
    ['vocab', `${c.vocab_size} · context ${c.max_position_embeddings} · rope ${rope.rope_type} θ=${rope.rope_theta}${c.tie_word_embeddings ? ' · tied embeddings' : ''}`],
    ['parameters', `${count(s.parameters)} (${s.parameters.toLocaleString('en-US')})${s.activeParameters !== s.parameters ? `, ${count(s.activeParameters)} active per token` : ''}`],
    ['checkpoint', `${checkpointFiles} file${checkpointFiles === 1 ? '' : 's'}, ${bytes(s.checkpointBytes)}: ${dtypes}`],
    ['memory', `weights ${bytes(s.weightBytes.bf16)} bf16 · ${bytes(s.weightBytes.q8_0)} q8_0 · ${bytes(s.weightBytes.f32)} f32`],
    ['kv cache', `${bytes(s.kvCacheBytesPer1kTokens)} per 1k tokens (f32)`],
    ['generation', gen.join(' · ')],
    [
      'tokenizer',
      tokenizer === 'chat-template'
        ? 'tokenizer.json, chat template'
        : tokenizer === 'no-chat-template'
          ? 'tokenizer.json, no chat template (qo run only)'
          : `unusable, qo run/chat cannot use this model: ${tokenizer.error}`,
    ],
  ];
  return rows.map(([k, x]) => `${k.padEnd(11)} ${x}\n`).join('');
}

/** 3.80M, 596M, 30.5B */
function count(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(n >= 1e11 ? 0 : 2)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e8 ? 0 : 2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return `${n}`;
}
