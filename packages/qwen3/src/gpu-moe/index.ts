// Qwen3-MoE sparse block on the GPU: stacked expert weights, the MoE kernels, and the block recorded
// into a command encoder. The dense GPU forward pass calls recordSparseMoe for each sparse layer.
export { GpuSparseMoe, recordSparseMoe, planLayout, type SparseMoeShape, type GpuSparseMoeOptions, type SparseMoeCallOptions } from './block.js';
export { type GpuSparseMoeWeights, uploadSparseMoe } from './weights.js';
export { type GpuExperts, type GpuExpertChunk, uploadExperts, packExpert, expertBytes, expertsPerChunk, destroyExperts } from './layout.js';
export { GpuMoeConfigError, GpuMoeArgumentError } from './errors.js';
export { moeKernelSources } from './kernels.js';
