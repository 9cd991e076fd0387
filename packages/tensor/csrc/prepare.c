/*
 * Activation preparation for the matmul kernels, run once per input by the calling thread.
 *
 * q8:   x f32 [T, cols] → xq int16 [T, nb·32] (pad = 0) and dx f32 [nb, T] (block-major, so four rows' scales
 *       of one block are one load). Per 32-block, ggml's quantize_row_q8_0_ref rule with 16-bit levels:
 *       d = amax/32767, id = d ? 1/d : 0, q = roundf(x·id) (halves away from zero), all in f32.
 *       ggml quantizes activations to int8 (amax/127) for its q8_0 × q8_0 dot; the kernels here widen
 *       int8 weights to int16 for i32x4.dot_i16x8_s anyway, so 16-bit activations cost nothing and are
 *       256× finer (|S| <= 32·127·32767 < 2^31: no overflow). The scale stays f32, not f16.
 * bf16: x f32 [T, cols] → xp f32 [T, cols]: each full group of 8 as [x0 x2 x4 x6 x1 x3 x5 x7] (the order in
 *       which a bf16 row unpacks in registers), the last cols % 8 values as they are.
 */
#include "qo.h"

static inline f32 roundf_away(f32 v) {
  f32 t = __builtin_truncf(v);
  f32 frac = v - t;
  if (frac >= 0.5f) t += 1.0f;
  else if (frac <= -0.5f) t -= 1.0f;
  return t;
}

static inline v128_t roundf_away4(v128_t v) {
  v128_t t = wasm_f32x4_trunc(v);
  v128_t half = wasm_f32x4_ge(wasm_f32x4_abs(wasm_f32x4_sub(v, t)), wasm_f32x4_splat(0.5f));
  v128_t one = wasm_v128_or(wasm_f32x4_splat(1.0f), wasm_v128_and(v, wasm_i32x4_splat((i32)0x80000000)));
  return wasm_f32x4_add(t, wasm_v128_and(one, half));
}

QO_EXPORT(qo_quantize_q16)
void qo_quantize_q16(const f32* x, i32 T, i32 cols, i32 xstride, i16* xq, f32* dx) {
  i32 nb = (cols + QK - 1) / QK;
  i32 padded = nb * QK;
  for (i32 t = 0; t < T; t++) {
    const f32* xr = x + t * xstride;
    i16* qr = xq + t * padded;
    for (i32 b = 0; b < nb; b++) {
      const f32* xb = xr + b * QK;
      i16* qb = qr + b * QK;
      i32 n = cols - b * QK;
      if (n >= QK) {
        v128_t v[8];
        v128_t m = wasm_f32x4_splat(0.0f);
        for (i32 k = 0; k < 8; k++) {
          v[k] = wasm_v128_load(xb + 4 * k);
          m = wasm_f32x4_max(m, wasm_f32x4_abs(v[k]));
        }
        m = wasm_f32x4_max(m, wasm_i32x4_shuffle(m, m, 2, 3, 0, 1)); /* f32x4.max keeps NaN: a NaN input */
        m = wasm_f32x4_max(m, wasm_i32x4_shuffle(m, m, 1, 0, 3, 2)); /* gives d = NaN, so NaN outputs */
        f32 amax = wasm_f32x4_extract_lane(m, 0);
        f32 d = amax / 32767.0f;
        f32 id = d != 0.0f ? 1.0f / d : 0.0f;
        v128_t vid = wasm_f32x4_splat(id);
        for (i32 k = 0; k < 8; k += 2) {
          v128_t a = wasm_i32x4_trunc_sat_f32x4(roundf_away4(wasm_f32x4_mul(v[k], vid)));
          v128_t c = wasm_i32x4_trunc_sat_f32x4(roundf_away4(wasm_f32x4_mul(v[k + 1], vid)));
          wasm_v128_store(qb + 4 * k, wasm_i16x8_narrow_i32x4(a, c));
        }
        dx[b * T + t] = d;
      } else {
        f32 amax = 0.0f;
        for (i32 j = 0; j < n; j++) {
          f32 a = __builtin_fabsf(xb[j]);
          if (a > amax || a != a) amax = a;
        }
        f32 d = amax / 32767.0f;
        f32 id = d != 0.0f ? 1.0f / d : 0.0f;
        for (i32 j = 0; j < QK; j++) qb[j] = j < n ? (i16)roundf_away(xb[j] * id) : 0;
        dx[b * T + t] = d;
      }
    }
  }
}

QO_EXPORT(qo_pack_bf16)
void qo_pack_bf16(const f32* x, i32 T, i32 cols, i32 xstride, f32* xp) {
  i32 full = cols & ~7;
  for (i32 t = 0; t < T; t++) {
    const f32* xr = x + t * xstride;
    f32* pr = xp + t * cols;
    for (i32 j = 0; j < full; j += 8) {
      v128_t a = wasm_v128_load(xr + j);
      v128_t b = wasm_v128_load(xr + j + 4);
      wasm_v128_store(pr + j, wasm_i32x4_shuffle(a, b, 0, 2, 4, 6));
      wasm_v128_store(pr + j + 4, wasm_i32x4_shuffle(a, b, 1, 3, 5, 7));
    }
    for (i32 j = full; j < cols; j++) pr[j] = xr[j];
  }
}
