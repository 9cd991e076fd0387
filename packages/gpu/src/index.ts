/// <reference types="@webgpu/types" />
export {
  GpuError,
  NoAdapterError,
  DeviceLostError,
  GpuOutOfMemoryError,
  GpuValidationError,
  ShaderError,
  GpuShapeError,
  GpuDTypeError,
  BindingLimitError,
  MissingFeatureError,
} from './errors.js';
export { type AcquireOptions, acquireDevice } from './device.js';
export {
  GpuContext,
  type ContextOptions,
  type GpuFeatures,
  type GpuStats,
  type KernelVariant,
  type Pipeline,
  type BindingKind,
  PARAMS_BYTES,
} from './context.js';
export { GpuTensor, type GpuDType } from './tensor.js';
export { BufferPool } from './pool.js';
export { Recorder, type BeginOptions, type Bindable, type FixedDispatch } from './recorder.js';
export { TokenReader } from './readback.js';
export {
  type GpuWeight,
  type GpuWeightChunk,
  type GpuWeightDType,
  uploadWeight,
  destroyWeight,
  packWeightRows,
  packedRowBytes,
  packedK8s,
} from './weights.js';
export { preprocessWgsl } from './preprocess.js';
export { kernelSources } from './kernels.js';
export {
  type MatmulArgs,
  type MatmulTile,
  type MmaScratch,
  MATMUL_TILES,
  matmulTileBytes,
  matmul,
  createMmaScratch,
  prepareMmaWeights,
  MMA_MAX_COLS,
  destroyMmaScratch,
} from './ops/matmul.js';
export { type EmbeddingArgs, embedding } from './ops/embedding.js';
export { type RmsnormArgs, type AddRmsnormArgs, rmsnorm, addRmsnorm } from './ops/rmsnorm.js';
export { type SiluMulArgs, type AddArgs, siluMul, add } from './ops/elementwise.js';
export { type RopeTable, type RopeQkArgs, ropeTable, ropeQk } from './ops/rope.js';
export { type AttentionArgs, attention, attentionPartialsSize } from './ops/attention.js';
export {
  type DecodeAttentionArgs,
  type AttentionOutProjArgs,
  type AttnOutConfig,
  decodeAttention,
  decodeAttentionFits,
  attentionOutProj,
  attnOutStorage,
  attnOutVariant,
  defaultAttnOutConfig,
} from './ops/decode_attention.js';
export { type ArgmaxArgs, type SampleArgs, argmax, sample } from './ops/sampling.js';
