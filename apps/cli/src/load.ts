import { loadChat, type Qwen3Chat, type Qwen3GpuModel } from '@qo/qwen3';
import { EMBEDDED_NAME, embeddedModelDir } from './default-model.js';
import { toCliError } from './errors.js';
import type { ModelArgs } from './options.js';
import { ProgressBar } from './progress.js';

/** A chat on the CPU, or with --device gpu on WebGPU. */
export type LoadedChat = Qwen3Chat | Qwen3Chat<Qwen3GpuModel>;

export interface Loaded {
  chat: LoadedChat;
  /** what to call the model on screen */
  name: string;
  loadMs: number;
}

/**
 * Loads the model a command asked for (--model, else the embedded one) with a progress bar on
 * stderr when it is a terminal. Hub ids are downloaded into (or found in) the Hugging Face cache by
 * @qo/loader's resolveModel inside loadChat.
 */
export async function loadModel(args: ModelArgs, stderr: NodeJS.WriteStream = process.stderr): Promise<Loaded> {
  const spec = args.model ?? embeddedModelDir();
  const name = args.model ?? EMBEDDED_NAME;
  const bar = new ProgressBar(stderr, `loading ${name}`);
  const t0 = performance.now();
  try {
    const chat = await loadChat(spec, {
      dtype: args.dtype,
      device: args.device,
      ...(args.context !== undefined && { maxContext: args.context }),
      onProgress: (p) => bar.update(p.loadedBytes, p.totalBytes, p.phase === 'download' ? `downloading ${p.repoId} ${p.file}` : `loading ${name}`),
    });
    return { chat, name, loadMs: performance.now() - t0 };
  } catch (e) {
    throw toCliError(e);
  } finally {
    bar.done();
  }
}
