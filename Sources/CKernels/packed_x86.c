// x86-64 kernels for packed weights (see packed.h): AVX-512 with VNNI (8 rows of two groups per
// vector, up to 4 activation rows per loaded weight vector), and AVX2 + FMA (two halves of 4 rows).
// Both produce the single-row AVX2 kernels' results bit for bit: the same integer sums per lane,
// the same scale products and fused multiply-adds in block order, the same reduction tree.

#include "CKernels.h"
#include "packed.h"

#if CK_X86

#include <immintrin.h>
#include <string.h>

#define AVX2 __attribute__((target("avx2,fma,f16c")))
#define AVX512 __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")))

// MARK: AVX-512

static inline int64_t load8(const int8_t *p) {
    int64_t v;
    memcpy(&v, p, 8);
    return v;
}

// Per-row values of a tile (8 F16 at `h`) as floats, each in both lanes of its row's pair.
AVX512 static inline __m512 pairs512(const uint16_t *h) {
    const __m512 v = _mm512_castps256_ps512(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)h)));
    return _mm512_permutexvar_ps(_mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7), v);
}

// The single-row kernel's reduction tree of the four pair accumulators of 8 rows, plus `extra`
// (the Q4_1 minimums), stored as 8 floats: (01 + 45) + (23 + 67) holds ((0+4)+(2+6)) in lane 2r
// and ((1+5)+(3+7)) in lane 2r + 1; adding the pair's other lane gives their sum in both.
AVX512 static inline void finish512(const __m512 acc[4], __m512 extra, int has_extra, float *out) {
    const __m512 t = _mm512_add_ps(_mm512_add_ps(acc[0], acc[2]), _mm512_add_ps(acc[1], acc[3]));
    __m512 u = _mm512_add_ps(t, _mm512_permute_ps(t, 0xB1));
    if (has_extra) u = _mm512_add_ps(u, extra);
    _mm256_storeu_si256((__m256i *)out, _mm512_cvtepi64_epi32(_mm512_castps_si512(u)));
}

// N activation rows (1 to 4) against one tile of 8 Q4_1 rows: the tile's four vectors of nibbles
// are split once per block and serve all N rows.
#define Q4_1_512(N)                                                                                     \
    AVX512 static void q4_1_512_##N(const void *tile, int64_t nb, const packed_act *a, float out[][PACK_ROWS]) { \
        __m512 acc[N][4], mins[N];                                                                      \
        for (int j = 0; j < N; j++) {                                                                   \
            mins[j] = _mm512_setzero_ps();                                                              \
            for (int p = 0; p < 4; p++) acc[j][p] = _mm512_setzero_ps();                                \
        }                                                                                               \
        const __m512i low = _mm512_set1_epi8(0x0F);                                                     \
        for (int64_t i = 0; i < nb; i++) {                                                              \
            const pblock_q4_1 *b = (const pblock_q4_1 *)tile + i;                                       \
            const __m512 dw = pairs512(b->d), mw = pairs512(b->m);                                      \
            const __m512i w0 = _mm512_loadu_si512((const void *)b->qs[0]);                              \
            const __m512i w1 = _mm512_loadu_si512((const void *)b->qs[1]);                              \
            const __m512i q[4] = {_mm512_and_si512(w0, low), _mm512_and_si512(w1, low),                 \
                                  _mm512_and_si512(_mm512_srli_epi16(w0, 4), low),                      \
                                  _mm512_and_si512(_mm512_srli_epi16(w1, 4), low)};                     \
            for (int j = 0; j < N; j++) {                                                               \
                const block_q8_1 *x = (const block_q8_1 *)a[j].q + i;                                  \
                const __m512 scale = _mm512_mul_ps(dw, _mm512_set1_ps(a[j].d[i]));                      \
                mins[j] = _mm512_fmadd_ps(mw, _mm512_set1_ps(a[j].s[i]), mins[j]);                      \
                for (int p = 0; p < 4; p++) {                                                           \
                    const __m512i s = _mm512_dpbusd_epi32(_mm512_setzero_si512(), q[p], _mm512_set1_epi64(load8(x->qs + 8 * p))); \
                    acc[j][p] = _mm512_fmadd_ps(scale, _mm512_cvtepi32_ps(s), acc[j][p]);               \
                }                                                                                       \
            }                                                                                           \
        }                                                                                               \
        for (int j = 0; j < N; j++) finish512(acc[j], mins[j], 1, out[j]);                              \
    }
Q4_1_512(1)
Q4_1_512(2)
Q4_1_512(3)
Q4_1_512(4)

static void q4_1_512(const void *tile, int64_t nb, const packed_act *a, int n_act, float out[][PACK_ROWS]) {
    switch (n_act) {
    case 4: q4_1_512_4(tile, nb, a, out); break;
    case 3: q4_1_512_3(tile, nb, a, out); break;
    case 2: q4_1_512_2(tile, nb, a, out); break;
    default: q4_1_512_1(tile, nb, a, out); break;
    }
}

// Q4_0: unsigned nibbles times signed activations, plus -8 times the activations' group sums.
#define Q4_0_512(N)                                                                                     \
    AVX512 static void q4_0_512_##N(const void *tile, int64_t nb, const packed_act *a, float out[][PACK_ROWS]) { \
        __m512 acc[N][4];                                                                               \
        for (int j = 0; j < N; j++) for (int p = 0; p < 4; p++) acc[j][p] = _mm512_setzero_ps();        \
        const __m512i low = _mm512_set1_epi8(0x0F);                                                     \
        for (int64_t i = 0; i < nb; i++) {                                                              \
            const pblock_q4_0 *b = (const pblock_q4_0 *)tile + i;                                       \
            const __m512 dw = pairs512(b->d);                                                           \
            const __m512i w0 = _mm512_loadu_si512((const void *)b->qs[0]);                              \
            const __m512i w1 = _mm512_loadu_si512((const void *)b->qs[1]);                              \
            const __m512i q[4] = {_mm512_and_si512(w0, low), _mm512_and_si512(w1, low),                 \
                                  _mm512_and_si512(_mm512_srli_epi16(w0, 4), low),                      \
                                  _mm512_and_si512(_mm512_srli_epi16(w1, 4), low)};                     \
            for (int j = 0; j < N; j++) {                                                               \
                const block_q8_0 *x = (const block_q8_0 *)a[j].q + i;                                  \
                const int32_t *neg8 = a[j].neg8 + i * 8;                                                \
                const __m512 scale = _mm512_mul_ps(dw, _mm512_set1_ps(a[j].d[i]));                      \
                for (int p = 0; p < 4; p++) {                                                           \
                    const __m512i bias = _mm512_set1_epi64(load8((const int8_t *)(neg8 + 2 * p)));      \
                    const __m512i s = _mm512_dpbusd_epi32(bias, q[p], _mm512_set1_epi64(load8(x->qs + 8 * p))); \
                    acc[j][p] = _mm512_fmadd_ps(scale, _mm512_cvtepi32_ps(s), acc[j][p]);               \
                }                                                                                       \
            }                                                                                           \
        }                                                                                               \
        for (int j = 0; j < N; j++) finish512(acc[j], _mm512_setzero_ps(), 0, out[j]);                  \
    }
Q4_0_512(1)
Q4_0_512(2)
Q4_0_512(3)
Q4_0_512(4)

static void q4_0_512(const void *tile, int64_t nb, const packed_act *a, int n_act, float out[][PACK_ROWS]) {
    switch (n_act) {
    case 4: q4_0_512_4(tile, nb, a, out); break;
    case 3: q4_0_512_3(tile, nb, a, out); break;
    case 2: q4_0_512_2(tile, nb, a, out); break;
    default: q4_0_512_1(tile, nb, a, out); break;
    }
}

// Q8_0: weights offset to unsigned (w + 128), plus -128 times the activations' group sums.
#define Q8_0_512(N)                                                                                     \
    AVX512 static void q8_0_512_##N(const void *tile, int64_t nb, const packed_act *a, float out[][PACK_ROWS]) { \
        const __m512i flip = _mm512_set1_epi8((char)0x80);                                              \
        __m512 acc[N][4];                                                                               \
        for (int j = 0; j < N; j++) for (int p = 0; p < 4; p++) acc[j][p] = _mm512_setzero_ps();        \
        for (int64_t i = 0; i < nb; i++) {                                                              \
            const pblock_q8_0 *b = (const pblock_q8_0 *)tile + i;                                       \
            const __m512 dw = pairs512(b->d);                                                           \
            __m512i q[4];                                                                               \
            for (int p = 0; p < 4; p++) q[p] = _mm512_xor_si512(_mm512_loadu_si512((const void *)b->qs[p]), flip); \
            for (int j = 0; j < N; j++) {                                                               \
                const block_q8_0 *x = (const block_q8_0 *)a[j].q + i;                                  \
                const int32_t *neg128 = a[j].neg128 + i * 8;                                            \
                const __m512 scale = _mm512_mul_ps(dw, _mm512_set1_ps(a[j].d[i]));                      \
                for (int p = 0; p < 4; p++) {                                                           \
                    const __m512i bias = _mm512_set1_epi64(load8((const int8_t *)(neg128 + 2 * p)));    \
                    const __m512i s = _mm512_dpbusd_epi32(bias, q[p], _mm512_set1_epi64(load8(x->qs + 8 * p))); \
                    acc[j][p] = _mm512_fmadd_ps(scale, _mm512_cvtepi32_ps(s), acc[j][p]);               \
                }                                                                                       \
            }                                                                                           \
        }                                                                                               \
        for (int j = 0; j < N; j++) finish512(acc[j], _mm512_setzero_ps(), 0, out[j]);                  \
    }
Q8_0_512(1)
Q8_0_512(2)
Q8_0_512(3)
Q8_0_512(4)

static void q8_0_512(const void *tile, int64_t nb, const packed_act *a, int n_act, float out[][PACK_ROWS]) {
    switch (n_act) {
    case 4: q8_0_512_4(tile, nb, a, out); break;
    case 3: q8_0_512_3(tile, nb, a, out); break;
    case 2: q8_0_512_2(tile, nb, a, out); break;
    default: q8_0_512_1(tile, nb, a, out); break;
    }
}

// MARK: AVX2 (two halves of four rows over each tile, one activation row at a time)

// Per-row values of half a tile (4 F16 at `h`) as floats, each in both lanes of its row's pair.
AVX2 static inline __m256 pairs256(const uint16_t *h) {
    const __m256 v = _mm256_castps128_ps256(_mm_cvtph_ps(_mm_loadl_epi64((const __m128i *)h)));
    return _mm256_permutevar8x32_ps(v, _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3));
}

// `finish512` for 4 rows.
AVX2 static inline void finish256(const __m256 acc[4], __m256 extra, int has_extra, float *out) {
    const __m256 t = _mm256_add_ps(_mm256_add_ps(acc[0], acc[2]), _mm256_add_ps(acc[1], acc[3]));
    __m256 u = _mm256_add_ps(t, _mm256_permute_ps(t, 0xB1));
    if (has_extra) u = _mm256_add_ps(u, extra);
    _mm_storeu_ps(out, _mm256_castps256_ps128(_mm256_permutevar8x32_ps(u, _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7))));
}

AVX2 static inline __m256i bcast8(const void *p) {
    int64_t v;
    memcpy(&v, p, 8);
    return _mm256_set1_epi64x(v);
}

AVX2 static void q4_1_256(const void *tile, int64_t nb, const packed_act *a, int n_act, float out[][PACK_ROWS]) {
    const __m256i low = _mm256_set1_epi8(0x0F), ones = _mm256_set1_epi16(1);
    for (int j = 0; j < n_act; j++) {
        for (int h = 0; h < 2; h++) {
            __m256 acc[4], mins = _mm256_setzero_ps();
            for (int p = 0; p < 4; p++) acc[p] = _mm256_setzero_ps();
            for (int64_t i = 0; i < nb; i++) {
                const pblock_q4_1 *b = (const pblock_q4_1 *)tile + i;
                const block_q8_1 *x = (const block_q8_1 *)a[j].q + i;
                const __m256 scale = _mm256_mul_ps(pairs256(b->d + 4 * h), _mm256_set1_ps(a[j].d[i]));
                mins = _mm256_fmadd_ps(pairs256(b->m + 4 * h), _mm256_set1_ps(a[j].s[i]), mins);
                for (int k = 0; k < 2; k++) {
                    const __m256i wv = _mm256_loadu_si256((const __m256i *)b->qs[k][4 * h]);
                    const __m256i lo = _mm256_and_si256(wv, low), hi = _mm256_and_si256(_mm256_srli_epi16(wv, 4), low);
                    const __m256i plo = _mm256_madd_epi16(_mm256_maddubs_epi16(lo, bcast8(x->qs + 8 * k)), ones);
                    const __m256i phi = _mm256_madd_epi16(_mm256_maddubs_epi16(hi, bcast8(x->qs + 16 + 8 * k)), ones);
                    acc[k] = _mm256_fmadd_ps(scale, _mm256_cvtepi32_ps(plo), acc[k]);
                    acc[k + 2] = _mm256_fmadd_ps(scale, _mm256_cvtepi32_ps(phi), acc[k + 2]);
                }
            }
            finish256(acc, mins, 1, out[j] + 4 * h);
        }
    }
}

AVX2 static void q4_0_256(const void *tile, int64_t nb, const packed_act *a, int n_act, float out[][PACK_ROWS]) {
    const __m256i low = _mm256_set1_epi8(0x0F), ones = _mm256_set1_epi16(1);
    for (int j = 0; j < n_act; j++) {
        for (int h = 0; h < 2; h++) {
            __m256 acc[4];
            for (int p = 0; p < 4; p++) acc[p] = _mm256_setzero_ps();
            for (int64_t i = 0; i < nb; i++) {
                const pblock_q4_0 *b = (const pblock_q4_0 *)tile + i;
                const block_q8_0 *x = (const block_q8_0 *)a[j].q + i;
                const int32_t *neg8 = a[j].neg8 + i * 8;
                const __m256 scale = _mm256_mul_ps(pairs256(b->d + 4 * h), _mm256_set1_ps(a[j].d[i]));
                for (int k = 0; k < 2; k++) {
                    const __m256i wv = _mm256_loadu_si256((const __m256i *)b->qs[k][4 * h]);
                    const __m256i lo = _mm256_and_si256(wv, low), hi = _mm256_and_si256(_mm256_srli_epi16(wv, 4), low);
                    __m256i plo = _mm256_madd_epi16(_mm256_maddubs_epi16(lo, bcast8(x->qs + 8 * k)), ones);
                    __m256i phi = _mm256_madd_epi16(_mm256_maddubs_epi16(hi, bcast8(x->qs + 16 + 8 * k)), ones);
                    plo = _mm256_add_epi32(plo, bcast8(neg8 + 2 * k));
                    phi = _mm256_add_epi32(phi, bcast8(neg8 + 4 + 2 * k));
                    acc[k] = _mm256_fmadd_ps(scale, _mm256_cvtepi32_ps(plo), acc[k]);
                    acc[k + 2] = _mm256_fmadd_ps(scale, _mm256_cvtepi32_ps(phi), acc[k + 2]);
                }
            }
            finish256(acc, _mm256_setzero_ps(), 0, out[j] + 4 * h);
        }
    }
}

AVX2 static void q8_0_256(const void *tile, int64_t nb, const packed_act *a, int n_act, float out[][PACK_ROWS]) {
    const __m256i ones = _mm256_set1_epi16(1);
    for (int j = 0; j < n_act; j++) {
        for (int h = 0; h < 2; h++) {
            __m256 acc[4];
            for (int p = 0; p < 4; p++) acc[p] = _mm256_setzero_ps();
            for (int64_t i = 0; i < nb; i++) {
                const pblock_q8_0 *b = (const pblock_q8_0 *)tile + i;
                const block_q8_0 *x = (const block_q8_0 *)a[j].q + i;
                const __m256 scale = _mm256_mul_ps(pairs256(b->d + 4 * h), _mm256_set1_ps(a[j].d[i]));
                for (int p = 0; p < 4; p++) {
                    const __m256i wv = _mm256_loadu_si256((const __m256i *)b->qs[p][4 * h]);
                    const __m256i sx = _mm256_sign_epi8(bcast8(x->qs + 8 * p), wv);
                    const __m256i s = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(wv, wv), sx), ones);
                    acc[p] = _mm256_fmadd_ps(scale, _mm256_cvtepi32_ps(s), acc[p]);
                }
            }
            finish256(acc, _mm256_setzero_ps(), 0, out[j] + 4 * h);
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
