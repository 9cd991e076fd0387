import { GenerateError, InvalidOptionError, PromptTooLongError } from '@qo/generate';
import {
  ChatTemplateError,
  CheckpointNotFoundError,
  ChecksumMismatchError,
  ConfigError,
  HubAuthError,
  HubConnectionError,
  HubError,
  HubHttpError,
  HubNotFoundError,
  HubOfflineError,
  LoaderError,
  ModelSpecError,
  SafetensorsError,
  TokenizerError,
  UnsupportedConfigError,
} from '@qo/loader';
import { GpuError, NoAdapterError } from '@qo/gpu';
import { GpuUnsupportedModelError, Qwen3Error, Qwen3InputError } from '@qo/qwen3';

/** Exit codes: 0 done, 1 the model or the run failed, 2 the command line cannot be satisfied, 130 interrupted. */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

/** A usage or input error: printed as one line (plus a hint), never as a stack trace. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly hint?: string,
    readonly exitCode: number = EXIT.usage,
  ) {
    super(message);
  }
}

/** Option names of @qo/generate → the flags that set them. */
const FLAGS: Record<string, string> = {
  temperature: '--temperature',
  topK: '--top-k',
  topP: '--top-p',
  minP: '--min-p',
  repetitionPenalty: '--repetition-penalty',
  seed: '--seed',
  maxNewTokens: '--max-tokens',
};

/**
 * Known failures of the libraries as CliErrors with a hint; anything else (a bug) is returned as is.
 * Library messages already say what failed and where; the hint says what to do from the command line.
 */
export function toCliError(err: unknown): unknown {
  if (err instanceof CliError) return err;
  const msg = err instanceof Error ? err.message.replace(/\.$/, '') : '';
  if (err instanceof ModelSpecError) return new CliError(msg, 'leave out --model to use the embedded model', EXIT.usage);
  if (err instanceof HubNotFoundError) return new CliError(msg, 'check the model id on https://huggingface.co (org/name, optionally @revision)', EXIT.usage);
  if (err instanceof HubAuthError) return new CliError(msg, 'for a private or gated model, set HF_TOKEN (or run `hf auth login`) and accept its terms on the Hub', EXIT.failed);
  if (err instanceof HubOfflineError) return new CliError(msg, 'run once without HF_HUB_OFFLINE to download the model', EXIT.failed);
  if (err instanceof HubConnectionError || err instanceof HubHttpError) {
    return new CliError(msg, 'check the network (and HF_ENDPOINT); run again to resume, or set HF_HUB_OFFLINE=1 to use only the cache', EXIT.failed);
  }
  if (err instanceof ChecksumMismatchError) return new CliError(msg, 'run the command again to download the file afresh', EXIT.failed);
  if (err instanceof HubError) return new CliError(msg, 'see https://huggingface.co/docs/huggingface_hub for HF_HOME, HF_TOKEN, HF_HUB_OFFLINE', EXIT.failed);
  if (err instanceof UnsupportedConfigError) {
    return new CliError(`unsupported model: ${msg}`, 'qo runs Qwen3 and Qwen3-MoE checkpoints (model_type qwen3, qwen3_moe) from Hugging Face', EXIT.failed);
  }
  if (err instanceof ConfigError && /cannot read \(ENOENT\)/.test(msg)) {
    return new CliError(`${err.file} does not exist: this is not a checkpoint directory`, '--model takes a directory with config.json, model.safetensors and tokenizer.json', EXIT.usage);
  }
  if (err instanceof CheckpointNotFoundError) return new CliError(msg, 'the directory needs model.safetensors, or model.safetensors.index.json and its shards', EXIT.usage);
  if (err instanceof ChatTemplateError) return new CliError(msg, 'this model has no usable chat template; use qo run without --chat for plain completion', EXIT.failed);
  if (err instanceof TokenizerError) return new CliError(msg, 'qo needs the tokenizer.json (and tokenizer_config.json) saved with the model', EXIT.failed);
  if (err instanceof SafetensorsError) return new CliError(msg, 'the checkpoint files are damaged or incomplete; download them again', EXIT.failed);
  if (err instanceof LoaderError) return new CliError(msg, 'check the checkpoint directory, or download it again', EXIT.failed);
  if (err instanceof GpuUnsupportedModelError) return new CliError(msg, 'run it with --device cpu (the default)', EXIT.failed);
  if (err instanceof NoAdapterError) return new CliError(msg, 'run with --device cpu (the default), or install a Vulkan driver', EXIT.failed);
  if (err instanceof GpuError) return new CliError(`GPU: ${msg}`, 'try --dtype q8_0 or a smaller --context, or run with --device cpu', EXIT.failed);
  if (err instanceof Qwen3InputError) return new CliError(msg, 'check --context and --dtype', EXIT.usage);
  if (err instanceof Qwen3Error) return new CliError(msg, 'the checkpoint does not match its config.json; download it again or report the model', EXIT.failed);
  if (err instanceof InvalidOptionError) {
    const flag = FLAGS[err.option];
    return new CliError(flag ? msg.replace(err.option, flag) : msg, 'qo <command> --help lists the options and their ranges', EXIT.usage);
  }
  if (err instanceof PromptTooLongError) return new CliError(msg, 'raise --context (up to the model\'s max_position_embeddings) or shorten the prompt', EXIT.usage);
  if (err instanceof GenerateError) return new CliError(msg, 'set QO_DEBUG=1 for the stack', EXIT.failed);
  return err;
}

/** One clear line (and a hint line) for any error; set QO_DEBUG=1 for the stack of unexpected ones. */
export function formatError(err: unknown): string {
  const e = toCliError(err);
  if (e instanceof CliError) return `qo: ${e.message}${e.hint ? `\n${e.hint}` : ''}`;
  if (e instanceof Error) return `qo: ${e.name === 'Error' ? '' : e.name + ': '}${e.message}\n(set QO_DEBUG=1 for details)`;
  return `qo: ${String(e)}`;
}

/** The exit code for an error that ends the command. */
export function exitCodeOf(err: unknown): number {
  const e = toCliError(err);
  return e instanceof CliError ? e.exitCode : EXIT.failed;
}
