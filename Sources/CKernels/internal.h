// Block layouts (identical to GGML's) and the run-time SIMD dispatch shared by the kernel files.
#ifndef CKERNELS_INTERNAL_H
#define CKERNELS_INTERNAL_H

#include <stdint.h>

#define QK 32
#define QK_K 256

typedef struct { uint16_t d; uint8_t qs[QK / 2]; } block_q4_0;
typedef struct { uint16_t d; uint16_t m; uint8_t qs[QK / 2]; } block_q4_1;
typedef struct { uint16_t d; uint8_t qh[4]; uint8_t qs[QK / 2]; } block_q5_0;
typedef struct { uint16_t d; uint16_t m; uint8_t qh[4]; uint8_t qs[QK / 2]; } block_q5_1;
typedef struct { uint16_t d; int8_t qs[QK]; } block_q8_0;
typedef struct { uint16_t d; uint16_t s; int8_t qs[QK]; } block_q8_1;
typedef struct { uint16_t d; uint16_t dmin; uint8_t scales[12]; uint8_t qs[QK_K / 2]; } block_q4_K;
typedef struct { uint16_t d; uint16_t dmin; uint8_t scales[12]; uint8_t qh[QK_K / 8]; uint8_t qs[QK_K / 2]; } block_q5_K;
typedef struct { uint8_t ql[QK_K / 2]; uint8_t qh[QK_K / 4]; int8_t scales[QK_K / 16]; uint16_t d; } block_q6_K;
typedef struct { float d; int8_t qs[QK_K]; int16_t bsums[QK_K / 16]; } block_q8_K;

_Static_assert(sizeof(block_q4_0) == 18, "q4_0 layout");
_Static_assert(sizeof(block_q4_1) == 20, "q4_1 layout");
_Static_assert(sizeof(block_q5_0) == 22, "q5_0 layout");
_Static_assert(sizeof(block_q5_1) == 24, "q5_1 layout");
_Static_assert(sizeof(block_q8_0) == 34, "q8_0 layout");
_Static_assert(sizeof(block_q8_1) == 36, "q8_1 layout");
_Static_assert(sizeof(block_q4_K) == 144, "q4_K layout");
_Static_assert(sizeof(block_q5_K) == 176, "q5_K layout");
_Static_assert(sizeof(block_q6_K) == 210, "q6_K layout");
_Static_assert(sizeof(block_q8_K) == 292, "q8_K layout");

float ck_f16_to_f32(uint16_t h);
#define F16(h) ck_f16_to_f32(h)

/// Lane accumulators of llama.cpp's attention value sums for this batch kind and build.
int ck_attention_lanes(int batched, int profile);

#if defined(__x86_64__) || defined(_M_X64)
#define CK_X86 1
int ck_use_avx2(void);
void ck_f32_to_f16_row_avx2(const float *x, uint16_t *y, int64_t n);
void ck_quantize_q8_0_avx2(const float *x, block_q8_0 *y, int64_t n);
void ck_quantize_q8_1_avx2(const float *x, block_q8_1 *y, int64_t n);
float ck_dot_q4_0_avx2(int64_t n, const block_q4_0 *w, const block_q8_0 *x);
float ck_dot_q4_1_avx2(int64_t n, const block_q4_1 *w, const block_q8_1 *x);
float ck_dot_q8_0_avx2(int64_t n, const block_q8_0 *w, const block_q8_0 *x);
void ck_dot4_q4_1_avx2(int64_t n, const block_q4_1 *w, const block_q8_1 *x, size_t x_stride, float *out);
void ck_dot8_q4_1_avx2(int64_t n, const block_q4_1 *w, const block_q8_1 *x, size_t x_stride, float *out);
void ck_dot8_q4_1_vnni(int64_t n, const block_q4_1 *w, const block_q8_1 *x, size_t x_stride, float *out);
int ck_use_vnni(void);
void ck_dot4_q8_0_avx2(int64_t n, const block_q8_0 *w, const block_q8_0 *x, size_t x_stride, float *out);
void ck_dot4_q4_0_avx2(int64_t n, const block_q4_0 *w, const block_q8_0 *x, size_t x_stride, float *out);
float ck_dot_f16_avx2(int64_t n, const uint16_t *w, const uint16_t *x);
float ck_dot_f32_avx2(int64_t n, const float *w, const float *x);
void ck_swiglu_avx2(float *gate, const float *up, int64_t n, int profile);
double ck_softmax_avx2(float *x, int64_t n, int profile);
float ck_dot_f16_gemm_avx2(int64_t n, const uint16_t *a, const uint16_t *b, int profile);
float ck_dot_f16_vec_avx2(int64_t n, const uint16_t *a, const uint16_t *b, int profile);
void ck_weighted_values_avx2(int64_t n_pos, const float *p, const uint16_t *v, int64_t stride, int64_t dim, int lanes, int profile, float *acc, float *out);
/// True when the grouped attention kernel handles heads of this size.
int ck_attention_group_fusable(int64_t head_dim);
/// Floats of scratch `ck_attention_group_avx2` needs.
size_t ck_attention_group_scratch(int64_t n_past, int heads, int64_t dim);
/// Attention of `heads` consecutive query heads that share one key/value head (their queries and
/// outputs `dim` apart), equal bit for bit to the per-position path head by head.
void ck_attention_group_avx2(const float *q, const uint16_t *k, const uint16_t *v, int64_t n_past, int64_t stride,
                             int64_t dim, int heads, float scale, int batched, int profile, float *scratch, float *out);
void ck_axpy_f16_avx2(int64_t n, float a, const uint16_t *v, float *y);
#else
#define CK_X86 0
#endif

#endif
