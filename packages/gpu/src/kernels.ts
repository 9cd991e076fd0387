// The WGSL sources of kernels/ (one op per file), inlined into the bundle as strings at build time.
import add from '../../../kernels/add.wgsl?raw';
import addRmsnorm from '../../../kernels/add_rmsnorm.wgsl?raw';
import argmax from '../../../kernels/argmax.wgsl?raw';
import attention from '../../../kernels/attention.wgsl?raw';
import attentionCombine from '../../../kernels/attention_combine.wgsl?raw';
import attentionCore from '../../../kernels/attention_core.wgsl?raw';
import attentionDecode from '../../../kernels/attention_decode.wgsl?raw';
import attentionPrefill from '../../../kernels/attention_prefill.wgsl?raw';
import attentionSplit from '../../../kernels/attention_split.wgsl?raw';
import attentionTiled from '../../../kernels/attention_tiled.wgsl?raw';
import embedding from '../../../kernels/embedding.wgsl?raw';
import gemv from '../../../kernels/gemv.wgsl?raw';
import gemvAttnOut from '../../../kernels/gemv_attn_out.wgsl?raw';
import kdotScalar from '../../../kernels/kdot_scalar.wgsl?raw';
import kdotVec4 from '../../../kernels/kdot_vec4.wgsl?raw';
import matmul from '../../../kernels/matmul.wgsl?raw';
import matmulMma from '../../../kernels/matmul_mma.wgsl?raw';
import mmaNormNone from '../../../kernels/mma_norm_none.wgsl?raw';
import mmaNormRms from '../../../kernels/mma_norm_rms.wgsl?raw';
import mmaQuantize from '../../../kernels/mma_quantize.wgsl?raw';
import mmaRowMax from '../../../kernels/mma_row_max.wgsl?raw';
import mmaSplit from '../../../kernels/mma_split.wgsl?raw';
import reduceShared from '../../../kernels/reduce_shared.wgsl?raw';
import reduceSubgroup from '../../../kernels/reduce_subgroup.wgsl?raw';
import rmsnorm from '../../../kernels/rmsnorm.wgsl?raw';
import ropeQk from '../../../kernels/rope_qk.wgsl?raw';
import sample from '../../../kernels/sample.wgsl?raw';
import siluMul from '../../../kernels/silu_mul.wgsl?raw';
import weightBf16 from '../../../kernels/weight_bf16.wgsl?raw';
import weightF32 from '../../../kernels/weight_f32.wgsl?raw';
import weightQ8_0 from '../../../kernels/weight_q8_0.wgsl?raw';
import weightQ8_0X16 from '../../../kernels/weight_q8_0_x16.wgsl?raw';
import x8 from '../../../kernels/x8.wgsl?raw';
import x8SiluMul from '../../../kernels/x8_silu_mul.wgsl?raw';
import x8Vec4 from '../../../kernels/x8_vec4.wgsl?raw';

/** Every file of kernels/, by file name. */
export const kernelSources: Readonly<Record<string, string>> = {
  'add.wgsl': add,
  'add_rmsnorm.wgsl': addRmsnorm,
  'argmax.wgsl': argmax,
  'attention.wgsl': attention,
  'attention_combine.wgsl': attentionCombine,
  'attention_core.wgsl': attentionCore,
  'attention_decode.wgsl': attentionDecode,
  'attention_prefill.wgsl': attentionPrefill,
  'attention_split.wgsl': attentionSplit,
  'attention_tiled.wgsl': attentionTiled,
  'embedding.wgsl': embedding,
  'gemv.wgsl': gemv,
  'gemv_attn_out.wgsl': gemvAttnOut,
  'kdot_scalar.wgsl': kdotScalar,
  'kdot_vec4.wgsl': kdotVec4,
  'matmul.wgsl': matmul,
  'matmul_mma.wgsl': matmulMma,
  'mma_norm_none.wgsl': mmaNormNone,
  'mma_norm_rms.wgsl': mmaNormRms,
  'mma_quantize.wgsl': mmaQuantize,
  'mma_row_max.wgsl': mmaRowMax,
  'mma_split.wgsl': mmaSplit,
  'reduce_shared.wgsl': reduceShared,
  'reduce_subgroup.wgsl': reduceSubgroup,
  'rmsnorm.wgsl': rmsnorm,
  'rope_qk.wgsl': ropeQk,
  'sample.wgsl': sample,
  'silu_mul.wgsl': siluMul,
  'weight_bf16.wgsl': weightBf16,
  'weight_f32.wgsl': weightF32,
  'weight_q8_0.wgsl': weightQ8_0,
  'weight_q8_0_x16.wgsl': weightQ8_0X16,
  'x8.wgsl': x8,
  'x8_silu_mul.wgsl': x8SiluMul,
  'x8_vec4.wgsl': x8Vec4,
};
