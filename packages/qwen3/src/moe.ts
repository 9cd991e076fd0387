import { type CpuBackend, softmax } from '@qo/tensor';
import type { Qwen3MoeTextConfig } from '@qo/loader';
import type { SparseMoeWeights } from './weights.js';

/** Scratch of the sparse block, allocated once per RunState capacity (f32 buffers in backend memory). */
export interface MoeState {
  capacity: number;
  router: Float32Array; // [T, E] router logits, then probabilities
  topIds: Int32Array; // [T, k] chosen experts
  topW: Float32Array; // [T, k] their routing weights
  rows: Int32Array; // tokens routed to the expert being computed
  rowW: Float32Array; // and their weights
  xs: Float32Array; // [n, H] those tokens' hidden states, gathered
  act: Float32Array; // [n, I] silu(gate) · up
  ys: Float32Array; // [n, H] expert output
}

export function makeMoeState(b: CpuBackend, c: Qwen3MoeTextConfig, T: number): MoeState {
  const k = c.num_experts_per_tok;
  return {
    capacity: T,
    router: b.f32(T * c.num_experts),
    topIds: new Int32Array(T * k),
    topW: new Float32Array(T * k),
    rows: new Int32Array(T),
    rowW: new Float32Array(T),
    xs: b.f32(T * c.hidden_size),
    act: b.f32(T * c.moe_intermediate_size),
    ys: b.f32(T * c.hidden_size),
  };
}

/**
 * Qwen3-MoE sparse block (transformers' Qwen3MoeSparseMoeBlock): router logits = h · gateᵀ;
 * softmax in f32; top-k; renormalize when norm_topk_prob; out = Σ weight · SwiGLU_expert(h).
 * Tokens are grouped by expert so each expert runs one matmul over all its tokens (prefill).
 */
export function sparseMoeBlock(
  b: CpuBackend,
  out: Float32Array, // [T, H]
  h: Float32Array, // [T, H]
  T: number,
  w: SparseMoeWeights,
  c: Qwen3MoeTextConfig,
  s: MoeState,
  probeRouter?: (data: Float32Array, shape: readonly number[]) => void,
): void {
  const H = c.hidden_size;
  const E = c.num_experts;
  const k = c.num_experts_per_tok;
  b.matmul(s.router, h, T, w.gate); // [T, E]
  if (probeRouter) probeRouter(s.router.slice(0, T * E), [T, E]);
  softmax(s.router, T, E); // probabilities in f32, as transformers (dtype=torch.float)
  for (let t = 0; t < T; t++) {
    selectTopK(s.router, t * E, E, k, s.topIds, s.topW, t * k);
    if (c.norm_topk_prob) {
      let sum = 0;
      for (let j = 0; j < k; j++) sum += s.topW[t * k + j];
      for (let j = 0; j < k; j++) s.topW[t * k + j] /= sum;
    }
  }
  out.fill(0, 0, T * H);
  for (let e = 0; e < E; e++) {
    let n = 0;
    for (let t = 0; t < T; t++) {
      for (let j = 0; j < k; j++) {
        if (s.topIds[t * k + j] !== e) continue;
        s.rows[n] = t;
        s.rowW[n] = s.topW[t * k + j];
        for (let i = 0; i < H; i++) s.xs[n * H + i] = h[t * H + i];
        n++;
      }
    }
    if (n === 0) continue;
    const x = w.experts[e];
    b.swiglu(s.act, s.xs, n, x.gate_proj, x.up_proj);
    b.matmul(s.ys, s.act, n, x.down_proj);
    for (let r = 0; r < n; r++) {
      const o = s.rows[r] * H;
      const wgt = s.rowW[r];
      for (let i = 0; i < H; i++) out[o + i] += wgt * s.ys[r * H + i];
    }
  }
}

/** Top-k of p[off .. off+n) by value, ties to the lower index (torch.topk order), no allocation. */
function selectTopK(p: Float32Array, off: number, n: number, k: number, ids: Int32Array, ws: Float32Array, at: number): void {
  for (let j = 0; j < k; j++) {
    let best = -1;
    let bestV = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = p[off + i];
      if (v > bestV && !taken(ids, at, j, i)) {
        best = i;
        bestV = v;
      }
    }
    ids[at + j] = best;
    ws[at + j] = bestV;
  }
}

function taken(ids: Int32Array, at: number, j: number, i: number): boolean {
  for (let m = 0; m < j; m++) if (ids[at + m] === i) return true;
  return false;
}
