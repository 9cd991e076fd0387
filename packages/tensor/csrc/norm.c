/* Qwen3RMSNorm and the residual add, on the calling thread. */
#include "qo.h"

/*
 * out[r, :] = w · (x[r, :] / sqrt(mean(x[r, :]²) + eps)) for each of `rows` rows of `dim`; out may alias x.
 * Σ x² in four f32 lanes, summed (l0 + l1) + (l2 + l3), then the last dim % 4 squares.
 */
QO_EXPORT(qo_rmsnorm)
void qo_rmsnorm(f32* out, const f32* x, const f32* w, i32 rows, i32 dim, f32 eps) {
  i32 full = dim & ~3;
  for (i32 r = 0; r < rows; r++) {
    const f32* xr = x + r * dim;
    f32* o = out + r * dim;
    v128_t acc = wasm_f32x4_splat(0.0f);
    for (i32 i = 0; i < full; i += 4) {
      v128_t v = wasm_v128_load(xr + i);
      acc = wasm_f32x4_add(acc, wasm_f32x4_mul(v, v));
    }
    f32 ss = hsum_f32x4(acc);
    for (i32 i = full; i < dim; i++) ss += xr[i] * xr[i];
    f32 inv = 1.0f / __builtin_sqrtf(ss / (f32)dim + eps);
    v128_t vi = wasm_f32x4_splat(inv);
    for (i32 i = 0; i < full; i += 4) wasm_v128_store(o + i, wasm_f32x4_mul(wasm_v128_load(w + i), wasm_f32x4_mul(wasm_v128_load(xr + i), vi)));
    for (i32 i = full; i < dim; i++) o[i] = w[i] * (xr[i] * inv);
  }
}

/* out = a + b over n values; out may alias a or b. */
QO_EXPORT(qo_add)
void qo_add(f32* out, const f32* a, const f32* b, i32 n) {
  i32 full = n & ~3;
  for (i32 i = 0; i < full; i += 4) wasm_v128_store(out + i, wasm_f32x4_add(wasm_v128_load(a + i), wasm_v128_load(b + i)));
  for (i32 i = full; i < n; i++) out[i] = a[i] + b[i];
}
