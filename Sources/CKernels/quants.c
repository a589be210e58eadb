// Quantised block formats (GGML layouts), dequantisers, activation quantisers and dot products.

#include "CKernels.h"
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

// MARK: Half precision

static float f16_table[65536];
static int f16_table_ready = 0;

static float f16_to_f32_compute(uint16_t h);

float ck_f16_to_f32(uint16_t h) {
    if (!__atomic_load_n(&f16_table_ready, __ATOMIC_ACQUIRE)) {
        // Racing initialisers write identical values; the release store publishes them.
        for (uint32_t i = 0; i < 65536; i++) f16_table[i] = f16_to_f32_compute((uint16_t)i);
        __atomic_store_n(&f16_table_ready, 1, __ATOMIC_RELEASE);
    }
    return f16_table[h];
}

static float f16_to_f32_compute(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1F;
    uint32_t mant = h & 0x3FF;
    uint32_t bits;
    if (exp == 0) {
        if (mant == 0) {
            bits = sign;
        } else {
            // Subnormal: normalise.
            int e = -1;
            do { mant <<= 1; e++; } while ((mant & 0x400) == 0);
            mant &= 0x3FF;
            bits = sign | ((uint32_t)(127 - 15 - e) << 23) | (mant << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7F800000u | (mant << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t ck_f32_to_f16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000;
    uint32_t absx = x & 0x7FFFFFFFu;
    if (absx >= 0x7F800000u) {  // inf or nan
        return (uint16_t)(sign | 0x7C00 | (absx > 0x7F800000u ? 0x200 | ((absx >> 13) & 0x3FF) : 0));
    }
    if (absx >= 0x477FF000u) return (uint16_t)(sign | 0x7C00);  // rounds to infinity
    if (absx < 0x38800000u) {  // subnormal half (or zero)
        if (absx < 0x33000000u) return (uint16_t)sign;  // below half the smallest subnormal
        uint32_t e = absx >> 23;
        uint32_t mant = (absx & 0x7FFFFF) | 0x800000;
        uint32_t shift = 126 - e;  // 14 - (e - 127) + 13 ... number of bits to drop
        uint32_t half = mant >> shift;
        uint32_t rem = mant & ((1u << shift) - 1);
        uint32_t halfway = 1u << (shift - 1);
        if (rem > halfway || (rem == halfway && (half & 1))) half++;
        return (uint16_t)(sign | half);
    }
    uint32_t e = (absx >> 23) - 127 + 15;
    uint32_t mant = absx & 0x7FFFFF;
    uint32_t half = (e << 10) | (mant >> 13);
    uint32_t rem = mant & 0x1FFF;
    if (rem > 0x1000 || (rem == 0x1000 && (half & 1))) half++;  // may carry into the exponent: correct
    return (uint16_t)(sign | half);
}

float ck_bf16_to_f32(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t ck_f32_to_bf16(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((u >> 16) | 64);  // quiet NaN
    return (uint16_t)((u + (0x7FFF + ((u >> 16) & 1))) >> 16);
}

void ck_f32_to_f16_row(const float *x, uint16_t *y, int64_t n) {
#if CK_X86
    if (ck_use_avx2()) { ck_f32_to_f16_row_avx2(x, y, n); return; }
#endif
    for (int64_t i = 0; i < n; i++) y[i] = ck_f32_to_f16(x[i]);
}

// MARK: Type table

int64_t ck_block_elements(int type) {
    switch (type) {
    case CK_TYPE_F32: case CK_TYPE_F16: case CK_TYPE_BF16: return 1;
    case CK_TYPE_Q4_0: case CK_TYPE_Q4_1: case CK_TYPE_Q5_0: case CK_TYPE_Q5_1:
    case CK_TYPE_Q8_0: case CK_TYPE_Q8_1: return QK;
    case CK_TYPE_Q4_K: case CK_TYPE_Q5_K: case CK_TYPE_Q6_K: case CK_TYPE_Q8_K: return QK_K;
    default: return 0;
    }
}

int64_t ck_block_bytes(int type) {
    switch (type) {
    case CK_TYPE_F32: return 4;
    case CK_TYPE_F16: case CK_TYPE_BF16: return 2;
    case CK_TYPE_Q4_0: return sizeof(block_q4_0);
    case CK_TYPE_Q4_1: return sizeof(block_q4_1);
    case CK_TYPE_Q5_0: return sizeof(block_q5_0);
    case CK_TYPE_Q5_1: return sizeof(block_q5_1);
    case CK_TYPE_Q8_0: return sizeof(block_q8_0);
    case CK_TYPE_Q8_1: return sizeof(block_q8_1);
    case CK_TYPE_Q4_K: return sizeof(block_q4_K);
    case CK_TYPE_Q5_K: return sizeof(block_q5_K);
    case CK_TYPE_Q6_K: return sizeof(block_q6_K);
    case CK_TYPE_Q8_K: return sizeof(block_q8_K);
    default: return 0;
    }
}

int ck_type_supported(int type) {
    switch (type) {
    case CK_TYPE_F32: case CK_TYPE_F16: case CK_TYPE_BF16: case CK_TYPE_Q4_0: case CK_TYPE_Q4_1:
    case CK_TYPE_Q5_0: case CK_TYPE_Q5_1: case CK_TYPE_Q8_0: case CK_TYPE_Q4_K: case CK_TYPE_Q5_K:
    case CK_TYPE_Q6_K: return 1;
    default: return 0;
    }
}

size_t ck_row_bytes(int type, int64_t n) {
    int64_t be = ck_block_elements(type);
    if (be == 0) return 0;
    return (size_t)(n / be * ck_block_bytes(type));
}

int ck_dot_type(int type) {
    switch (type) {
    case CK_TYPE_Q4_0: case CK_TYPE_Q5_0: case CK_TYPE_Q8_0: return CK_TYPE_Q8_0;
    case CK_TYPE_Q4_1: case CK_TYPE_Q5_1: return CK_TYPE_Q8_1;
    case CK_TYPE_Q4_K: case CK_TYPE_Q5_K: case CK_TYPE_Q6_K: return CK_TYPE_Q8_K;
    default: return type;  // F32, F16, BF16
    }
}

// MARK: Dequantisation

static inline void unpack_k_scales(const uint8_t *s, uint8_t *sc, uint8_t *m) {
    for (int j = 0; j < 4; j++) {
        sc[j] = s[j] & 63;
        m[j] = s[j + 4] & 63;
        sc[j + 4] = (s[j + 8] & 0x0F) | ((s[j] >> 6) << 4);
        m[j + 4] = (s[j + 8] >> 4) | ((s[j + 4] >> 6) << 4);
    }
}

int ck_dequantize_row(int type, const void *src, float *dst, int64_t n) {
    switch (type) {
    case CK_TYPE_F32:
        memcpy(dst, src, (size_t)n * 4);
        return 0;
    case CK_TYPE_F16: {
        const uint16_t *h = src;
        for (int64_t i = 0; i < n; i++) dst[i] = ck_f16_to_f32(h[i]);
        return 0;
    }
    case CK_TYPE_BF16: {
        const uint16_t *h = src;
        for (int64_t i = 0; i < n; i++) dst[i] = ck_bf16_to_f32(h[i]);
        return 0;
    }
    case CK_TYPE_Q4_0: {
        const block_q4_0 *b = src;
        for (int64_t i = 0; i < n / QK; i++, dst += QK) {
            const float d = F16(b[i].d);
            for (int j = 0; j < QK / 2; j++) {
                dst[j] = ((b[i].qs[j] & 0x0F) - 8) * d;
                dst[j + QK / 2] = ((b[i].qs[j] >> 4) - 8) * d;
            }
        }
        return 0;
    }
    case CK_TYPE_Q4_1: {
        const block_q4_1 *b = src;
        for (int64_t i = 0; i < n / QK; i++, dst += QK) {
            const float d = F16(b[i].d), m = F16(b[i].m);
            for (int j = 0; j < QK / 2; j++) {
                dst[j] = (b[i].qs[j] & 0x0F) * d + m;
                dst[j + QK / 2] = (b[i].qs[j] >> 4) * d + m;
            }
        }
        return 0;
    }
    case CK_TYPE_Q5_0: {
        const block_q5_0 *b = src;
        for (int64_t i = 0; i < n / QK; i++, dst += QK) {
            const float d = F16(b[i].d);
            uint32_t qh;
            memcpy(&qh, b[i].qh, 4);
            for (int j = 0; j < QK / 2; j++) {
                const int lo = (b[i].qs[j] & 0x0F) | (((qh >> j) & 1) << 4);
                const int hi = (b[i].qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4);
                dst[j] = (lo - 16) * d;
                dst[j + QK / 2] = (hi - 16) * d;
            }
        }
        return 0;
    }
    case CK_TYPE_Q5_1: {
        const block_q5_1 *b = src;
        for (int64_t i = 0; i < n / QK; i++, dst += QK) {
            const float d = F16(b[i].d), m = F16(b[i].m);
            uint32_t qh;
            memcpy(&qh, b[i].qh, 4);
            for (int j = 0; j < QK / 2; j++) {
                const int lo = (b[i].qs[j] & 0x0F) | (((qh >> j) & 1) << 4);
                const int hi = (b[i].qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4);
                dst[j] = lo * d + m;
                dst[j + QK / 2] = hi * d + m;
            }
        }
        return 0;
    }
    case CK_TYPE_Q8_0: {
        const block_q8_0 *b = src;
        for (int64_t i = 0; i < n / QK; i++, dst += QK) {
            const float d = F16(b[i].d);
            for (int j = 0; j < QK; j++) dst[j] = b[i].qs[j] * d;
        }
        return 0;
    }
    case CK_TYPE_Q4_K: {
        const block_q4_K *b = src;
        for (int64_t i = 0; i < n / QK_K; i++, dst += QK_K) {
            const float d = F16(b[i].d), dmin = F16(b[i].dmin);
            uint8_t sc[8], m[8];
            unpack_k_scales(b[i].scales, sc, m);
            for (int s = 0; s < 8; s++) {
                const float ds = d * sc[s], ms = dmin * m[s];
                const uint8_t *q = b[i].qs + (s / 2) * 32;
                const int shift = (s % 2) * 4;
                for (int l = 0; l < 32; l++) dst[s * 32 + l] = ds * ((q[l] >> shift) & 0x0F) - ms;
            }
        }
        return 0;
    }
    case CK_TYPE_Q5_K: {
        const block_q5_K *b = src;
        for (int64_t i = 0; i < n / QK_K; i++, dst += QK_K) {
            const float d = F16(b[i].d), dmin = F16(b[i].dmin);
            uint8_t sc[8], m[8];
            unpack_k_scales(b[i].scales, sc, m);
            for (int s = 0; s < 8; s++) {
                const float ds = d * sc[s], ms = dmin * m[s];
                const uint8_t *q = b[i].qs + (s / 2) * 32;
                const int shift = (s % 2) * 4;
                for (int l = 0; l < 32; l++) {
                    const int v = ((q[l] >> shift) & 0x0F) | (((b[i].qh[l] >> s) & 1) << 4);
                    dst[s * 32 + l] = ds * v - ms;
                }
            }
        }
        return 0;
    }
    case CK_TYPE_Q6_K: {
        const block_q6_K *b = src;
        for (int64_t i = 0; i < n / QK_K; i++, dst += QK_K) {
            const float d = F16(b[i].d);
            for (int e = 0; e < QK_K; e++) {
                const int h = e / 128, r = e % 128;
                const int lo = (b[i].ql[h * 64 + r % 64] >> (4 * (r / 64))) & 0x0F;
                const int hi = (b[i].qh[h * 32 + r % 32] >> (2 * (r / 32))) & 0x03;
                dst[e] = d * b[i].scales[e / 16] * ((lo | (hi << 4)) - 32);
            }
        }
        return 0;
    }
    default:
        return -1;
    }
}

// MARK: Activation quantisation (scalar)

static void quantize_q8_0_scalar(const float *x, block_q8_0 *y, int64_t n) {
    for (int64_t i = 0; i < n / QK; i++, x += QK) {
        float amax = 0;
        for (int j = 0; j < QK; j++) amax = fmaxf(amax, fabsf(x[j]));
        const float d = amax / 127.f;
        const float id = amax != 0 ? 127.f / amax : 0.f;
        y[i].d = ck_f32_to_f16(d);
        for (int j = 0; j < QK; j++) y[i].qs[j] = (int8_t)nearbyintf(x[j] * id);
    }
}

static void quantize_q8_1_scalar(const float *x, block_q8_1 *y, int64_t n) {
    for (int64_t i = 0; i < n / QK; i++, x += QK) {
        float amax = 0;
        for (int j = 0; j < QK; j++) amax = fmaxf(amax, fabsf(x[j]));
        const float d = amax / 127.f;
        const float id = amax != 0 ? 127.f / amax : 0.f;
        y[i].d = ck_f32_to_f16(d);
        int sum = 0;
        for (int j = 0; j < QK; j++) {
            y[i].qs[j] = (int8_t)nearbyintf(x[j] * id);
            sum += y[i].qs[j];
        }
        y[i].s = ck_f32_to_f16(d * (float)sum);
    }
}

static inline int nearest_int(float fval) {
    float val = fval + 12582912.f;
    int i;
    memcpy(&i, &val, sizeof(int));
    return (i & 0x007fffff) - 0x00400000;
}

static void quantize_q8_K(const float *x, block_q8_K *y, int64_t n) {
    for (int64_t i = 0; i < n / QK_K; i++, x += QK_K) {
        float max = 0, amax = 0;
        for (int j = 0; j < QK_K; j++) {
            const float ax = fabsf(x[j]);
            if (ax > amax) { amax = ax; max = x[j]; }
        }
        if (amax == 0) {
            y[i].d = 0;
            memset(y[i].qs, 0, QK_K);
            memset(y[i].bsums, 0, sizeof(y[i].bsums));
            continue;
        }
        const float iscale = -127.f / max;
        for (int j = 0; j < QK_K; j++) {
            const int v = nearest_int(iscale * x[j]);
            y[i].qs[j] = (int8_t)(v < 127 ? v : 127);
        }
        for (int j = 0; j < QK_K / 16; j++) {
            int sum = 0;
            for (int l = 0; l < 16; l++) sum += y[i].qs[j * 16 + l];
            y[i].bsums[j] = (int16_t)sum;
        }
        y[i].d = 1 / iscale;
    }
}

void ck_quantize_activations(int weight_type, const float *x, void *dst, int64_t n) {
    switch (ck_dot_type(weight_type)) {
    case CK_TYPE_Q8_0:
#if CK_X86
        if (ck_use_avx2()) { ck_quantize_q8_0_avx2(x, dst, n); return; }
#endif
        quantize_q8_0_scalar(x, dst, n);
        return;
    case CK_TYPE_Q8_1:
#if CK_X86
        if (ck_use_avx2()) { ck_quantize_q8_1_avx2(x, dst, n); return; }
#endif
        quantize_q8_1_scalar(x, dst, n);
        return;
    case CK_TYPE_Q8_K:
        quantize_q8_K(x, dst, n);
        return;
    case CK_TYPE_F16:
        ck_f32_to_f16_row(x, dst, n);
        return;
    case CK_TYPE_BF16: {
        uint16_t *h = dst;
        for (int64_t i = 0; i < n; i++) h[i] = ck_f32_to_bf16(x[i]);
        return;
    }
    default:
        memcpy(dst, x, (size_t)n * 4);
        return;
    }
}

// MARK: Dot products (scalar)

static float dot_f32(int64_t n, const float *w, const float *x) {
    double sum = 0;
    for (int64_t i = 0; i < n; i++) sum += (double)(w[i] * x[i]);
    return (float)sum;
}

static float dot_f16(int64_t n, const uint16_t *w, const uint16_t *x) {
    double sum = 0;
    for (int64_t i = 0; i < n; i++) sum += (double)(ck_f16_to_f32(w[i]) * ck_f16_to_f32(x[i]));
    return (float)sum;
}

static float dot_bf16(int64_t n, const uint16_t *w, const uint16_t *x) {
    double sum = 0;
    for (int64_t i = 0; i < n; i++) sum += (double)(ck_bf16_to_f32(w[i]) * ck_bf16_to_f32(x[i]));
    return (float)sum;
}

static float dot_q4_0_scalar(int64_t n, const block_q4_0 *w, const block_q8_0 *x) {
    float sum = 0;
    for (int64_t i = 0; i < n / QK; i++) {
        int sumi = 0;
        for (int j = 0; j < QK / 2; j++) {
            sumi += ((w[i].qs[j] & 0x0F) - 8) * x[i].qs[j];
            sumi += ((w[i].qs[j] >> 4) - 8) * x[i].qs[j + QK / 2];
        }
        sum += sumi * F16(w[i].d) * F16(x[i].d);
    }
    return sum;
}

static float dot_q4_1_scalar(int64_t n, const block_q4_1 *w, const block_q8_1 *x) {
    float sum = 0, mins = 0;
    for (int64_t i = 0; i < n / QK; i++) {
        int sumi = 0;
        for (int j = 0; j < QK / 2; j++) {
            sumi += (w[i].qs[j] & 0x0F) * x[i].qs[j];
            sumi += (w[i].qs[j] >> 4) * x[i].qs[j + QK / 2];
        }
        sum = fmaf(F16(w[i].d) * F16(x[i].d), (float)sumi, sum);
        mins = fmaf(F16(w[i].m), F16(x[i].s), mins);
    }
    return sum + mins;
}

static float dot_q5_0_scalar(int64_t n, const block_q5_0 *w, const block_q8_0 *x) {
    float sum = 0;
    for (int64_t i = 0; i < n / QK; i++) {
        uint32_t qh;
        memcpy(&qh, w[i].qh, 4);
        int sumi = 0;
        for (int j = 0; j < QK / 2; j++) {
            const int lo = ((w[i].qs[j] & 0x0F) | (((qh >> j) & 1) << 4)) - 16;
            const int hi = ((w[i].qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4)) - 16;
            sumi += lo * x[i].qs[j] + hi * x[i].qs[j + QK / 2];
        }
        sum += (F16(w[i].d) * F16(x[i].d)) * sumi;
    }
    return sum;
}

static float dot_q5_1_scalar(int64_t n, const block_q5_1 *w, const block_q8_1 *x) {
    float sum = 0;
    for (int64_t i = 0; i < n / QK; i++) {
        uint32_t qh;
        memcpy(&qh, w[i].qh, 4);
        int sumi = 0;
        for (int j = 0; j < QK / 2; j++) {
            const int lo = (w[i].qs[j] & 0x0F) | (((qh >> j) & 1) << 4);
            const int hi = (w[i].qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4);
            sumi += lo * x[i].qs[j] + hi * x[i].qs[j + QK / 2];
        }
        sum += (F16(w[i].d) * F16(x[i].d)) * sumi + F16(w[i].m) * F16(x[i].s);
    }
    return sum;
}

static float dot_q8_0_scalar(int64_t n, const block_q8_0 *w, const block_q8_0 *x) {
    float sum = 0;
    for (int64_t i = 0; i < n / QK; i++) {
        int sumi = 0;
        for (int j = 0; j < QK; j++) sumi += w[i].qs[j] * x[i].qs[j];
        sum += sumi * (F16(w[i].d) * F16(x[i].d));
    }
    return sum;
}

static float dot_q4_K(int64_t n, const block_q4_K *w, const block_q8_K *x) {
    float sum = 0;
    for (int64_t i = 0; i < n / QK_K; i++) {
        uint8_t sc[8], m[8];
        unpack_k_scales(w[i].scales, sc, m);
        int sumi_mins = 0;
        for (int s = 0; s < 8; s++) sumi_mins += m[s] * (x[i].bsums[2 * s] + x[i].bsums[2 * s + 1]);
        int sumi = 0;
        for (int s = 0; s < 8; s++) {
            const uint8_t *q = w[i].qs + (s / 2) * 32;
            const int8_t *y = x[i].qs + s * 32;
            const int shift = (s % 2) * 4;
            int part = 0;
            for (int l = 0; l < 32; l++) part += ((q[l] >> shift) & 0x0F) * y[l];
            sumi += sc[s] * part;
        }
        const float d = F16(w[i].d) * x[i].d, dmin = F16(w[i].dmin) * x[i].d;
        sum += d * sumi - dmin * sumi_mins;
    }
    return sum;
}

static float dot_q5_K(int64_t n, const block_q5_K *w, const block_q8_K *x) {
    float sum = 0;
    for (int64_t i = 0; i < n / QK_K; i++) {
        uint8_t sc[8], m[8];
        unpack_k_scales(w[i].scales, sc, m);
        int sumi_mins = 0;
        for (int s = 0; s < 8; s++) sumi_mins += m[s] * (x[i].bsums[2 * s] + x[i].bsums[2 * s + 1]);
        int sumi = 0;
        for (int s = 0; s < 8; s++) {
            const uint8_t *q = w[i].qs + (s / 2) * 32;
            const int8_t *y = x[i].qs + s * 32;
            const int shift = (s % 2) * 4;
            int part = 0;
            for (int l = 0; l < 32; l++) part += (((q[l] >> shift) & 0x0F) | (((w[i].qh[l] >> s) & 1) << 4)) * y[l];
            sumi += sc[s] * part;
        }
        const float d = F16(w[i].d) * x[i].d, dmin = F16(w[i].dmin) * x[i].d;
        sum += d * sumi - dmin * sumi_mins;
    }
    return sum;
}

static float dot_q6_K(int64_t n, const block_q6_K *w, const block_q8_K *x) {
    float sum = 0;
    for (int64_t i = 0; i < n / QK_K; i++) {
        int sumi = 0;
        for (int g = 0; g < QK_K / 16; g++) {
            int part = 0;
            for (int l = 0; l < 16; l++) {
                const int e = g * 16 + l, h = e / 128, r = e % 128;
                const int lo = (w[i].ql[h * 64 + r % 64] >> (4 * (r / 64))) & 0x0F;
                const int hi = (w[i].qh[h * 32 + r % 32] >> (2 * (r / 32))) & 0x03;
                part += ((lo | (hi << 4)) - 32) * x[i].qs[e];
            }
            sumi += w[i].scales[g] * part;
        }
        sum += F16(w[i].d) * x[i].d * sumi;
    }
    return sum;
}

float ck_vec_dot(int type, int64_t n, const void *w, const void *xq) {
#if CK_X86
    if (ck_use_avx2()) {
        switch (type) {
        case CK_TYPE_Q4_0: return ck_dot_q4_0_avx2(n, w, xq);
        case CK_TYPE_Q4_1: return ck_dot_q4_1_avx2(n, w, xq);
        case CK_TYPE_Q8_0: return ck_dot_q8_0_avx2(n, w, xq);
        case CK_TYPE_F16: return ck_dot_f16_avx2(n, w, xq);
        case CK_TYPE_F32: return ck_dot_f32_avx2(n, w, xq);
        default: break;
        }
    }
#endif
    switch (type) {
    case CK_TYPE_F32: return dot_f32(n, w, xq);
    case CK_TYPE_F16: return dot_f16(n, w, xq);
    case CK_TYPE_BF16: return dot_bf16(n, w, xq);
    case CK_TYPE_Q4_0: return dot_q4_0_scalar(n, w, xq);
    case CK_TYPE_Q4_1: return dot_q4_1_scalar(n, w, xq);
    case CK_TYPE_Q5_0: return dot_q5_0_scalar(n, w, xq);
    case CK_TYPE_Q5_1: return dot_q5_1_scalar(n, w, xq);
    case CK_TYPE_Q8_0: return dot_q8_0_scalar(n, w, xq);
    case CK_TYPE_Q4_K: return dot_q4_K(n, w, xq);
    case CK_TYPE_Q5_K: return dot_q5_K(n, w, xq);
    case CK_TYPE_Q6_K: return dot_q6_K(n, w, xq);
    default: return NAN;
    }
}
