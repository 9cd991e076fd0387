/*
 * Shared definitions of qo's WebAssembly SIMD kernels (wasm32 + simd128, shared memory).
 *
 * Rules every kernel follows (the build checks the first two):
 *  - no globals and no data segments: many instances (one per thread) share one memory;
 *  - no shadow stack: each instance has its own __stack_pointer but all would start at the same
 *    address, so no kernel takes the address of a local or keeps an array on the stack;
 *  - deterministic per output: each output value is computed by one thread with one fixed order of
 *    operations, whatever the thread count or the tile that holds it (see Q8_0 dot below).
 *
 * Pointers are byte offsets into the memory; JS passes them as i32.
 */
#ifndef QO_H
#define QO_H

#include <stdint.h>
#include <wasm_simd128.h>

#define QO_EXPORT(name) __attribute__((export_name(#name)))
#define QK 32 /* values per Q8_0 block */

typedef int8_t i8;
typedef int16_t i16;
typedef int32_t i32;
typedef uint16_t u16;
typedef uint32_t u32;
typedef float f32;

static inline f32 bits_f32(u32 b) { return __builtin_bit_cast(f32, b); }
static inline u32 f32_bits(f32 f) { return __builtin_bit_cast(u32, f); }

/* Sum of the four lanes, in the fixed order (l0 + l1) + (l2 + l3). */
static inline f32 hsum_f32x4(v128_t v) {
  return (wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1)) +
         (wasm_f32x4_extract_lane(v, 2) + wasm_f32x4_extract_lane(v, 3));
}

/* [Σ a, Σ b, Σ c, Σ d] over the lanes of four i32x4 (exact: integer adds). */
static inline v128_t hsum4_i32x4(v128_t a, v128_t b, v128_t c, v128_t d) {
  v128_t ab = wasm_i32x4_add(wasm_i32x4_shuffle(a, b, 0, 4, 1, 5), wasm_i32x4_shuffle(a, b, 2, 6, 3, 7));
  v128_t cd = wasm_i32x4_add(wasm_i32x4_shuffle(c, d, 0, 4, 1, 5), wasm_i32x4_shuffle(c, d, 2, 6, 3, 7));
  return wasm_i32x4_add(wasm_i64x2_shuffle(ab, cd, 0, 2), wasm_i64x2_shuffle(ab, cd, 1, 3));
}

static inline i32 hsum_i32x4(v128_t v) {
  return (wasm_i32x4_extract_lane(v, 0) + wasm_i32x4_extract_lane(v, 1)) +
         (wasm_i32x4_extract_lane(v, 2) + wasm_i32x4_extract_lane(v, 3));
}

/*
 * e^x in f32 for the softmax and SiLU: x = n·ln2 + r with |r| <= ln2/2 (ln2 split in two parts so the
 * reduction is exact), e^r by its degree-7 Taylor polynomial (error < 1 ulp), 2^n through the exponent
 * bits. Returns 0 below -87.3 (e^x under the f32 normal range) and +inf above 88.7.
 */
static inline f32 qo_expf(f32 x) {
  if (x < -87.33654f) return 0.0f;
  if (x > 88.72283f) return __builtin_inff();
  f32 n = __builtin_rintf(x * 1.44269504088896341f);
  f32 r = (x - n * 0.693145751953125f) - n * 1.42860682030941723212e-6f;
  f32 p = 1.0f + r * (1.0f + r * (0.5f + r * (0.166666666666666667f + r * (0.041666666666666667f + r * (0.00833333333333333333f + r * (0.00138888888888888889f + r * 1.98412698412698413e-4f))))));
  return p * bits_f32((u32)((i32)n + 127) << 23);
}

/* Same, four lanes at once (lanes below -87.3 give 0; no lane may exceed 88.7: callers pass x <= 0). */
static inline v128_t qo_expf4(v128_t x) {
  v128_t tiny = wasm_f32x4_lt(x, wasm_f32x4_splat(-87.33654f));
  x = wasm_f32x4_max(x, wasm_f32x4_splat(-87.33654f));
  v128_t n = wasm_f32x4_nearest(wasm_f32x4_mul(x, wasm_f32x4_splat(1.44269504088896341f)));
  v128_t r = wasm_f32x4_sub(wasm_f32x4_sub(x, wasm_f32x4_mul(n, wasm_f32x4_splat(0.693145751953125f))),
                            wasm_f32x4_mul(n, wasm_f32x4_splat(1.42860682030941723212e-6f)));
  v128_t p = wasm_f32x4_splat(1.98412698412698413e-4f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(0.00138888888888888889f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(0.00833333333333333333f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(0.041666666666666667f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(0.166666666666666667f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(0.5f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f));
  v128_t scale = wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(n), wasm_i32x4_splat(127)), 23);
  return wasm_v128_andnot(wasm_f32x4_mul(p, scale), tiny);
}

/*
 * Rows [lo, hi) of n that thread `tid` of `nth` owns: contiguous chunks, a multiple of `align` rows each
 * (the last thread takes the remainder; a thread may get none).
 */
static inline void qo_split(i32 n, i32 tid, i32 nth, i32 align, i32* lo, i32* hi) {
  i32 chunk = (n + nth - 1) / nth;
  chunk = (chunk + align - 1) / align * align;
  i32 a = tid * chunk;
  i32 b = a + chunk;
  *lo = a < n ? a : n;
  *hi = b < n ? b : n;
}

#endif
