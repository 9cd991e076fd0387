/*
 * Causal scaled dot-product attention with grouped KV heads (HF eager attention, f32), split across
 * threads by (query, head) pairs: each pair is computed whole by one thread.
 *   q [T, nH, D]; k, v [S, nKv, D]; out [T, nH, D]; query t sits at position S - T + t and sees keys
 *   0 .. S - T + t; head h reads kv head h / (nH / nKv).
 * Per pair: scores s_j = (q · k_j) · scale; p_j = e^(s_j - max) / Σ e^(s_i - max); out = Σ p_j v_j.
 */
#include "qo.h"

/* Parameters of qo_attention (mirrored in src/wasm/layout.ts). */
typedef struct {
  i32 T, S, nH, nKv, D;
  f32 scale;
  const f32* q;
  const f32* k;
  const f32* v;
  f32* out;
  f32* scratch;  /* [nth, S]: thread tid uses scratch + tid · S */
  i32 unused;
} Attention;

/* word offsets that src/wasm/layout.ts relies on */
_Static_assert(__builtin_offsetof(Attention, scale) == 20 && __builtin_offsetof(Attention, scratch) == 40 && sizeof(Attention) == 48, "Attention layout");

static inline f32 dot(const f32* a, const f32* b, i32 n) {
  i32 full = n & ~3;
  v128_t acc = wasm_f32x4_splat(0.0f);
  for (i32 i = 0; i < full; i += 4) acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_v128_load(a + i), wasm_v128_load(b + i)));
  f32 s = hsum_f32x4(acc);
  for (i32 i = full; i < n; i++) s += a[i] * b[i];
  return s;
}

void qo_attention(const void* params, i32 tid, i32 nth) {
  const Attention* A = params;
  i32 T = A->T, nH = A->nH, D = A->D, group = A->nH / A->nKv, kvStride = A->nKv * A->D;
  i32 past = A->S - T;
  i32 lo, hi;
  qo_split(T * nH, tid, nth, 1, &lo, &hi);
  f32* p = A->scratch + tid * A->S;
  i32 full = D & ~3;
  for (i32 pair = lo; pair < hi; pair++) {
    i32 t = pair / nH, h = pair % nH;
    i32 n = past + t + 1;
    const f32* q = A->q + pair * D;
    const f32* k = A->k + (h / group) * D;
    const f32* v = A->v + (h / group) * D;
    f32 max = -__builtin_inff();
    for (i32 j = 0; j < n; j++) {
      f32 s = dot(q, k + j * kvStride, D) * A->scale;
      p[j] = s;
      if (s > max) max = s;
    }
    i32 n4 = n & ~3;
    v128_t vmax = wasm_f32x4_splat(max);
    v128_t vsum = wasm_f32x4_splat(0.0f);
    for (i32 j = 0; j < n4; j += 4) {
      v128_t e = qo_expf4(wasm_f32x4_sub(wasm_v128_load(p + j), vmax));
      wasm_v128_store(p + j, e);
      vsum = wasm_f32x4_add(vsum, e);
    }
    f32 sum = hsum_f32x4(vsum);
    for (i32 j = n4; j < n; j++) {
      f32 e = qo_expf(p[j] - max);
      p[j] = e;
      sum += e;
    }
    f32 inv = 1.0f / sum;
    f32* o = A->out + pair * D;
    for (i32 i = 0; i < D; i++) o[i] = 0.0f;
    for (i32 j = 0; j < n; j++) { /* value rows in order: o += p_j · v_j */
      f32 pj = p[j] * inv;
      v128_t vp = wasm_f32x4_splat(pj);
      const f32* vj = v + j * kvStride;
      for (i32 i = 0; i < full; i += 4) wasm_v128_store(o + i, wasm_f32x4_add(wasm_v128_load(o + i), wasm_f32x4_mul(vp, wasm_v128_load(vj + i))));
      for (i32 i = full; i < D; i++) o[i] += pj * vj[i];
    }
  }
}
