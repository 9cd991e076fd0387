/*
 * out[t, r] = Σ_c x[t, c] · w[r, c]  (nn.Linear without bias) for f32, bf16 and Q8_0 weights, split by
 * output rows across threads. One call may hold up to three weights that read the same input (q/k/v),
 * and SwiGLU fuses gate, up and silu(gate)·up.
 *
 * Per output, the order of operations is fixed (so the thread count never changes a bit):
 *   Q8_0: p_b = (f32) S_b · (dw_b · dx_b) per block (S_b the exact int32 dot of the block's int8 weights and
 *         int16 activations, see prepare.c; (f32) rounds to nearest even); T > 1: acc += p_b in block order;
 *         T = 1 (decode): four lanes, lane j summing p_b of blocks 4i + j, then (l0 + l1) + (l2 + l3), then the
 *         last nb % 4 blocks in order
 *   bf16: one f32x4 accumulator over groups of 8: acc += w_even·x_even; acc += w_odd·x_odd; then the lanes
 *         (l0 + l1) + (l2 + l3); then the last cols % 8 products, in order
 *   f32:  one f32x4 accumulator over groups of 4, lanes summed the same way, then the last cols % 4
 * Other tiles only share loads between outputs.
 */
#include "qo.h"

enum { DT_F32 = 0, DT_BF16 = 1, DT_Q8_0 = 2 };
enum { MODE_STORE = 0, MODE_ADD = 1 };

/* One weight and where its outputs go. */
typedef struct {
  i32 dtype;
  i32 rows;
  const void* w;  /* f32 [rows, cols] | bf16 bits [rows, cols] | int8 [rows, nb·32] */
  const u16* d;   /* Q8_0: f16 scale bits [rows, nb] */
  f32* out;       /* out[t · ostride + r] */
  i32 ostride;
  i32 mode;       /* MODE_STORE or MODE_ADD (out += x·wᵀ, the residual) */
  i32 unused;
} Seg;

/* Parameters of qo_linear and qo_swiglu (mirrored in src/wasm/layout.ts). */
typedef struct {
  i32 T;
  i32 cols;
  const void* x;     /* Q8_0: int16 [T, nb·32]; bf16: packed f32 [T, cols]; f32: f32 [T, cols] */
  const f32* dx;     /* Q8_0: [nb, T] */
  const f32* f16;    /* f16 bits → f32 table [65536] */
  i32 nseg;
  i32 unused[2];
  Seg seg[3];
} Linear;

/* word offsets that src/wasm/layout.ts relies on */
_Static_assert(sizeof(Seg) == 32 && __builtin_offsetof(Seg, mode) == 24, "Seg layout");
_Static_assert(__builtin_offsetof(Linear, nseg) == 20 && __builtin_offsetof(Linear, seg) == 32 && sizeof(Linear) == 128, "Linear layout");

static inline void put(const Seg* s, i32 t, i32 r, f32 v) {
  f32* o = s->out + t * s->ostride + r;
  *o = s->mode == MODE_ADD ? *o + v : v;
}

static inline void put4r(const Seg* s, i32 t, i32 r, v128_t v) { /* rows r..r+3 of one t */
  put(s, t, r, wasm_f32x4_extract_lane(v, 0));
  put(s, t, r + 1, wasm_f32x4_extract_lane(v, 1));
  put(s, t, r + 2, wasm_f32x4_extract_lane(v, 2));
  put(s, t, r + 3, wasm_f32x4_extract_lane(v, 3));
}

static inline void put4t(const Seg* s, i32 t, i32 r, v128_t v) { /* t..t+3 of one row r */
  put(s, t, r, wasm_f32x4_extract_lane(v, 0));
  put(s, t + 1, r, wasm_f32x4_extract_lane(v, 1));
  put(s, t + 2, r, wasm_f32x4_extract_lane(v, 2));
  put(s, t + 3, r, wasm_f32x4_extract_lane(v, 3));
}

/* ---------------------------------------------------------------- Q8_0 */

/* i32x4 partial sums of one 32-block: int8 weights (widened here) · int16 activations (|sum| < 2^31). */
static inline v128_t q8_dot_blk(const i8* w, const i16* x) {
  v128_t w0 = wasm_v128_load(w);
  v128_t w1 = wasm_v128_load(w + 16);
  v128_t s = wasm_i32x4_dot_i16x8(wasm_i16x8_extend_low_i8x16(w0), wasm_v128_load(x));
  s = wasm_i32x4_add(s, wasm_i32x4_dot_i16x8(wasm_i16x8_extend_high_i8x16(w0), wasm_v128_load(x + 8)));
  s = wasm_i32x4_add(s, wasm_i32x4_dot_i16x8(wasm_i16x8_extend_low_i8x16(w1), wasm_v128_load(x + 16)));
  return wasm_i32x4_add(s, wasm_i32x4_dot_i16x8(wasm_i16x8_extend_high_i8x16(w1), wasm_v128_load(x + 24)));
}

/* Rows r..r+3, one activation row t. */
static inline __attribute__((always_inline)) void q8_gemv4(const Linear* L, const Seg* s, i32 r, i32 t) {
  i32 nb = (L->cols + QK - 1) / QK;
  const i8* w = (const i8*)s->w + r * nb * QK;
  const u16* d = s->d + r * nb;
  const i16* x = (const i16*)L->x + t * nb * QK;
  const f32* f16 = L->f16;
  i32 rs = nb * QK;
  v128_t acc = wasm_f32x4_splat(0.0f);
  for (i32 b = 0; b < nb; b++) {
    const i16* xb = x + b * QK;
    const i8* wb = w + b * QK;
    v128_t S = hsum4_i32x4(q8_dot_blk(wb, xb), q8_dot_blk(wb + rs, xb), q8_dot_blk(wb + 2 * rs, xb), q8_dot_blk(wb + 3 * rs, xb));
    v128_t dw = wasm_f32x4_make(f16[d[b]], f16[d[b + nb]], f16[d[b + 2 * nb]], f16[d[b + 3 * nb]]);
    v128_t sc = wasm_f32x4_mul(dw, wasm_f32x4_splat(L->dx[b * L->T + t]));
    acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(S), sc));
  }
  put4r(s, t, r, acc);
}

/* f16 bits in the low half of each u32 lane → f32 (exact for normal and subnormal halves; scales are finite). */
static inline v128_t f16x4_f32(v128_t h) {
  v128_t bits = wasm_v128_and(wasm_i32x4_shr(wasm_i32x4_shl(h, 16), 3), wasm_i32x4_splat((i32)0x8fffe000));
  return wasm_f32x4_mul(bits, wasm_f32x4_splat(0x1p112f));
}

/*
 * One row r, the only activation row (T = 1, decode): four blocks at a time, their exact sums in the four
 * lanes, so the four scales are one load and one conversion. Order: lane j accumulates blocks 4i + j,
 * lanes summed (l0 + l1) + (l2 + l3), then the last nb % 4 blocks in order.
 */
static inline __attribute__((always_inline)) void q8_gemv_t1(const Linear* L, const Seg* s, i32 r) {
  i32 nb = (L->cols + QK - 1) / QK;
  const i8* w = (const i8*)s->w + r * nb * QK;
  const u16* d = s->d + r * nb;
  const i16* x = (const i16*)L->x;
  const f32* dx = L->dx;
  v128_t acc = wasm_f32x4_splat(0.0f);
  i32 b = 0;
  for (; b + 4 <= nb; b += 4) {
    const i8* wb = w + b * QK;
    const i16* xb = x + b * QK;
    v128_t S = hsum4_i32x4(q8_dot_blk(wb, xb), q8_dot_blk(wb + QK, xb + QK), q8_dot_blk(wb + 2 * QK, xb + 2 * QK), q8_dot_blk(wb + 3 * QK, xb + 3 * QK));
    v128_t sc = wasm_f32x4_mul(f16x4_f32(wasm_u32x4_load16x4(d + b)), wasm_v128_load(dx + b));
    acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(S), sc));
  }
  f32 sum = hsum_f32x4(acc);
  for (; b < nb; b++) {
    i32 S = hsum_i32x4(q8_dot_blk(w + b * QK, x + b * QK));
    sum += (f32)S * (L->f16[d[b]] * dx[b]);
  }
  put(s, 0, r, sum);
}

/*
 * Rows r, r + q, r + 2q, r + 3q together (T = 1), sharing the activation loads; each row's arithmetic is
 * q8_gemv_t1's. Four rows a quarter of a range apart are four sequential memory streams: the hardware
 * prefetchers keep more bytes in flight than for one stream (measured: decode ~1.4x faster on 2 cores).
 */
static inline __attribute__((always_inline)) void q8_gemv_t1x4(const Linear* L, const Seg* s, i32 r, i32 q) {
  i32 nb = (L->cols + QK - 1) / QK, rs = nb * QK;
  const i8* w0 = (const i8*)s->w + r * rs;
  const u16* d0 = s->d + r * nb;
  const i16* x = (const i16*)L->x;
  const f32* dx = L->dx;
  v128_t a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0;
  i32 b = 0;
  for (; b + 4 <= nb; b += 4) {
    const i16* xb = x + b * QK;
    v128_t dxv = wasm_v128_load(dx + b);
#define ROWQ(k, acc) { const i8* p = w0 + (k) * q * rs + b * QK; \
      v128_t S = hsum4_i32x4(q8_dot_blk(p, xb), q8_dot_blk(p + QK, xb + QK), q8_dot_blk(p + 2 * QK, xb + 2 * QK), q8_dot_blk(p + 3 * QK, xb + 3 * QK)); \
      acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(S), wasm_f32x4_mul(f16x4_f32(wasm_u32x4_load16x4(d0 + (k) * q * nb + b)), dxv))); }
    ROWQ(0, a0) ROWQ(1, a1) ROWQ(2, a2) ROWQ(3, a3)
#undef ROWQ
  }
  f32 s0 = hsum_f32x4(a0), s1 = hsum_f32x4(a1), s2 = hsum_f32x4(a2), s3 = hsum_f32x4(a3);
  for (; b < nb; b++) {
    s0 += (f32)hsum_i32x4(q8_dot_blk(w0 + b * QK, x + b * QK)) * (L->f16[d0[b]] * dx[b]);
    s1 += (f32)hsum_i32x4(q8_dot_blk(w0 + q * rs + b * QK, x + b * QK)) * (L->f16[d0[q * nb + b]] * dx[b]);
    s2 += (f32)hsum_i32x4(q8_dot_blk(w0 + 2 * q * rs + b * QK, x + b * QK)) * (L->f16[d0[2 * q * nb + b]] * dx[b]);
    s3 += (f32)hsum_i32x4(q8_dot_blk(w0 + 3 * q * rs + b * QK, x + b * QK)) * (L->f16[d0[3 * q * nb + b]] * dx[b]);
  }
  put(s, 0, r, s0);
  put(s, 0, r + q, s1);
  put(s, 0, r + 2 * q, s2);
  put(s, 0, r + 3 * q, s3);
}

/* One row r, one activation row t. */
static inline __attribute__((always_inline)) void q8_gemv1(const Linear* L, const Seg* s, i32 r, i32 t) {
  i32 nb = (L->cols + QK - 1) / QK;
  const i8* w = (const i8*)s->w + r * nb * QK;
  const u16* d = s->d + r * nb;
  const i16* x = (const i16*)L->x + t * nb * QK;
  f32 acc = 0.0f;
  for (i32 b = 0; b < nb; b++) {
    i32 S = hsum_i32x4(q8_dot_blk(w + b * QK, x + b * QK));
    acc += (f32)S * (L->f16[d[b]] * L->dx[b * L->T + t]);
  }
  put(s, t, r, acc);
}

/*
 * Rows r, r+1 (pair = 1) or just r (pair = 0), activation rows t..t+3: per half block, the weights of
 * both rows are widened once and each activation vector is loaded once for both rows, so 8 sums, 4
 * widened weight vectors and 2 activation vectors are live (14 of the 16 registers V8 uses).
 */
static inline __attribute__((always_inline)) void q8_tile(const Linear* L, const Seg* s, i32 r, i32 t, i32 pair) {
  i32 nb = (L->cols + QK - 1) / QK;
  i32 rs = nb * QK;
  const i8* wa = (const i8*)s->w + r * rs;
  const i8* wb = pair ? wa + rs : wa;
  const u16* d = s->d + r * nb;
  const i16* x0 = (const i16*)L->x + t * rs;
  const f32* f16 = L->f16;
  v128_t acc0 = wasm_f32x4_splat(0.0f), acc1 = acc0;
  for (i32 b = 0; b < nb; b++) {
    v128_t A0 = wasm_i32x4_splat(0), A1 = A0, A2 = A0, A3 = A0, B0 = A0, B1 = A0, B2 = A0, B3 = A0;
    for (i32 h = 0; h < QK; h += 16) {
      i32 o = b * QK + h;
      v128_t va = wasm_v128_load(wa + o), vb = wasm_v128_load(wb + o);
      v128_t aLo = wasm_i16x8_extend_low_i8x16(va), aHi = wasm_i16x8_extend_high_i8x16(va);
      v128_t bLo = wasm_i16x8_extend_low_i8x16(vb), bHi = wasm_i16x8_extend_high_i8x16(vb);
#define Q8_T(k, A, B)                                                                                    \
  {                                                                                                       \
    const i16* xp = x0 + (k) * rs + o;                                                                    \
    v128_t xl = wasm_v128_load(xp), xh = wasm_v128_load(xp + 8);                                         \
    A = wasm_i32x4_add(A, wasm_i32x4_add(wasm_i32x4_dot_i16x8(aLo, xl), wasm_i32x4_dot_i16x8(aHi, xh))); \
    B = wasm_i32x4_add(B, wasm_i32x4_add(wasm_i32x4_dot_i16x8(bLo, xl), wasm_i32x4_dot_i16x8(bHi, xh))); \
  }
      Q8_T(0, A0, B0) Q8_T(1, A1, B1) Q8_T(2, A2, B2) Q8_T(3, A3, B3)
#undef Q8_T
    }
    v128_t dx = wasm_v128_load(L->dx + b * L->T + t);
    acc0 = wasm_f32x4_add(acc0, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(hsum4_i32x4(A0, A1, A2, A3)),
                                               wasm_f32x4_mul(wasm_f32x4_splat(f16[d[b]]), dx)));
    if (pair)
      acc1 = wasm_f32x4_add(acc1, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(hsum4_i32x4(B0, B1, B2, B3)),
                                                 wasm_f32x4_mul(wasm_f32x4_splat(f16[d[b + nb]]), dx)));
  }
  put4t(s, t, r, acc0);
  if (pair) put4t(s, t, r + 1, acc1);
}

/* q8_tile specialized for a pair of rows and for one row (a constant `pair`, so no branch splits the rows' work). */
static inline __attribute__((always_inline)) void q8_tile2(const Linear* L, const Seg* s, i32 r, i32 t) { q8_tile(L, s, r, t, 1); }
static inline __attribute__((always_inline)) void q8_tile1(const Linear* L, const Seg* s, i32 r, i32 t) { q8_tile(L, s, r, t, 0); }

/* ---------------------------------------------------------------- bf16 */

/* Eight bf16 weights as f32: even = [w0 w2 w4 w6], odd = [w1 w3 w5 w7] (bf16 is the top half of an f32). */
#define BF16_UNPACK(p, ev, od)                                      \
  v128_t ev##_raw = wasm_v128_load(p);                               \
  v128_t ev = wasm_i32x4_shl(ev##_raw, 16);                          \
  v128_t od = wasm_v128_and(ev##_raw, wasm_i32x4_splat((i32)0xffff0000))

static inline f32 bf16_val(u16 h) { return bits_f32((u32)h << 16); }

static inline __attribute__((always_inline)) f32 bf16_tail(const u16* w, const f32* x, i32 from, i32 cols) {
  f32 s = 0.0f;
  for (i32 c = from; c < cols; c++) s += bf16_val(w[c]) * x[c];
  return s;
}

/* Rows r, r + stride, … (nr <= 4 of them), one activation row t: the rows share the activation loads. */
static inline __attribute__((always_inline)) void bf16_gemv(const Linear* L, const Seg* s, i32 r, i32 stride, i32 nr, i32 t) {
  i32 cols = L->cols, full = cols & ~7;
  const u16* w = (const u16*)s->w + r * cols;
  const u16* w1 = w + stride * cols;
  const u16* w2 = w1 + stride * cols;
  const u16* w3 = w2 + stride * cols;
  const f32* x = (const f32*)L->x + t * cols;
  v128_t a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0;
  for (i32 c = 0; c < full; c += 8) {
    v128_t xe = wasm_v128_load(x + c), xo = wasm_v128_load(x + c + 4);
    { BF16_UNPACK(w + c, e, o); a0 = wasm_f32x4_add(wasm_f32x4_add(a0, wasm_f32x4_mul(e, xe)), wasm_f32x4_mul(o, xo)); }
    if (nr > 1) { BF16_UNPACK(w1 + c, e, o); a1 = wasm_f32x4_add(wasm_f32x4_add(a1, wasm_f32x4_mul(e, xe)), wasm_f32x4_mul(o, xo)); }
    if (nr > 2) { BF16_UNPACK(w2 + c, e, o); a2 = wasm_f32x4_add(wasm_f32x4_add(a2, wasm_f32x4_mul(e, xe)), wasm_f32x4_mul(o, xo)); }
    if (nr > 3) { BF16_UNPACK(w3 + c, e, o); a3 = wasm_f32x4_add(wasm_f32x4_add(a3, wasm_f32x4_mul(e, xe)), wasm_f32x4_mul(o, xo)); }
  }
  put(s, t, r, hsum_f32x4(a0) + bf16_tail(w, x, full, cols));
  if (nr > 1) put(s, t, r + stride, hsum_f32x4(a1) + bf16_tail(w1, x, full, cols));
  if (nr > 2) put(s, t, r + 2 * stride, hsum_f32x4(a2) + bf16_tail(w2, x, full, cols));
  if (nr > 3) put(s, t, r + 3 * stride, hsum_f32x4(a3) + bf16_tail(w3, x, full, cols));
}

/* Rows r, r+1 (pair) or r, activation rows t..t+3. */
static inline __attribute__((always_inline)) void bf16_tile(const Linear* L, const Seg* s, i32 r, i32 t, i32 pair) {
  i32 cols = L->cols, full = cols & ~7;
  const u16* w = (const u16*)s->w + r * cols;
  const f32* x0 = (const f32*)L->x + t * cols;
  const f32 *x1 = x0 + cols, *x2 = x1 + cols, *x3 = x2 + cols;
  v128_t a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
#define BF16_ACC(a, xp, e, o) a = wasm_f32x4_add(wasm_f32x4_add(a, wasm_f32x4_mul(e, wasm_v128_load(xp + c))), wasm_f32x4_mul(o, wasm_v128_load(xp + c + 4)))
  for (i32 c = 0; c < full; c += 8) {
    BF16_UNPACK(w + c, e, o);
    BF16_ACC(a0, x0, e, o); BF16_ACC(a1, x1, e, o); BF16_ACC(a2, x2, e, o); BF16_ACC(a3, x3, e, o);
    if (pair) {
      BF16_UNPACK(w + cols + c, e2, o2);
      BF16_ACC(b0, x0, e2, o2); BF16_ACC(b1, x1, e2, o2); BF16_ACC(b2, x2, e2, o2); BF16_ACC(b3, x3, e2, o2);
    }
  }
#undef BF16_ACC
  put(s, t, r, hsum_f32x4(a0) + bf16_tail(w, x0, full, cols));
  put(s, t + 1, r, hsum_f32x4(a1) + bf16_tail(w, x1, full, cols));
  put(s, t + 2, r, hsum_f32x4(a2) + bf16_tail(w, x2, full, cols));
  put(s, t + 3, r, hsum_f32x4(a3) + bf16_tail(w, x3, full, cols));
  if (pair) {
    const u16* w1 = w + cols;
    put(s, t, r + 1, hsum_f32x4(b0) + bf16_tail(w1, x0, full, cols));
    put(s, t + 1, r + 1, hsum_f32x4(b1) + bf16_tail(w1, x1, full, cols));
    put(s, t + 2, r + 1, hsum_f32x4(b2) + bf16_tail(w1, x2, full, cols));
    put(s, t + 3, r + 1, hsum_f32x4(b3) + bf16_tail(w1, x3, full, cols));
  }
}

static inline __attribute__((always_inline)) void bf16_tile2(const Linear* L, const Seg* s, i32 r, i32 t) { bf16_tile(L, s, r, t, 1); }
static inline __attribute__((always_inline)) void bf16_tile1(const Linear* L, const Seg* s, i32 r, i32 t) { bf16_tile(L, s, r, t, 0); }

/* ---------------------------------------------------------------- f32 */

static inline __attribute__((always_inline)) f32 f32_dot(const f32* w, const f32* x, i32 cols) {
  i32 full = cols & ~3;
  v128_t a = wasm_f32x4_splat(0.0f);
  for (i32 c = 0; c < full; c += 4) a = wasm_f32x4_add(a, wasm_f32x4_mul(wasm_v128_load(w + c), wasm_v128_load(x + c)));
  f32 s = hsum_f32x4(a);
  for (i32 c = full; c < cols; c++) s += w[c] * x[c];
  return s;
}

/* ---------------------------------------------------------------- drivers */

/*
 * Rows [r0, r1) of one weight for every activation row. Prefill (T >= 4) walks the rows in chunks of
 * about 16 KiB of weights, and for each chunk every group of four activation rows, so the chunk is read
 * from L1 T/4 times and from memory once.
 */
static inline __attribute__((always_inline)) void seg_rows(const Linear* L, const Seg* s, i32 r0, i32 r1) {
  i32 T = L->T, cols = L->cols;
  i32 t4 = T & ~3;
  if (s->dtype == DT_F32) {
    const f32* x = (const f32*)L->x;
    for (i32 r = r0; r < r1; r++)
      for (i32 t = 0; t < T; t++) put(s, t, r, f32_dot((const f32*)s->w + r * cols, x + t * cols, cols));
    return;
  }
  i32 rowBytes = s->dtype == DT_Q8_0 ? (cols + QK - 1) / QK * QK : 2 * cols;
  i32 chunk = (16384 / rowBytes) & ~1;
  if (chunk < 2) chunk = 2;
  for (i32 c0 = r0; c0 < r1 && t4 > 0; c0 += chunk) {
    i32 c1 = c0 + chunk < r1 ? c0 + chunk : r1;
    for (i32 t = 0; t < t4; t += 4) {
      i32 r = c0;
      if (s->dtype == DT_Q8_0) {
        for (; r + 2 <= c1; r += 2) q8_tile2(L, s, r, t);
        if (r < c1) q8_tile1(L, s, r, t);
      } else {
        for (; r + 2 <= c1; r += 2) bf16_tile2(L, s, r, t);
        if (r < c1) bf16_tile1(L, s, r, t);
      }
    }
  }
  if (T == 1 && s->dtype == DT_Q8_0) { /* decode: four streams, see q8_gemv_t1x4 */
    i32 q = (r1 - r0) / 4;
    for (i32 i = 0; i < q; i++) q8_gemv_t1x4(L, s, r0 + i, q);
    for (i32 r = r0 + 4 * q; r < r1; r++) q8_gemv_t1(L, s, r);
    return;
  }
  if (T == 1 && s->dtype == DT_BF16) {
    i32 q = (r1 - r0) / 4; /* four rows a quarter of the range apart: four prefetch streams, shared loads of x */
    for (i32 i = 0; i < q; i++) bf16_gemv(L, s, r0 + i, q, 4, 0);
    for (i32 r = r0 + 4 * q; r < r1; r++) bf16_gemv(L, s, r, 1, 1, 0);
    return;
  }
  for (i32 t = t4; t < T; t++) {
    i32 r = r0;
    if (s->dtype == DT_Q8_0) {
      for (; r + 4 <= r1; r += 4) q8_gemv4(L, s, r, t);
      for (; r < r1; r++) q8_gemv1(L, s, r, t);
    } else {
      for (; r + 4 <= r1; r += 4) bf16_gemv(L, s, r, 1, 4, t);
      if (r < r1) bf16_gemv(L, s, r, 1, r1 - r, t);
    }
  }
}

/* The rows of all segments, numbered one after the other, split across threads. */
void qo_linear(const void* params, i32 tid, i32 nth) {
  const Linear* L = params;
  i32 total = 0;
  for (i32 k = 0; k < L->nseg; k++) total += L->seg[k].rows;
  i32 lo, hi;
  qo_split(total, tid, nth, 4, &lo, &hi);
  i32 base = 0;
  for (i32 k = 0; k < L->nseg; k++) {
    const Seg* s = &L->seg[k];
    i32 a = lo > base ? lo - base : 0;
    i32 b = hi - base < s->rows ? hi - base : s->rows;
    if (a < b) seg_rows(L, s, a, b);
    base += s->rows;
  }
}

/*
 * SwiGLU: seg[0] = gate_proj (out: the result), seg[1] = up_proj (out: scratch [T, rows]), equal rows.
 * out[t, r] = silu(gate) · up, SiLU as x / (1 + e^-x). Rows split across threads; each thread finishes
 * its rows without waiting for the others.
 */
void qo_swiglu(const void* params, i32 tid, i32 nth) {
  const Linear* L = params;
  const Seg* g = &L->seg[0];
  const Seg* u = &L->seg[1];
  i32 lo, hi;
  qo_split(g->rows, tid, nth, 4, &lo, &hi);
  if (lo >= hi) return;
  seg_rows(L, g, lo, hi);
  seg_rows(L, u, lo, hi);
  for (i32 t = 0; t < L->T; t++) {
    f32* o = g->out + t * g->ostride;
    const f32* up = u->out + t * u->ostride;
    for (i32 r = lo; r < hi; r++) {
      f32 v = o[r];
      o[r] = v / (1.0f + qo_expf(-v)) * up[r];
    }
  }
}
