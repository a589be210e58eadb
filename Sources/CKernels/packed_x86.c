// x86-64 kernels for packed weights (see packed.h): AVX-512 with VNNI (16 rows per vector), and
// AVX2 + FMA (two halves of 8 rows). Both produce the single-row AVX2 kernels' results bit for bit:
// the same integer sums per lane, the same scale products and fused multiply-adds in block order,
// the same reduction tree, done for 16 rows side by side.

#include "CKernels.h"
#include "packed.h"

#if CK_X86

#include <immintrin.h>
#include <string.h>

#define AVX2 __attribute__((target("avx2,fma,f16c")))
#define AVX512 __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")))

static inline int32_t load4(const int8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

// MARK: AVX-512

AVX512 static inline __m512 reduce_tree512(const __m512 acc[8]) {
    const __m512 t0 = _mm512_add_ps(acc[0], acc[4]), t1 = _mm512_add_ps(acc[1], acc[5]);
    const __m512 t2 = _mm512_add_ps(acc[2], acc[6]), t3 = _mm512_add_ps(acc[3], acc[7]);
    return _mm512_add_ps(_mm512_add_ps(t0, t2), _mm512_add_ps(t1, t3));
}

// N activation rows (1 or 2) against one tile of 16 Q4_1 rows.
#define Q4_1_512(N)                                                                                     \
    AVX512 static void q4_1_512_##N(const void *tile, int64_t nb, const packed_act *a, float out[][PACK_ROWS]) { \
        __m512 acc[N][8], mins[N];                                                                      \
        for (int j = 0; j < N; j++) {                                                                   \
            mins[j] = _mm512_setzero_ps();                                                              \
            for (int g = 0; g < 8; g++) acc[j][g] = _mm512_setzero_ps();                                \
        }                                                                                               \
        const __m512i low = _mm512_set1_epi8(0x0F);                                                     \
        for (int64_t i = 0; i < nb; i++) {                                                              \
            const pblock_q4_1 *p = (const pblock_q4_1 *)tile + i;                                       \
            const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)p->d));             \
            const __m512 mw = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)p->m));             \
            __m512 scale[N];                                                                            \
            for (int j = 0; j < N; j++) {                                                               \
                scale[j] = _mm512_mul_ps(dw, _mm512_set1_ps(a[j].d[i]));                                \
                mins[j] = _mm512_fmadd_ps(mw, _mm512_set1_ps(a[j].s[i]), mins[j]);                      \
            }                                                                                           \
            for (int g = 0; g < 4; g++) {                                                               \
                const __m512i wv = _mm512_loadu_si512((const void *)p->qs[g]);                          \
                const __m512i lo = _mm512_and_si512(wv, low);                                           \
                const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(wv, 4), low);                     \
                for (int j = 0; j < N; j++) {                                                           \
                    const block_q8_1 *x = (const block_q8_1 *)a[j].q + i;                              \
                    const __m512i plo = _mm512_dpbusd_epi32(_mm512_setzero_si512(), lo, _mm512_set1_epi32(load4(x->qs + 4 * g))); \
                    const __m512i phi = _mm512_dpbusd_epi32(_mm512_setzero_si512(), hi, _mm512_set1_epi32(load4(x->qs + 16 + 4 * g))); \
                    acc[j][g] = _mm512_fmadd_ps(scale[j], _mm512_cvtepi32_ps(plo), acc[j][g]);          \
                    acc[j][g + 4] = _mm512_fmadd_ps(scale[j], _mm512_cvtepi32_ps(phi), acc[j][g + 4]);  \
                }                                                                                       \
            }                                                                                           \
        }                                                                                               \
        for (int j = 0; j < N; j++) _mm512_storeu_ps(out[j], _mm512_add_ps(reduce_tree512(acc[j]), mins[j])); \
    }
Q4_1_512(1)
Q4_1_512(2)

static void q4_1_512(const void *tile, int64_t nb, const packed_act *a, int n_act, float out[][PACK_ROWS]) {
    if (n_act == 2) q4_1_512_2(tile, nb, a, out); else q4_1_512_1(tile, nb, a, out);
}

// Q4_0: unsigned nibbles times signed activations, minus 8 times the activations' group sum.
#define Q4_0_512(N)                                                                                     \
    AVX512 static void q4_0_512_##N(const void *tile, int64_t nb, const packed_act *a, float out[][PACK_ROWS]) { \
        __m512 acc[N][8];                                                                               \
        for (int j = 0; j < N; j++) for (int g = 0; g < 8; g++) acc[j][g] = _mm512_setzero_ps();        \
        const __m512i low = _mm512_set1_epi8(0x0F);                                                     \
        for (int64_t i = 0; i < nb; i++) {                                                              \
            const pblock_q4_0 *p = (const pblock_q4_0 *)tile + i;                                       \
            const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)p->d));             \
            __m512 scale[N];                                                                            \
            for (int j = 0; j < N; j++) scale[j] = _mm512_mul_ps(dw, _mm512_set1_ps(a[j].d[i]));        \
            for (int g = 0; g < 4; g++) {                                                               \
                const __m512i wv = _mm512_loadu_si512((const void *)p->qs[g]);                          \
                const __m512i lo = _mm512_and_si512(wv, low);                                           \
                const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(wv, 4), low);                     \
                for (int j = 0; j < N; j++) {                                                           \
                    const block_q8_0 *x = (const block_q8_0 *)a[j].q + i;                              \
                    const int32_t *s4 = a[j].sum4 + i * 8;                                              \
                    const __m512i plo = _mm512_dpbusd_epi32(_mm512_set1_epi32(-8 * s4[g]), lo, _mm512_set1_epi32(load4(x->qs + 4 * g))); \
                    const __m512i phi = _mm512_dpbusd_epi32(_mm512_set1_epi32(-8 * s4[g + 4]), hi, _mm512_set1_epi32(load4(x->qs + 16 + 4 * g))); \
                    acc[j][g] = _mm512_fmadd_ps(scale[j], _mm512_cvtepi32_ps(plo), acc[j][g]);          \
                    acc[j][g + 4] = _mm512_fmadd_ps(scale[j], _mm512_cvtepi32_ps(phi), acc[j][g + 4]);  \
                }                                                                                       \
            }                                                                                           \
        }                                                                                               \
        for (int j = 0; j < N; j++) _mm512_storeu_ps(out[j], reduce_tree512(acc[j]));                  \
    }
Q4_0_512(1)
Q4_0_512(2)

static void q4_0_512(const void *tile, int64_t nb, const packed_act *a, int n_act, float out[][PACK_ROWS]) {
    if (n_act == 2) q4_0_512_2(tile, nb, a, out); else q4_0_512_1(tile, nb, a, out);
}

// Q8_0: weights offset to unsigned (w + 128), minus 128 times the activations' group sum.
// N activation rows (1 or 2) share each loaded and offset weight vector.
#define Q8_0_512(N)                                                                                     \
    AVX512 static void q8_0_512_##N(const void *tile, int64_t nb, const packed_act *a, float out[][PACK_ROWS]) { \
        const __m512i flip = _mm512_set1_epi8((char)0x80);                                              \
        __m512 acc[N][8];                                                                               \
        for (int j = 0; j < N; j++) for (int g = 0; g < 8; g++) acc[j][g] = _mm512_setzero_ps();        \
        for (int64_t i = 0; i < nb; i++) {                                                              \
            const pblock_q8_0 *p = (const pblock_q8_0 *)tile + i;                                       \
            const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)p->d));             \
            __m512 scale[N];                                                                            \
            for (int j = 0; j < N; j++) scale[j] = _mm512_mul_ps(dw, _mm512_set1_ps(a[j].d[i]));        \
            for (int g = 0; g < 8; g++) {                                                               \
                const __m512i wv = _mm512_xor_si512(_mm512_loadu_si512((const void *)p->qs[g]), flip);  \
                for (int j = 0; j < N; j++) {                                                           \
                    const block_q8_0 *x = (const block_q8_0 *)a[j].q + i;                              \
                    const int32_t *s4 = a[j].sum4 + i * 8;                                              \
                    const __m512i s = _mm512_dpbusd_epi32(_mm512_set1_epi32(-128 * s4[g]), wv, _mm512_set1_epi32(load4(x->qs + 4 * g))); \
                    acc[j][g] = _mm512_fmadd_ps(scale[j], _mm512_cvtepi32_ps(s), acc[j][g]);            \
                }                                                                                       \
            }                                                                                           \
        }                                                                                               \
        for (int j = 0; j < N; j++) _mm512_storeu_ps(out[j], reduce_tree512(acc[j]));                  \
    }
Q8_0_512(1)
Q8_0_512(2)

static void q8_0_512(const void *tile, int64_t nb, const packed_act *a, int n_act, float out[][PACK_ROWS]) {
    if (n_act == 2) q8_0_512_2(tile, nb, a, out); else q8_0_512_1(tile, nb, a, out);
}

// MARK: AVX2 (two passes of eight rows over each tile)

AVX2 static inline __m256 reduce_tree256(const __m256 acc[8]) {
    const __m256 t0 = _mm256_add_ps(acc[0], acc[4]), t1 = _mm256_add_ps(acc[1], acc[5]);
    const __m256 t2 = _mm256_add_ps(acc[2], acc[6]), t3 = _mm256_add_ps(acc[3], acc[7]);
    return _mm256_add_ps(_mm256_add_ps(t0, t2), _mm256_add_ps(t1, t3));
}

AVX2 static void q4_1_256(const void *tile, int64_t nb, const packed_act *a, int n_act, float out[][PACK_ROWS]) {
    const __m256i low = _mm256_set1_epi8(0x0F), ones = _mm256_set1_epi16(1);
    for (int j = 0; j < n_act; j++) {
        for (int h = 0; h < 2; h++) {
            __m256 acc[8], mins = _mm256_setzero_ps();
            for (int g = 0; g < 8; g++) acc[g] = _mm256_setzero_ps();
            for (int64_t i = 0; i < nb; i++) {
                const pblock_q4_1 *p = (const pblock_q4_1 *)tile + i;
                const block_q8_1 *x = (const block_q8_1 *)a[j].q + i;
                const __m256 scale = _mm256_mul_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p->d + 8 * h))), _mm256_set1_ps(a[j].d[i]));
                mins = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p->m + 8 * h))), _mm256_set1_ps(a[j].s[i]), mins);
                for (int g = 0; g < 4; g++) {
                    const __m256i wv = _mm256_loadu_si256((const __m256i *)p->qs[g][8 * h]);
                    const __m256i lo = _mm256_and_si256(wv, low), hi = _mm256_and_si256(_mm256_srli_epi16(wv, 4), low);
                    const __m256i plo = _mm256_madd_epi16(_mm256_maddubs_epi16(lo, _mm256_set1_epi32(load4(x->qs + 4 * g))), ones);
                    const __m256i phi = _mm256_madd_epi16(_mm256_maddubs_epi16(hi, _mm256_set1_epi32(load4(x->qs + 16 + 4 * g))), ones);
                    acc[g] = _mm256_fmadd_ps(scale, _mm256_cvtepi32_ps(plo), acc[g]);
                    acc[g + 4] = _mm256_fmadd_ps(scale, _mm256_cvtepi32_ps(phi), acc[g + 4]);
                }
            }
            _mm256_storeu_ps(out[j] + 8 * h, _mm256_add_ps(reduce_tree256(acc), mins));
        }
    }
}

AVX2 static void q4_0_256(const void *tile, int64_t nb, const packed_act *a, int n_act, float out[][PACK_ROWS]) {
    const __m256i low = _mm256_set1_epi8(0x0F), ones = _mm256_set1_epi16(1);
    for (int j = 0; j < n_act; j++) {
        for (int h = 0; h < 2; h++) {
            __m256 acc[8];
            for (int g = 0; g < 8; g++) acc[g] = _mm256_setzero_ps();
            for (int64_t i = 0; i < nb; i++) {
                const pblock_q4_0 *p = (const pblock_q4_0 *)tile + i;
                const block_q8_0 *x = (const block_q8_0 *)a[j].q + i;
                const int32_t *s4 = a[j].sum4 + i * 8;
                const __m256 scale = _mm256_mul_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p->d + 8 * h))), _mm256_set1_ps(a[j].d[i]));
                for (int g = 0; g < 4; g++) {
                    const __m256i wv = _mm256_loadu_si256((const __m256i *)p->qs[g][8 * h]);
                    const __m256i lo = _mm256_and_si256(wv, low), hi = _mm256_and_si256(_mm256_srli_epi16(wv, 4), low);
                    __m256i plo = _mm256_madd_epi16(_mm256_maddubs_epi16(lo, _mm256_set1_epi32(load4(x->qs + 4 * g))), ones);
                    __m256i phi = _mm256_madd_epi16(_mm256_maddubs_epi16(hi, _mm256_set1_epi32(load4(x->qs + 16 + 4 * g))), ones);
                    plo = _mm256_sub_epi32(plo, _mm256_set1_epi32(8 * s4[g]));
                    phi = _mm256_sub_epi32(phi, _mm256_set1_epi32(8 * s4[g + 4]));
                    acc[g] = _mm256_fmadd_ps(scale, _mm256_cvtepi32_ps(plo), acc[g]);
                    acc[g + 4] = _mm256_fmadd_ps(scale, _mm256_cvtepi32_ps(phi), acc[g + 4]);
                }
            }
            _mm256_storeu_ps(out[j] + 8 * h, reduce_tree256(acc));
        }
    }
}

AVX2 static void q8_0_256(const void *tile, int64_t nb, const packed_act *a, int n_act, float out[][PACK_ROWS]) {
    const __m256i ones = _mm256_set1_epi16(1);
    for (int j = 0; j < n_act; j++) {
        for (int h = 0; h < 2; h++) {
            __m256 acc[8];
            for (int g = 0; g < 8; g++) acc[g] = _mm256_setzero_ps();
            for (int64_t i = 0; i < nb; i++) {
                const pblock_q8_0 *p = (const pblock_q8_0 *)tile + i;
                const block_q8_0 *x = (const block_q8_0 *)a[j].q + i;
                const __m256 scale = _mm256_mul_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p->d + 8 * h))), _mm256_set1_ps(a[j].d[i]));
                for (int g = 0; g < 8; g++) {
                    const __m256i wv = _mm256_loadu_si256((const __m256i *)p->qs[g][8 * h]);
                    const __m256i sx = _mm256_sign_epi8(_mm256_set1_epi32(load4(x->qs + 4 * g)), wv);
                    const __m256i s = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(wv, wv), sx), ones);
                    acc[g] = _mm256_fmadd_ps(scale, _mm256_cvtepi32_ps(s), acc[g]);
                }
            }
            _mm256_storeu_ps(out[j] + 8 * h, reduce_tree256(acc));
        }
    }
}

static int use_avx512(void) {
    static int detected = -1;
    if (detected < 0) {
        __builtin_cpu_init();
        detected = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                   __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
    }
    return detected;
}

static _Thread_local int avx512_enabled = 1;
void ck_set_avx512_enabled(int enabled) { avx512_enabled = enabled ? 1 : 0; }

packed_kernel ck_packed_kernel_x86(int type) {
    const int wide = avx512_enabled && use_avx512();
    switch (type) {
    case CK_TYPE_Q4_1: return wide ? q4_1_512 : q4_1_256;
    case CK_TYPE_Q4_0: return wide ? q4_0_512 : q4_0_256;
    case CK_TYPE_Q8_0: return wide ? q8_0_512 : q8_0_256;
    default: return NULL;
    }
}

#else

void ck_set_avx512_enabled(int enabled) { (void)enabled; }

#endif
