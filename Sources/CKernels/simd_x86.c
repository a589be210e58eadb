// AVX2 + FMA + F16C kernels, compiled per function (target attribute) and chosen at run time.

#include "CKernels.h"
#include "internal.h"

#if CK_X86

#include <immintrin.h>
#include <math.h>
#include <string.h>

static int simd_enabled = 1;
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

AVX2 void ck_quantize_q8_0_avx2(const float *x, block_q8_0 *y, int64_t n) {
    for (int64_t i = 0; i < n / QK; i++, x += QK) {
        float amax = 0;
        for (int j = 0; j < QK; j++) amax = fmaxf(amax, fabsf(x[j]));
        const float d = amax / 127.f;
        const float id = amax != 0 ? 127.f / amax : 0.f;
        y[i].d = ck_f32_to_f16(d);
        for (int j = 0; j < QK; j++) y[i].qs[j] = (int8_t)nearbyintf(x[j] * id);
    }
}

AVX2 void ck_quantize_q8_1_avx2(const float *x, block_q8_1 *y, int64_t n) {
    for (int64_t i = 0; i < n / QK; i++, x += QK) {
        float amax = 0;
        for (int j = 0; j < QK; j++) amax = fmaxf(amax, fabsf(x[j]));
        const float d = amax / 127.f;
        const float id = amax != 0 ? 127.f / amax : 0.f;
        y[i].d = ck_f32_to_f16(d);
        int sum = 0;
        for (int j = 0; j < QK; j++) {
            const int8_t q = (int8_t)nearbyintf(x[j] * id);
            y[i].qs[j] = q;
            sum += q;
        }
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
        mins += F16(w[i].m) * F16(x[i].s);
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

AVX2 void ck_axpy_f16_avx2(int64_t n, float a, const uint16_t *v, float *y) {
    const __m256 va = _mm256_set1_ps(a);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, f16x8(v + i), _mm256_loadu_ps(y + i)));
    }
    for (; i < n; i++) y[i] += a * ck_f16_to_f32(v[i]);
}

#else

int ck_simd_level(void) { return 0; }
void ck_set_simd_enabled(int enabled) { (void)enabled; }

#endif
