import { mkdtemp, rm, writeFile, cp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FORTUNE, qo } from './helpers.js';

const tmp: string[] = [];
afterAll(async () => {
  for (const d of tmp) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'qo-cli-'));
  tmp.push(d);
  return d;
}

/** stderr is exactly these lines: the error, then the hint; never a stack trace. */
function expectLines(stderr: string, ...lines: string[]): void {
  expect(stderr).toBe(lines.map((l) => l + '\n').join(''));
}

describe('usage errors: one line and a hint, exit 2, nothing on stdout', () => {
  it.each([
    [['run', 'hi', '--temprature', '1'], 'qo: unknown option \'--temprature\' for qo run', 'did you mean --temperature? qo run --help lists the options'],
    [['run', 'hi', '--max-tokens', 'ten'], 'qo: --max-tokens must be an integer ≥ 1, got \'ten\'', 'e.g. --max-tokens 1'],
    [['run', 'hi', '--max-tokens', '0'], 'qo: --max-tokens must be an integer ≥ 1, got \'0\'', 'e.g. --max-tokens 1'],
    [['run', 'hi', '--seed', '1.5'], 'qo: --seed must be an integer ≥ 0, got \'1.5\'', 'e.g. --seed 1'],
    [['run', 'hi', '--temperature', 'hot'], 'qo: --temperature must be a number, got \'hot\'', 'e.g. --temperature 0.7'],
    [['run', 'hi', '--top-p', '1.5'], 'qo: --top-p must be a number in (0, 1] (1 = off), got 1.5', 'qo <command> --help lists the options and their ranges'],
    [['run', 'hi', '--seed'], 'qo: --seed needs a value', 'qo run --help lists the options'],
    [['run', 'hi', '--seed', '-1'], 'qo: --seed needs a value', 'write a value that starts with \'-\' as --seed=VALUE'],
    [['run', 'hi', '--seed=-1'], 'qo: --seed must be an integer ≥ 0, got \'-1\'', 'e.g. --seed 1'],
    [['run', 'hi', '--greedy', '--temperature', '0.5'], 'qo: --greedy and --temperature contradict each other', '--greedy takes the most likely token; leave out one of them'],
    [['run', 'hi', '--dtype', 'fp8'], 'qo: --dtype must be one of bf16, q8_0, f32, got \'fp8\'', 'e.g. --dtype bf16'],
    [['run', 'hi', '--device', 'tpu'], 'qo: --device must be one of cpu, gpu, got \'tpu\'', 'e.g. --device cpu'],
    [['run'], 'qo: qo run needs a prompt', 'e.g. qo run "Once upon a time"; qo run --help for the options'],
    [['run', 'hi', '--no-think'], 'qo: --no-think only applies with --chat', 'add --chat to use the chat template'],
    [['chat', 'hello'], 'qo: qo chat takes no arguments besides options, got \'hello\'', 'qo chat --help lists the options'],
    [['run', 'hi', '--context', '4096'], 'qo: maxContext must be an integer in [2, 1024] (the config\'s max_position_embeddings), got 4096', 'check --context and --dtype'],
  ])('qo %j', async (args, line, hint) => {
    const r = await qo(...(args as string[]));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expectLines(r.stderr, line, hint);
  });

  it('a model directory that does not exist; a Hub id not in the cache while offline', async () => {
    const missing = await qo('run', '--model', './no/such/dir/', 'hi');
    expect(missing.code).toBe(2);
    expectLines(
      missing.stderr,
      'qo: ./no/such/dir/: no such directory. Pass a checkpoint directory (config.json + safetensors), or a Hub id written org/name such as Qwen/Qwen3-0.6B',
      'leave out --model to use the embedded model',
    );
    const hub = await qo('info', '--model', 'Qwen/Qwen3-0.6B');
    expect(hub.code).toBe(1);
    const lines = hub.stderr.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^qo: Qwen\/Qwen3-0\.6B@main is not in the cache: offline mode is on \(HF_HUB_OFFLINE\)/);
    expect(lines[1]).toBe('run once without HF_HUB_OFFLINE to download the model');
  });

  it('a directory that is not a checkpoint', async () => {
    const dir = await tempDir();
    const r = await qo('chat', '--model', dir);
    expect(r.code).toBe(2);
    expectLines(r.stderr, `qo: ${join(dir, 'config.json')} does not exist: this is not a checkpoint directory`, '--model takes a directory with config.json, model.safetensors and tokenizer.json');
  });

  it('an unknown command', async () => {
    const r = await qo('frobnicate');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^qo: unknown command 'frobnicate'\nthe commands are run, chat, info(, \w+)*; qo --help describes them\n$/);
  });

  it('qo with no command prints the usage on stderr, exit 2; --help on stdout, exit 0', async () => {
    const none = await qo();
    expect(none.code).toBe(2);
    expect(none.stdout).toBe('');
    expect(none.stderr).toMatch(/^usage: qo <command> \[options\]\n/);
    const help = await qo('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toBe(none.stderr);
    const runHelp = await qo('run', '--help');
    expect(runHelp.code).toBe(0);
    expect(runHelp.stdout).toMatch(/^usage: qo run \[options\] "prompt"\n/);
    for (const flag of ['--max-tokens', '--seed', '--temperature', '--top-k', '--top-p', '--min-p', '--repetition-penalty', '--greedy', '--device', '--dtype', '--json', '--chat']) {
      expect(runHelp.stdout).toContain(flag);
    }
  });
});

describe('model errors: one line and a hint, exit 1', () => {
  it('an unsupported architecture', async () => {
    const dir = await tempDir();
    const config = JSON.parse(await readFile(join(FORTUNE, 'model/config.json'), 'utf8'));
    await writeFile(join(dir, 'config.json'), JSON.stringify({ ...config, model_type: 'llama' }));
    const r = await qo('run', '--model', dir, 'hi');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^qo: unsupported model: .*config\.json.*model type "llama" \(supported: qwen3, qwen3_moe, qwen3_omni_moe\)/);
    expect(lines[1]).toBe('qo runs Qwen3 and Qwen3-MoE checkpoints (model_type qwen3, qwen3_moe) from Hugging Face');
  });

  it('a truncated checkpoint', async () => {
    const dir = await tempDir();
    await cp(join(FORTUNE, 'model'), dir, { recursive: true });
    const st = await readFile(join(dir, 'model.safetensors'));
    await writeFile(join(dir, 'model.safetensors'), st.subarray(0, st.length - 100));
    const r = await qo('run', '--model', dir, 'hi');
    expect(r.code).toBe(1);
    const lines = r.stderr.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^qo: .*model\.safetensors/);
    expect(lines[1]).toBe('the checkpoint files are damaged or incomplete; download them again');
  });
});
