import type { TextConfig } from '@qo/loader';
import type { SynthPreset } from '@qo/qwen3';

/** What every device's benchmark takes (`qo bench` flags). */
export interface BenchOptions {
  model?: string;
  synth?: SynthPreset | TextConfig;
  dtype?: 'bf16' | 'q8_0' | 'f32';
  prompt?: number;
  gen?: number;
  runs?: number;
  /** cpu only */
  threads?: number;
  profile?: boolean;
}

/** The numbers every device reports (plus its own details). */
export interface BenchResult {
  device: string;
  model: string;
  dtype: string;
  prompt_tokens: number;
  gen_tokens: number;
  prefill_tps: number;
  decode_tps: number;
  ttft_ms: number;
  load_ms: number;
  peak_rss_bytes: number;
  runs: { prefill_tps: number; decode_tps: number; ttft_ms: number }[];
  profile?: unknown;
}

/** A device `qo bench --device NAME` can measure: its flags beyond BenchOptions, and the run. */
export interface BenchDevice {
  /** One line for --help. */
  summary: string;
  /** Flags only this device takes (refused on the others). */
  only?: readonly (keyof BenchOptions)[];
  run(opts: BenchOptions): Promise<BenchResult>;
}

/** Devices by --device name, loaded on demand. A new device is one more entry and its own file. */
export const DEVICES: Record<string, BenchDevice> = {
  cpu: {
    summary: 'WebAssembly SIMD kernels on worker threads (prompt 128, gen 64 by default)',
    only: ['threads'],
    run: async (o) => (await import('./cpu.js')).benchCpu(o),
  },
  gpu: {
    summary: 'WebGPU (prompt 512, gen 128 by default)',
    run: async (o) => (await import('./gpu.js')).benchGpu({ ...o, runs: o.runs }),
  },
};
