// AVX2 + FMA + F16C kernels, compiled per function (target attribute) and chosen at run time.

#include "CKernels.h"
#include "internal.h"

#if CK_X86

#include <immintrin.h>
#include <math.h>
#include <string.h>

static _Thread_local int simd_enabled = 1;  // per thread, so a test can force the scalar path safely
static int simd_detected = -1;

int ck_use_avx2(void) {
    if (!simd_enabled) return 0;
    if (simd_detected < 0) {
        __builtin_cpu_init();
        simd_detected = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
    }
    return simd_detected;
}

int ck_simd_level(void) { return ck_use_avx2() ? 1 : 0; }
void ck_set_simd_enabled(int enabled) { simd_enabled = enabled ? 1 : 0; }

#define AVX2 __attribute__((target("avx2,fma,f16c")))

// Hardware half-to-float inside the AVX2 kernels (the portable F16() is a function call).
#undef F16
#define F16(h) _cvtsh_ss(h)

AVX2 static inline float hsum_ps(__m256 v) {
    __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
    lo = _mm_add_ps(lo, hi);
    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
    return _mm_cvtss_f32(lo);
}

AVX2 static inline __m256 f16x8(const uint16_t *p) {
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
}

AVX2 void ck_f32_to_f16_row_avx2(const float *x, uint16_t *y, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        _mm_storeu_si128((__m128i *)(y + i), _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
    }
    for (; i < n; i++) y[i] = ck_f32_to_f16(x[i]);
}

// One block of 32 activations to signed bytes: the largest magnitude, d = amax / 127, each value
// times 127 / amax rounded to the nearest integer (ties to even, as nearbyintf), as eight-lane
// vectors; the bytes go to `qs`, their sum is returned.
AVX2 static inline int quantize_block32(const float *x, int8_t *qs, float *d_out) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    const __m256 v0 = _mm256_loadu_ps(x), v1 = _mm256_loadu_ps(x + 8), v2 = _mm256_loadu_ps(x + 16), v3 = _mm256_loadu_ps(x + 24);
    __m256 m = _mm256_max_ps(_mm256_max_ps(_mm256_andnot_ps(sign, v0), _mm256_andnot_ps(sign, v1)),
                             _mm256_max_ps(_mm256_andnot_ps(sign, v2), _mm256_andnot_ps(sign, v3)));
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
    const float amax = _mm_cvtss_f32(m4);
    *d_out = amax / 127.f;
    const __m256 id = _mm256_set1_ps(amax != 0 ? 127.f / amax : 0.f);
    const __m256i i0 = _mm256_cvtps_epi32(_mm256_mul_ps(v0, id)), i1 = _mm256_cvtps_epi32(_mm256_mul_ps(v1, id));
    const __m256i i2 = _mm256_cvtps_epi32(_mm256_mul_ps(v2, id)), i3 = _mm256_cvtps_epi32(_mm256_mul_ps(v3, id));
    const __m256i s = _mm256_add_epi32(_mm256_add_epi32(i0, i1), _mm256_add_epi32(i2, i3));
    __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
    s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0x4E));
    s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0xB1));
    // Saturating packs keep the values (all within [-127, 127]); the permute undoes their lane interleave.
    const __m256i bytes = _mm256_packs_epi16(_mm256_packs_epi32(i0, i1), _mm256_packs_epi32(i2, i3));
    _mm256_storeu_si256((__m256i *)qs, _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
    return _mm_cvtsi128_si32(s4);
}

AVX2 void ck_quantize_q8_0_avx2(const float *x, block_q8_0 *y, int64_t n) {
    for (int64_t i = 0; i < n / QK; i++, x += QK) {
        float d;
        quantize_block32(x, y[i].qs, &d);
        y[i].d = ck_f32_to_f16(d);
    }
}

AVX2 void ck_quantize_q8_1_avx2(const float *x, block_q8_1 *y, int64_t n) {
    for (int64_t i = 0; i < n / QK; i++, x += QK) {
        float d;
        const int sum = quantize_block32(x, y[i].qs, &d);
        y[i].d = ck_f32_to_f16(d);
        y[i].s = ck_f32_to_f16(d * (float)sum);
    }
}

// Sum of products of signed bytes, as eight int32 lanes converted to float.
AVX2 static inline __m256 dot_i8_pairs(__m256i x, __m256i y) {
    const __m256i ax = _mm256_sign_epi8(x, x);
    const __m256i sy = _mm256_sign_epi8(y, x);
    const __m256i dot16 = _mm256_maddubs_epi16(ax, sy);
    return _mm256_cvtepi32_ps(_mm256_madd_epi16(dot16, _mm256_set1_epi16(1)));
}

AVX2 static inline __m256i nibbles32(const uint8_t *qs) {
    const __m128i q = _mm_loadu_si128((const __m128i *)qs);
    const __m256i both = _mm256_set_m128i(_mm_srli_epi16(q, 4), q);
    return _mm256_and_si256(both, _mm256_set1_epi8(0x0F));
}

AVX2 float ck_dot_q4_0_avx2(int64_t n, const block_q4_0 *w, const block_q8_0 *x) {
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / QK; i++) {
        const __m256 d = _mm256_set1_ps(F16(w[i].d) * F16(x[i].d));
        const __m256i qw = _mm256_sub_epi8(nibbles32(w[i].qs), _mm256_set1_epi8(8));
        const __m256i qx = _mm256_loadu_si256((const __m256i *)x[i].qs);
        acc = _mm256_fmadd_ps(d, dot_i8_pairs(qw, qx), acc);
    }
    return hsum_ps(acc);
}

AVX2 float ck_dot_q4_1_avx2(int64_t n, const block_q4_1 *w, const block_q8_1 *x) {
    __m256 acc = _mm256_setzero_ps();
    float mins = 0;
    const __m256i ones = _mm256_set1_epi16(1);
    for (int64_t i = 0; i < n / QK; i++) {
        mins = fmaf(F16(w[i].m), F16(x[i].s), mins);  // contracted, as llama.cpp is built
        const __m256 d = _mm256_set1_ps(F16(w[i].d) * F16(x[i].d));
        const __m256i qw = nibbles32(w[i].qs);
        const __m256i qx = _mm256_loadu_si256((const __m256i *)x[i].qs);
        const __m256i dot = _mm256_madd_epi16(_mm256_maddubs_epi16(qw, qx), ones);
        acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(dot), acc);
    }
    return hsum_ps(acc) + mins;
}

AVX2 float ck_dot_q8_0_avx2(int64_t n, const block_q8_0 *w, const block_q8_0 *x) {
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / QK; i++) {
        const __m256 d = _mm256_set1_ps(F16(w[i].d) * F16(x[i].d));
        const __m256i qw = _mm256_loadu_si256((const __m256i *)w[i].qs);
        const __m256i qx = _mm256_loadu_si256((const __m256i *)x[i].qs);
        acc = _mm256_fmadd_ps(d, dot_i8_pairs(qw, qx), acc);
    }
    return hsum_ps(acc);
}

AVX2 void ck_dot4_q4_1_avx2(int64_t n, const block_q4_1 *w, const block_q8_1 *x, size_t x_stride, float *out) {
    const block_q8_1 *xs[4];
    for (int j = 0; j < 4; j++) xs[j] = (const block_q8_1 *)((const uint8_t *)x + j * x_stride);
    __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    float mins[4] = {0, 0, 0, 0};
    const __m256i ones = _mm256_set1_epi16(1);
    for (int64_t i = 0; i < n / QK; i++) {
        const float dw = F16(w[i].d), mw = F16(w[i].m);
        const __m256i qw = nibbles32(w[i].qs);
        for (int j = 0; j < 4; j++) {
            const block_q8_1 *b = xs[j] + i;
            mins[j] = fmaf(mw, F16(b->s), mins[j]);
            const __m256i qx = _mm256_loadu_si256((const __m256i *)b->qs);
            const __m256i dot = _mm256_madd_epi16(_mm256_maddubs_epi16(qw, qx), ones);
            acc[j] = _mm256_fmadd_ps(_mm256_set1_ps(dw * F16(b->d)), _mm256_cvtepi32_ps(dot), acc[j]);
        }
    }
    for (int j = 0; j < 4; j++) out[j] = hsum_ps(acc[j]) + mins[j];
}

// Eight activation rows against one Q4_1 weight row: the weight block is unpacked once per eight
// rows. `VNNI` fuses the byte products and pair sums into one instruction (same integers).
#define DOT8_Q4_1(NAME, ATTR, PRODUCT)                                                               \
ATTR void NAME(int64_t n, const block_q4_1 *w, const block_q8_1 *x, size_t x_stride, float *out) { \
    __m256 acc[8];                                                                                  \
    float mins[8];                                                                                  \
    for (int j = 0; j < 8; j++) { acc[j] = _mm256_setzero_ps(); mins[j] = 0; }                       \
    for (int64_t i = 0; i < n / QK; i++) {                                                          \
        const float dw = F16(w[i].d), mw = F16(w[i].m);                                             \
        const __m256i qw = nibbles32(w[i].qs);                                                      \
        for (int j = 0; j < 8; j++) {                                                               \
            const block_q8_1 *b = (const block_q8_1 *)((const uint8_t *)x + j * x_stride) + i;     \
            mins[j] = fmaf(mw, F16(b->s), mins[j]);                                                 \
            const __m256i qx = _mm256_loadu_si256((const __m256i *)b->qs);                          \
            acc[j] = _mm256_fmadd_ps(_mm256_set1_ps(dw * F16(b->d)), _mm256_cvtepi32_ps(PRODUCT), acc[j]); \
        }                                                                                           \
    }                                                                                               \
    for (int j = 0; j < 8; j++) out[j] = hsum_ps(acc[j]) + mins[j];                                 \
}

DOT8_Q4_1(ck_dot8_q4_1_avx2, AVX2, _mm256_madd_epi16(_mm256_maddubs_epi16(qw, qx), _mm256_set1_epi16(1)))

#define VNNI __attribute__((target("avx2,fma,f16c,avx512vnni,avx512vl")))
DOT8_Q4_1(ck_dot8_q4_1_vnni, VNNI, _mm256_dpbusd_epi32(_mm256_setzero_si256(), qw, qx))

int ck_use_vnni(void) {
    static int detected = -1;
    if (!ck_use_avx2()) return 0;
    if (detected < 0) detected = __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512vl");
    return detected;
}

AVX2 void ck_dot4_q8_0_avx2(int64_t n, const block_q8_0 *w, const block_q8_0 *x, size_t x_stride, float *out) {
    const block_q8_0 *xs[4];
    for (int j = 0; j < 4; j++) xs[j] = (const block_q8_0 *)((const uint8_t *)x + j * x_stride);
    __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    for (int64_t i = 0; i < n / QK; i++) {
        const float dw = F16(w[i].d);
        const __m256i qw = _mm256_loadu_si256((const __m256i *)w[i].qs);
        const __m256i aw = _mm256_sign_epi8(qw, qw);
        for (int j = 0; j < 4; j++) {
            const block_q8_0 *b = xs[j] + i;
            const __m256i sy = _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)b->qs), qw);
            const __m256i dot = _mm256_madd_epi16(_mm256_maddubs_epi16(aw, sy), _mm256_set1_epi16(1));
            acc[j] = _mm256_fmadd_ps(_mm256_set1_ps(dw * F16(b->d)), _mm256_cvtepi32_ps(dot), acc[j]);
        }
    }
    for (int j = 0; j < 4; j++) out[j] = hsum_ps(acc[j]);
}

AVX2 void ck_dot4_q4_0_avx2(int64_t n, const block_q4_0 *w, const block_q8_0 *x, size_t x_stride, float *out) {
    const block_q8_0 *xs[4];
    for (int j = 0; j < 4; j++) xs[j] = (const block_q8_0 *)((const uint8_t *)x + j * x_stride);
    __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    for (int64_t i = 0; i < n / QK; i++) {
        const float dw = F16(w[i].d);
        const __m256i qw = _mm256_sub_epi8(nibbles32(w[i].qs), _mm256_set1_epi8(8));
        const __m256i aw = _mm256_sign_epi8(qw, qw);
        for (int j = 0; j < 4; j++) {
            const block_q8_0 *b = xs[j] + i;
            const __m256i sy = _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)b->qs), qw);
            const __m256i dot = _mm256_madd_epi16(_mm256_maddubs_epi16(aw, sy), _mm256_set1_epi16(1));
            acc[j] = _mm256_fmadd_ps(_mm256_set1_ps(dw * F16(b->d)), _mm256_cvtepi32_ps(dot), acc[j]);
        }
    }
    for (int j = 0; j < 4; j++) out[j] = hsum_ps(acc[j]);
}

AVX2 float ck_dot_f16_avx2(int64_t n, const uint16_t *w, const uint16_t *x) {
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        a0 = _mm256_fmadd_ps(f16x8(w + i), f16x8(x + i), a0);
        a1 = _mm256_fmadd_ps(f16x8(w + i + 8), f16x8(x + i + 8), a1);
    }
    float sum = hsum_ps(_mm256_add_ps(a0, a1));
    for (; i < n; i++) sum += ck_f16_to_f32(w[i]) * ck_f16_to_f32(x[i]);
    return sum;
}

AVX2 float ck_dot_f32_avx2(int64_t n, const float *w, const float *x) {
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(x + i), a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 8), _mm256_loadu_ps(x + i + 8), a1);
    }
    float sum = hsum_ps(_mm256_add_ps(a0, a1));
    for (; i < n; i++) sum += w[i] * x[i];
    return sum;
}

// The order of operations below reproduces llama.cpp's CPU backend as built for AVX-512 machines
// (such as the one its reference outputs were recorded on), lane by lane on AVX2, so that greedy
// decoding agrees token for token: a rounding that differs in the last bit early in the network
// can flip an 8-bit activation code, and such flips compound over thirty layers.

// exp(x) per lane: x = n ln2 + b (Cody-Waite), e^b by a degree-5 polynomial, scaled by 2^n; |n| > 192
// saturates to 0 or infinity. (The single-precision scheme of ARM's optimized routines, in the
// variant ggml uses with AVX-512's scalef; 2^n is built exactly from exponent bits here.)
AVX2 static inline __m256 exp_lanes(__m256 x) {
    const __m256 shift = _mm256_set1_ps(0x1.8p23f);
    const __m256 z = _mm256_fmadd_ps(x, _mm256_set1_ps(0x1.715476p+0f), shift);
    const __m256 n = _mm256_sub_ps(z, shift);
    const __m256 b = _mm256_fnmadd_ps(n, _mm256_set1_ps(0x1.7f7d1cp-20f), _mm256_fnmadd_ps(n, _mm256_set1_ps(0x1.62e4p-1f), x));
    const __m256 u = _mm256_mul_ps(b, b);
    const __m256 p45 = _mm256_fmadd_ps(_mm256_set1_ps(0x1.0e4020p-7f), b, _mm256_set1_ps(0x1.573e2ep-5f));
    const __m256 p23 = _mm256_fmadd_ps(_mm256_set1_ps(0x1.555e66p-3f), b, _mm256_set1_ps(0x1.fffdb6p-2f));
    const __m256 p01 = _mm256_fmadd_ps(_mm256_set1_ps(0x1.ffffecp-1f), b, _mm256_set1_ps(1.0f));
    const __m256 j = _mm256_fmadd_ps(_mm256_fmadd_ps(p45, u, p23), u, p01);
    // 2^n for n in [-126, 127] (exact); beyond, split in two exact halves.
    const __m256 nc = _mm256_max_ps(_mm256_min_ps(n, _mm256_set1_ps(254)), _mm256_set1_ps(-252));
    const __m256i ni = _mm256_cvtps_epi32(nc);
    const __m256i h1 = _mm256_srai_epi32(ni, 1);
    const __m256i h2 = _mm256_sub_epi32(ni, h1);
    const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(h1, _mm256_set1_epi32(127)), 23));
    const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(h2, _mm256_set1_epi32(127)), 23));
    const __m256 normal = _mm256_and_ps(_mm256_cmp_ps(n, _mm256_set1_ps(-126), _CMP_GE_OQ), _mm256_cmp_ps(n, _mm256_set1_ps(127), _CMP_LE_OQ));
    const __m256 pow2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(ni, _mm256_set1_epi32(127)), 23));
    const __m256 res = _mm256_blendv_ps(_mm256_mul_ps(_mm256_mul_ps(j, s1), s2), _mm256_mul_ps(j, pow2), normal);
    const __m256 absn = _mm256_andnot_ps(_mm256_set1_ps(-0.f), n);
    const __m256 saturate = _mm256_cmp_ps(absn, _mm256_set1_ps(192), _CMP_GT_OQ);
    const __m256 alt = _mm256_blendv_ps(_mm256_set1_ps(INFINITY), _mm256_setzero_ps(), _mm256_cmp_ps(n, _mm256_setzero_ps(), _CMP_LE_OQ));
    return _mm256_blendv_ps(res, alt, saturate);
}

// Sum of sixteen lanes held as two halves, in the order of GCC's _mm512_reduce_add_ps.
AVX2 static inline float reduce16(__m256 lo, __m256 hi) { return hsum_ps(_mm256_add_ps(hi, lo)); }

static inline float reduce16_scalar(const float *v) {
    float t3[8], t6[4];
    for (int k = 0; k < 8; k++) t3[k] = v[8 + k] + v[k];
    for (int k = 0; k < 4; k++) t6[k] = t3[4 + k] + t3[k];
    return (t6[0] + t6[2]) + (t6[1] + t6[3]);
}

AVX2 static inline __m256 silu_lanes(__m256 x) {
    return _mm256_div_ps(x, _mm256_add_ps(_mm256_set1_ps(1), exp_lanes(_mm256_sub_ps(_mm256_setzero_ps(), x))));
}

AVX2 static void swiglu_w16(float *gate, const float *up, int64_t n) {
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        _mm256_storeu_ps(gate + i, _mm256_mul_ps(silu_lanes(_mm256_loadu_ps(gate + i)), _mm256_loadu_ps(up + i)));
        _mm256_storeu_ps(gate + i + 8, _mm256_mul_ps(silu_lanes(_mm256_loadu_ps(gate + i + 8)), _mm256_loadu_ps(up + i + 8)));
    }
    for (; i < n; i++) gate[i] = gate[i] / (1.0f + expf(-gate[i])) * up[i];
}

// Softmax of a row: exponentials in groups of sixteen, each group's sum added in double.
AVX2 static double softmax_w16(float *x, int64_t n) {
    float max = -INFINITY;
    for (int64_t i = 0; i < n; i++) max = x[i] > max ? x[i] : max;
    const __m256 m = _mm256_set1_ps(max);
    double sum = 0;
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m256 a = exp_lanes(_mm256_sub_ps(_mm256_loadu_ps(x + i), m));
        const __m256 b = exp_lanes(_mm256_sub_ps(_mm256_loadu_ps(x + i + 8), m));
        _mm256_storeu_ps(x + i, a);
        _mm256_storeu_ps(x + i + 8, b);
        sum += (double)reduce16(a, b);
    }
    for (; i < n; i++) {
        const float v = expf(x[i] - max);
        x[i] = v;
        sum += (double)v;
    }
    const float inv = (float)(1.0 / sum);
    for (int64_t k = 0; k < n; k++) x[k] *= inv;
    return sum;
}

// F16 dot product in the order of llama.cpp's single-row kernel: four 16-lane accumulators over
// steps of 64, reduced pairwise, the remainder added in double.
AVX2 static float dot_f16_vec_w16(int64_t n, const uint16_t *a, const uint16_t *b) {
    __m256 s[8];
    for (int j = 0; j < 8; j++) s[j] = _mm256_setzero_ps();
    const int64_t np = n & ~(int64_t)63;
    for (int64_t i = 0; i < np; i += 64) {
        for (int j = 0; j < 8; j++) s[j] = _mm256_fmadd_ps(f16x8(a + i + 8 * j), f16x8(b + i + 8 * j), s[j]);
    }
    // accumulators: x0 = s0,s1  x1 = s2,s3  x2 = s4,s5  x3 = s6,s7
    const __m256 lo = _mm256_add_ps(_mm256_add_ps(s[0], s[4]), _mm256_add_ps(s[2], s[6]));
    const __m256 hi = _mm256_add_ps(_mm256_add_ps(s[1], s[5]), _mm256_add_ps(s[3], s[7]));
    double sum = reduce16(lo, hi);
    for (int64_t i = np; i < n; i++) sum += (double)(ck_f16_to_f32(a[i]) * ck_f16_to_f32(b[i]));
    return (float)sum;
}

// F16 dot product in the order of llama.cpp's batched (GEMM) kernel: one 16-lane accumulator.
// Rows whose length is not a multiple of 16 go the single-row way, as there.
AVX2 static float dot_f16_gemm_w16(int64_t n, const uint16_t *a, const uint16_t *b) {
    if (n % 16 != 0) return dot_f16_vec_w16(n, a, b);
    __m256 lo = _mm256_setzero_ps(), hi = _mm256_setzero_ps();
    for (int64_t i = 0; i < n; i += 16) {
        lo = _mm256_fmadd_ps(f16x8(a + i), f16x8(b + i), lo);
        hi = _mm256_fmadd_ps(f16x8(a + i + 8), f16x8(b + i + 8), hi);
    }
    return reduce16(lo, hi);
}

// out[d] = sum over positions l of p[l] * v[l][d], with position l in accumulator l % lanes as
// llama.cpp's kernels have it: 16 lanes (batched) or 4 x 16 (single row; padded rows there make
// every position part of the vector loop). p is already rounded to F16.
AVX2 static void accumulate_values(int64_t n_pos, const float *p, const uint16_t *v, int64_t stride, int64_t dim, int lanes, float *acc) {
    for (int64_t i = 0; i < lanes * dim; i++) acc[i] = 0;
    for (int64_t l = 0; l < n_pos; l++) {
        float *a = acc + (l % lanes) * dim;
        const __m256 pl = _mm256_set1_ps(p[l]);
        const uint16_t *vl = v + l * stride;
        int64_t d = 0;
        for (; d + 8 <= dim; d += 8) _mm256_storeu_ps(a + d, _mm256_fmadd_ps(f16x8(vl + d), pl, _mm256_loadu_ps(a + d)));
        for (; d < dim; d++) a[d] = fmaf(ck_f16_to_f32(vl[d]), p[l], a[d]);
    }
}

AVX2 static void weighted_values_w16(int64_t n_pos, const float *p, const uint16_t *v, int64_t stride, int64_t dim, int lanes, float *acc, float *out) {
    accumulate_values(n_pos, p, v, stride, dim, lanes, acc);
    for (int64_t d = 0; d < dim; d++) {
        float x[16];
        if (lanes == 16) {
            for (int k = 0; k < 16; k++) x[k] = acc[k * dim + d];
        } else {
            for (int k = 0; k < 16; k++) {
                const float x0 = acc[k * dim + d] + acc[(32 + k) * dim + d];
                const float x1 = acc[(16 + k) * dim + d] + acc[(48 + k) * dim + d];
                x[k] = x0 + x1;
            }
        }
        out[d] = reduce16_scalar(x);
    }
}


// --- The AVX2 build of llama.cpp (8-lane vectors), which recorded the reference outputs. ---

// exp(x) per lane as ggml's AVX2 kernel: same reduction and polynomial, 2^n folded in through the
// exponent bits (k = 2^n, result j*k + k), with a two-step scaling when |n| > 126.
AVX2 static inline __m256 exp8(__m256 x) {
    const __m256 shift = _mm256_set1_ps(0x1.8p23f);
    const __m256 z = _mm256_fmadd_ps(x, _mm256_set1_ps(0x1.715476p+0f), shift);
    const __m256 n = _mm256_sub_ps(z, shift);
    const __m256 b = _mm256_fnmadd_ps(n, _mm256_set1_ps(0x1.7f7d1cp-20f), _mm256_fnmadd_ps(n, _mm256_set1_ps(0x1.62e4p-1f), x));
    const __m256i e = _mm256_slli_epi32(_mm256_castps_si256(z), 23);
    const __m256 k = _mm256_castsi256_ps(_mm256_add_epi32(e, _mm256_castps_si256(_mm256_set1_ps(1))));
    const __m256 absn = _mm256_andnot_ps(_mm256_set1_ps(-0.f), n);
    const __m256 big = _mm256_cmp_ps(absn, _mm256_set1_ps(126), _CMP_GT_OQ);
    const __m256 u = _mm256_mul_ps(b, b);
    const __m256 p45 = _mm256_fmadd_ps(_mm256_set1_ps(0x1.0e4020p-7f), b, _mm256_set1_ps(0x1.573e2ep-5f));
    const __m256 p23 = _mm256_fmadd_ps(_mm256_set1_ps(0x1.555e66p-3f), b, _mm256_set1_ps(0x1.fffdb6p-2f));
    const __m256 j = _mm256_fmadd_ps(_mm256_fmadd_ps(p45, u, p23), u, _mm256_mul_ps(_mm256_set1_ps(0x1.ffffecp-1f), b));
    if (!_mm256_movemask_ps(big)) return _mm256_fmadd_ps(j, k, k);
    const __m256i g = _mm256_and_si256(_mm256_castps_si256(_mm256_cmp_ps(n, _mm256_setzero_ps(), _CMP_LE_OQ)), _mm256_set1_epi32((int)0x82000000u));
    const __m256 s1 = _mm256_castsi256_ps(_mm256_add_epi32(g, _mm256_set1_epi32(0x7f000000)));
    const __m256 s2 = _mm256_castsi256_ps(_mm256_sub_epi32(e, g));
    const __m256 huge = _mm256_cmp_ps(absn, _mm256_set1_ps(192), _CMP_GT_OQ);
    const __m256 scaled = _mm256_blendv_ps(_mm256_fmadd_ps(k, j, k), _mm256_mul_ps(_mm256_fmadd_ps(s2, j, s2), s1), big);
    return _mm256_blendv_ps(scaled, _mm256_mul_ps(s1, s1), huge);
}

AVX2 static void swiglu_w8(float *gate, const float *up, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 x = _mm256_loadu_ps(gate + i);
        const __m256 silu = _mm256_div_ps(x, _mm256_add_ps(_mm256_set1_ps(1), exp8(_mm256_sub_ps(_mm256_setzero_ps(), x))));
        _mm256_storeu_ps(gate + i, _mm256_mul_ps(silu, _mm256_loadu_ps(up + i)));
    }
    for (; i < n; i++) gate[i] = gate[i] / (1.0f + expf(-gate[i])) * up[i];
}

AVX2 static double softmax_w8(float *x, int64_t n) {
    float max = -INFINITY;
    for (int64_t i = 0; i < n; i++) max = x[i] > max ? x[i] : max;
    double sum = 0;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 v = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), _mm256_set1_ps(max)));
        _mm256_storeu_ps(x + i, v);
        sum += (double)hsum_ps(v);
    }
    for (; i < n; i++) {
        const float v = expf(x[i] - max);
        x[i] = v;
        sum += (double)v;
    }
    const float inv = (float)(1.0 / sum);
    for (int64_t k = 0; k < n; k++) x[k] *= inv;
    return sum;
}

// Four 8-lane accumulators reduced as ggml's F32x8 reduce: pairwise, then two horizontal adds.
AVX2 static inline float reduce4x8(__m256 s0, __m256 s1, __m256 s2, __m256 s3) {
    s0 = _mm256_add_ps(s0, s2);
    s1 = _mm256_add_ps(s1, s3);
    s0 = _mm256_add_ps(s0, s1);
    const __m128 t0 = _mm_add_ps(_mm256_castps256_ps128(s0), _mm256_extractf128_ps(s0, 1));
    const __m128 t1 = _mm_hadd_ps(t0, t0);
    return _mm_cvtss_f32(_mm_hadd_ps(t1, t1));
}

AVX2 static float dot_f16_vec_w8(int64_t n, const uint16_t *a, const uint16_t *b) {
    __m256 s[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    const int64_t np = n & ~(int64_t)31;
    for (int64_t i = 0; i < np; i += 32) {
        for (int j = 0; j < 4; j++) s[j] = _mm256_fmadd_ps(f16x8(a + i + 8 * j), f16x8(b + i + 8 * j), s[j]);
    }
    double sum = reduce4x8(s[0], s[1], s[2], s[3]);
    for (int64_t i = np; i < n; i++) sum += (double)(ck_f16_to_f32(a[i]) * ck_f16_to_f32(b[i]));
    return (float)sum;
}

AVX2 static float dot_f16_gemm_w8(int64_t n, const uint16_t *a, const uint16_t *b) {
    if (n % 8 != 0) return dot_f16_vec_w8(n, a, b);
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < n; i += 8) acc = _mm256_fmadd_ps(f16x8(a + i), f16x8(b + i), acc);
    return hsum_ps(acc);
}

AVX2 static void weighted_values_w8(int64_t n_pos, const float *p, const uint16_t *v, int64_t stride, int64_t dim, int lanes, float *acc, float *out) {
    accumulate_values(n_pos, p, v, stride, dim, lanes, acc);
    for (int64_t d = 0; d < dim; d++) {
        if (lanes == 8) {
            float t[4];
            for (int k = 0; k < 4; k++) t[k] = acc[(k + 4) * dim + d] + acc[k * dim + d];
            out[d] = (t[0] + t[2]) + (t[1] + t[3]);
        } else {
            float x[8];
            for (int k = 0; k < 8; k++) {
                const float s0 = acc[k * dim + d] + acc[(16 + k) * dim + d];
                const float s1 = acc[(8 + k) * dim + d] + acc[(24 + k) * dim + d];
                x[k] = s0 + s1;
            }
            float t[4];
            for (int k = 0; k < 4; k++) t[k] = x[k] + x[k + 4];
            out[d] = (t[0] + t[1]) + (t[2] + t[3]);
        }
    }
}

// --- The heads that share a key/value head, in one pass (the decode hot path). ---
//
// The same products and the same reduction trees as the per-position kernels above, reorganised:
// each key and value row is converted from F16 once for all the query heads that read it, the
// queries once per call, the horizontal sums of eight positions run together on transposed
// vectors, and the value accumulators stay in registers. Every score, probability and output is
// therefore the one the per-position path computes, bit for bit (a test compares them).

// Per-position vertical part of the four F16 dot kernels (on a key row already converted to
// floats), leaving the 8 lanes that the kernel's horizontal sum then reduces. `qf` is the query
// rounded to F16, as floats.
__attribute__((always_inline)) AVX2 static inline __m256 score_lanes(int kind, const float *k, const float *qf, int64_t dim) {
#define KQ(i) _mm256_loadu_ps(k + (i)), _mm256_loadu_ps(qf + (i))
    switch (kind) {
    case 0: {  // dot_f16_vec_w8
        __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
        for (int64_t i = 0; i < dim; i += 32) {
            s0 = _mm256_fmadd_ps(KQ(i), s0);
            s1 = _mm256_fmadd_ps(KQ(i + 8), s1);
            s2 = _mm256_fmadd_ps(KQ(i + 16), s2);
            s3 = _mm256_fmadd_ps(KQ(i + 24), s3);
        }
        return _mm256_add_ps(_mm256_add_ps(s0, s2), _mm256_add_ps(s1, s3));
    }
    case 1: {  // dot_f16_gemm_w8
        __m256 a = _mm256_setzero_ps();
        for (int64_t i = 0; i < dim; i += 8) a = _mm256_fmadd_ps(KQ(i), a);
        return a;
    }
    case 2: {  // dot_f16_vec_w16
        __m256 s[8];
        for (int j = 0; j < 8; j++) s[j] = _mm256_setzero_ps();
        for (int64_t i = 0; i < dim; i += 64) {
            for (int j = 0; j < 8; j++) s[j] = _mm256_fmadd_ps(KQ(i + 8 * j), s[j]);
        }
        const __m256 lo = _mm256_add_ps(_mm256_add_ps(s[0], s[4]), _mm256_add_ps(s[2], s[6]));
        const __m256 hi = _mm256_add_ps(_mm256_add_ps(s[1], s[5]), _mm256_add_ps(s[3], s[7]));
        return _mm256_add_ps(hi, lo);
    }
    default: {  // dot_f16_gemm_w16
        __m256 lo = _mm256_setzero_ps(), hi = _mm256_setzero_ps();
        for (int64_t i = 0; i < dim; i += 16) {
            lo = _mm256_fmadd_ps(KQ(i), lo);
            hi = _mm256_fmadd_ps(KQ(i + 8), hi);
        }
        return _mm256_add_ps(hi, lo);
    }
    }
#undef KQ
}

// The horizontal sums of eight positions' lanes, in position order. Each position's eight lanes
// are first folded to four (low half + high half), then summed as reduce4x8 does,
// (t0 + t1) + (t2 + t3), or, with `hsum_order`, as hsum_ps does, (t0 + t2) + (t1 + t3).
__attribute__((always_inline)) AVX2 static inline __m256 horizontal8(const __m256 *v, int hsum_order) {
    __m256 pair[4];
    for (int m = 0; m < 4; m++) {
        const __m256 lows = _mm256_permute2f128_ps(v[2 * m], v[2 * m + 1], 0x20);
        const __m256 highs = _mm256_permute2f128_ps(v[2 * m], v[2 * m + 1], 0x31);
        pair[m] = _mm256_add_ps(lows, highs);
        if (hsum_order) pair[m] = _mm256_permute_ps(pair[m], 0xD8);
    }
    const __m256 h0 = _mm256_hadd_ps(pair[0], pair[1]);
    const __m256 h1 = _mm256_hadd_ps(pair[2], pair[3]);
    return _mm256_permutevar8x32_ps(_mm256_hadd_ps(h0, h1), _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

// Converts `rows` F16 rows of `dim` values (`stride` apart) to floats, `dim` apart, and asks for
// the same rows shifted by `ahead` elements (the rows to convert next) to be brought into cache:
// the key and value caches of a long context come from memory, in strides the hardware
// prefetchers do not follow.
AVX2 static inline void rows_to_f32(const uint16_t *src, int64_t stride, int64_t rows, int64_t dim, float *dst, int64_t ahead) {
    for (int64_t r = 0; r < rows; r++) {
        const uint16_t *row = src + r * stride;
        for (int64_t i = 0; i < dim; i += 32) _mm_prefetch((const char *)(row + ahead + i), _MM_HINT_T0);
        for (int64_t i = 0; i < dim; i += 8) _mm256_storeu_ps(dst + r * dim + i, f16x8(row + i));
    }
}

// Scaled scores of `n_past` keys for `heads` queries (score row h at scores + h * score_stride),
// eight positions at a time; `conv` holds 8 * dim floats.
__attribute__((always_inline)) AVX2 static inline void score_rows(int kind, const uint16_t *k, const float *qf, int heads,
                                                                  int64_t n_past, int64_t stride, int64_t dim, float scale,
                                                                  float *conv, float *scores, int64_t score_stride) {
    const __m256 vscale = _mm256_set1_ps(scale);
    for (int64_t j = 0; j < n_past; j += 8) {
        const int64_t m = n_past - j < 8 ? n_past - j : 8;
        rows_to_f32(k + j * stride, stride, m, dim, conv, j + 16 < n_past ? 16 * stride : 0);
        for (int h = 0; h < heads; h++) {
            __m256 lanes8[8];
            for (int64_t p = 0; p < 8; p++) lanes8[p] = p < m ? score_lanes(kind, conv + p * dim, qf + h * dim, dim) : _mm256_setzero_ps();
            const __m256 s = _mm256_mul_ps(horizontal8(lanes8, kind != 0), vscale);
            float *row = scores + h * score_stride + j;
            if (m == 8) {
                _mm256_storeu_ps(row, s);
            } else {
                float tmp[8];
                _mm256_storeu_ps(tmp, s);
                for (int64_t p = 0; p < m; p++) row[p] = tmp[p];
            }
        }
    }
}

AVX2 static float row_max(const float *x, int64_t n) {
    __m256 m = _mm256_set1_ps(-INFINITY);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) m = _mm256_max_ps(m, _mm256_loadu_ps(x + i));
    float lanes[8];
    _mm256_storeu_ps(lanes, m);
    float max = -INFINITY;
    for (int k = 0; k < 8; k++) max = lanes[k] > max ? lanes[k] : max;
    for (; i < n; i++) max = x[i] > max ? x[i] : max;
    return max;
}

// Softmax as softmax_w8 / softmax_w16 over the row padded with -inf to a multiple of sixteen,
// then the probabilities rounded to F16.
AVX2 static void probabilities(float *scores, int64_t n_past, int wide) {
    const int64_t n_pad = (n_past + 15) / 16 * 16;
    int64_t j;
    for (j = n_past; j < n_pad; j++) scores[j] = -INFINITY;
    const __m256 vmax = _mm256_set1_ps(row_max(scores, n_pad));
    double sum = 0;
    if (wide) {
        for (j = 0; j < n_pad; j += 16) {
            const __m256 a = exp_lanes(_mm256_sub_ps(_mm256_loadu_ps(scores + j), vmax));
            const __m256 b = exp_lanes(_mm256_sub_ps(_mm256_loadu_ps(scores + j + 8), vmax));
            _mm256_storeu_ps(scores + j, a);
            _mm256_storeu_ps(scores + j + 8, b);
            sum += (double)reduce16(a, b);
        }
    } else {
        for (j = 0; j < n_pad; j += 8) {
            const __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(scores + j), vmax));
            _mm256_storeu_ps(scores + j, e);
            sum += (double)hsum_ps(e);
        }
    }
    const __m256 inv = _mm256_set1_ps((float)(1.0 / sum));
    for (j = 0; j < n_pad; j += 8) {
        const __m256 p = _mm256_mul_ps(_mm256_loadu_ps(scores + j), inv);
        _mm256_storeu_ps(scores + j, _mm256_cvtph_ps(_mm256_cvtps_ph(p, _MM_FROUND_TO_NEAREST_INT)));
    }
}

enum { VALUE_CHUNK = 32 };  // value rows converted at a time

// accumulate_values for `heads` probability rows at once (row h at p + h * p_stride, its lane
// accumulators at acc + h * lanes * dim): the rows of lane k (positions k, k + lanes, ...) are
// converted VALUE_CHUNK at a time and applied to every head, sixty-four values of d in registers,
// so every accumulator receives exactly accumulate_values' multiply-adds, in its order.
AVX2 static void accumulate_values_grouped(int64_t n_pos, const float *p, int64_t p_stride, int heads, const uint16_t *v,
                                           int64_t stride, int64_t dim, int lanes, float *conv, float *acc) {
    for (int k = 0; k < lanes; k++) {
        if (k >= n_pos) {
            for (int h = 0; h < heads; h++) memset(acc + ((int64_t)h * lanes + k) * dim, 0, (size_t)dim * sizeof(float));
            continue;
        }
        const int64_t rows_of_lane = (n_pos - k + lanes - 1) / lanes;
        for (int64_t r0 = 0; r0 < rows_of_lane; r0 += VALUE_CHUNK) {
            const int64_t rows = rows_of_lane - r0 < VALUE_CHUNK ? rows_of_lane - r0 : VALUE_CHUNK;
            const int64_t l0 = k + r0 * lanes;
            rows_to_f32(v + l0 * stride, lanes * stride, rows, dim, conv, k + 1 < lanes ? stride : 0);  // the next lane's rows
            for (int h = 0; h < heads; h++) {
                const float *ph = p + h * p_stride + l0;
                for (int64_t c = 0; c < dim; c += 64) {
                    float *out = acc + ((int64_t)h * lanes + k) * dim + c;
                    __m256 a[8];
                    for (int i = 0; i < 8; i++) a[i] = r0 == 0 ? _mm256_setzero_ps() : _mm256_loadu_ps(out + 8 * i);
                    for (int64_t r = 0; r < rows; r++) {
                        const __m256 pl = _mm256_broadcast_ss(ph + r * lanes);
                        const float *row = conv + r * dim + c;
                        for (int i = 0; i < 8; i++) a[i] = _mm256_fmadd_ps(_mm256_loadu_ps(row + 8 * i), pl, a[i]);
                    }
                    for (int i = 0; i < 8; i++) _mm256_storeu_ps(out + 8 * i, a[i]);
                }
            }
        }
    }
}

// out[d] for the lane accumulators of accumulate_values, eight values of d at a time.
AVX2 static void reduce_value_lanes(const float *acc, int64_t dim, int lanes, int profile, float *out) {
    for (int64_t d = 0; d < dim; d += 8) {
#define A(k) _mm256_loadu_ps(acc + (k) * dim + d)
        __m256 r;
        if (profile == CK_PROFILE_AVX512) {
            __m256 x[16];
            for (int k = 0; k < 16; k++) x[k] = lanes == 16 ? A(k) : _mm256_add_ps(_mm256_add_ps(A(k), A(32 + k)), _mm256_add_ps(A(16 + k), A(48 + k)));
            __m256 t3[8], t6[4];
            for (int k = 0; k < 8; k++) t3[k] = _mm256_add_ps(x[8 + k], x[k]);
            for (int k = 0; k < 4; k++) t6[k] = _mm256_add_ps(t3[4 + k], t3[k]);
            r = _mm256_add_ps(_mm256_add_ps(t6[0], t6[2]), _mm256_add_ps(t6[1], t6[3]));
        } else if (lanes == 8) {
            __m256 t[4];
            for (int k = 0; k < 4; k++) t[k] = _mm256_add_ps(A(k + 4), A(k));
            r = _mm256_add_ps(_mm256_add_ps(t[0], t[2]), _mm256_add_ps(t[1], t[3]));
        } else {
            __m256 x[8];
            for (int k = 0; k < 8; k++) x[k] = _mm256_add_ps(_mm256_add_ps(A(k), A(16 + k)), _mm256_add_ps(A(8 + k), A(24 + k)));
            __m256 t[4];
            for (int k = 0; k < 4; k++) t[k] = _mm256_add_ps(x[k], x[k + 4]);
            r = _mm256_add_ps(_mm256_add_ps(t[0], t[1]), _mm256_add_ps(t[2], t[3]));
        }
#undef A
        _mm256_storeu_ps(out + d, r);
    }
}

int ck_attention_group_fusable(int64_t head_dim) { return ck_use_avx2() && head_dim % 64 == 0 && head_dim <= 1024; }

size_t ck_attention_group_scratch(int64_t n_past, int heads, int64_t dim) {
    const int64_t score_stride = (n_past + 15) / 16 * 16 + 16;
    return (size_t)(heads * (score_stride + 64 * dim + dim) + VALUE_CHUNK * dim);
}

AVX2 void ck_attention_group_avx2(const float *q, const uint16_t *k, const uint16_t *v, int64_t n_past, int64_t stride,
                                  int64_t dim, int heads, float scale, int batched, int profile, float *scratch, float *out) {
    const int wide = profile == CK_PROFILE_AVX512;
    const int kind = (wide ? 2 : 0) + (batched ? 1 : 0);
    const int lanes = ck_attention_lanes(batched, profile);
    const int64_t score_stride = (n_past + 15) / 16 * 16 + 16;
    float *scores = scratch;
    float *acc = scores + heads * score_stride;
    float *qf = acc + heads * 64 * dim;
    float *conv = qf + heads * dim;  // VALUE_CHUNK * dim floats (8 * dim for the keys)
    for (int64_t i = 0; i < heads * dim; i += 8) {
        _mm256_storeu_ps(qf + i, _mm256_cvtph_ps(_mm256_cvtps_ph(_mm256_loadu_ps(q + i), _MM_FROUND_TO_NEAREST_INT)));
    }
    switch (kind) {  // one loop per kind, so the kind is settled outside it
    case 0: score_rows(0, k, qf, heads, n_past, stride, dim, scale, conv, scores, score_stride); break;
    case 1: score_rows(1, k, qf, heads, n_past, stride, dim, scale, conv, scores, score_stride); break;
    case 2: score_rows(2, k, qf, heads, n_past, stride, dim, scale, conv, scores, score_stride); break;
    default: score_rows(3, k, qf, heads, n_past, stride, dim, scale, conv, scores, score_stride); break;
    }
    for (int h = 0; h < heads; h++) probabilities(scores + h * score_stride, n_past, wide);
    accumulate_values_grouped(n_past, scores, score_stride, heads, v, stride, dim, lanes, conv, acc);
    for (int h = 0; h < heads; h++) reduce_value_lanes(acc + (int64_t)h * lanes * dim, dim, lanes, profile, out + h * dim);
}

// --- Dispatch on the profile. ---

int ck_attention_lanes(int batched, int profile) {
    const int w = profile == CK_PROFILE_AVX512 ? 16 : 8;
    return batched ? w : 4 * w;
}
void ck_swiglu_avx2(float *gate, const float *up, int64_t n, int profile) {
    if (profile == CK_PROFILE_AVX512) swiglu_w16(gate, up, n); else swiglu_w8(gate, up, n);
}
double ck_softmax_avx2(float *x, int64_t n, int profile) {
    return profile == CK_PROFILE_AVX512 ? softmax_w16(x, n) : softmax_w8(x, n);
}
float ck_dot_f16_vec_avx2(int64_t n, const uint16_t *a, const uint16_t *b, int profile) {
    return profile == CK_PROFILE_AVX512 ? dot_f16_vec_w16(n, a, b) : dot_f16_vec_w8(n, a, b);
}
float ck_dot_f16_gemm_avx2(int64_t n, const uint16_t *a, const uint16_t *b, int profile) {
    return profile == CK_PROFILE_AVX512 ? dot_f16_gemm_w16(n, a, b) : dot_f16_gemm_w8(n, a, b);
}
void ck_weighted_values_avx2(int64_t n_pos, const float *p, const uint16_t *v, int64_t stride, int64_t dim, int lanes, int profile, float *acc, float *out) {
    if (profile == CK_PROFILE_AVX512) weighted_values_w16(n_pos, p, v, stride, dim, lanes, acc, out);
    else weighted_values_w8(n_pos, p, v, stride, dim, lanes, acc, out);
}

AVX2 void ck_axpy_f16_avx2(int64_t n, float a, const uint16_t *v, float *y) {
    const __m256 va = _mm256_set1_ps(a);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, f16x8(v + i), _mm256_loadu_ps(y + i)));
    }
    for (; i < n; i++) y[i] += a * ck_f16_to_f32(v[i]);
}

#else

int ck_attention_lanes(int batched, int profile) { (void)profile; return batched ? 8 : 32; }
int ck_simd_level(void) { return 0; }
void ck_set_simd_enabled(int enabled) { (void)enabled; }

#endif
