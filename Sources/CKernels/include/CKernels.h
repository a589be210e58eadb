#ifndef CKERNELS_H
#define CKERNELS_H

/// Hot loops of the local language model: quantised block formats (GGML layouts), dequantisers,
/// quantised dot products and matrix-vector products over a batch of rows, and the small
/// per-token operations of a llama-family transformer (RMSNorm, RoPE, softmax, attention, SwiGLU).
///
/// Numerics follow ggml's CPU backend: activations are quantised to the weight type's "dot type"
/// (Q8_0, Q8_1 or Q8_K; F16 or BF16 for half-precision weights) before an integer dot product,
/// the KV cache holds F16, and attention rounds queries and probabilities to F16. That keeps
/// greedy decoding token-for-token identical to llama.cpp on the same file.
///
/// x86-64 builds choose AVX2/FMA/F16C code at run time (`ck_simd_level`), with a portable scalar
/// path everywhere else; the scalar loops are written to auto-vectorise (NEON on arm64).

#include <stddef.h>
#include <stdint.h>

#include "CKConstraints.h"

#ifdef __cplusplus
extern "C" {
#endif

/// Tensor element types, numbered as in GGML/GGUF.
enum {
    CK_TYPE_F32 = 0,
    CK_TYPE_F16 = 1,
    CK_TYPE_Q4_0 = 2,
    CK_TYPE_Q4_1 = 3,
    CK_TYPE_Q5_0 = 6,
    CK_TYPE_Q5_1 = 7,
    CK_TYPE_Q8_0 = 8,
    CK_TYPE_Q8_1 = 9,
    CK_TYPE_Q4_K = 12,
    CK_TYPE_Q5_K = 13,
    CK_TYPE_Q6_K = 14,
    CK_TYPE_Q8_K = 15,
    CK_TYPE_BF16 = 30,
};

/// 1 when the type can be dequantised and multiplied by these kernels.
int ck_type_supported(int type);
/// Elements per block (1 for F32/F16/BF16); 0 for an unknown type.
int64_t ck_block_elements(int type);
/// Bytes per block; 0 for an unknown type.
int64_t ck_block_bytes(int type);
/// Bytes of a row of `n` elements (`n` a multiple of the block size).
size_t ck_row_bytes(int type, int64_t n);

/// Decodes `n` elements of a row of `type` into floats. Returns 0, or -1 for an unsupported type.
int ck_dequantize_row(int type, const void *src, float *dst, int64_t n);

/// The format activations take before a dot product with weights of `type` (as ggml's vec_dot_type).
int ck_dot_type(int type);
/// Encodes `n` floats in `ck_dot_type(weight_type)`; `dst` holds `ck_row_bytes(ck_dot_type(...), n)` bytes.
void ck_quantize_activations(int weight_type, const float *x, void *dst, int64_t n);
/// Dot product of a weight row of `type` with activations already in its dot type.
float ck_vec_dot(int type, int64_t n, const void *w, const void *xq);

/// `y[b * rows + r] = dot(W[r], x[b])` for `b < batch`, `r < rows`: a batch of activation rows
/// (`x` is `batch * cols` floats) against a weight matrix of `rows` rows of `cols` elements,
/// `row_stride` bytes apart.
void ck_matmul(int type, const void *w, size_t row_stride, int64_t rows, int64_t cols,
               const float *x, int64_t batch, float *y);

/// 0: portable scalar code; 1: AVX2 + FMA + F16C (chosen at run time on x86-64).
int ck_simd_level(void);
/// Forces the scalar path (`enabled` 0) or restores run-time detection (1) on the calling thread. For tests.
void ck_set_simd_enabled(int enabled);

/// Which build of llama.cpp's CPU backend the summation orders and exp approximation of
/// `ck_swiglu_profiled` and `ck_attention` follow: its AVX2 build (8-lane vectors; the build that
/// recorded the reference outputs) or its AVX-512 build (16-lane vectors). Either is reproduced on
/// any x86-64 machine with AVX2.
enum { CK_PROFILE_AVX2 = 0, CK_PROFILE_AVX512 = 1 };

/// IEEE half and bfloat16 conversions (round to nearest even).
float ck_f16_to_f32(uint16_t h);
uint16_t ck_f32_to_f16(float f);
float ck_bf16_to_f32(uint16_t h);
uint16_t ck_f32_to_bf16(float f);
void ck_f32_to_f16_row(const float *x, uint16_t *y, int64_t n);

/// `y = x / sqrt(mean(x^2) + eps) * w` (sum of squares in double, as ggml).
void ck_rmsnorm(const float *x, const float *w, float *y, int64_t n, float eps);
/// Rotary position embedding in place on `n_heads` heads of `head_dim` floats, rotating the first
/// `n_rot` dimensions of each. `neox` 0 rotates adjacent pairs (2i, 2i+1), 1 rotates (i, i + n_rot/2).
/// `freq_factors` (may be NULL) divides each pair's angle, as Llama 3's `rope_freqs`.
void ck_rope(float *x, int64_t n_heads, int64_t head_dim, int64_t n_rot, int64_t pos,
             float freq_base, float freq_scale, int neox, const float *freq_factors);
/// `gate[i] = silu(gate[i]) * up[i]` (AVX2 profile).
void ck_swiglu(float *gate, const float *up, int64_t n);
/// `gate[i] = silu(gate[i]) * up[i]` with the exp approximation and grouping of `profile`.
void ck_swiglu_profiled(float *gate, const float *up, int64_t n, int profile);
/// `y[i] += x[i]`.
void ck_add(float *y, const float *x, int64_t n);
/// `y[i] *= x[i]`.
void ck_mul(float *y, const float *x, int64_t n);
/// Index of the largest value (the first on ties).
int64_t ck_argmax(const float *x, int64_t n);
/// Writes into `order` the indices of `x` sorted by value, largest first (ties by index).
void ck_sort_descending(const float *x, int64_t n, int32_t *order);
/// In-place softmax; returns the sum of exponentials (in double, as ggml) before normalising.
double ck_softmax(float *x, int64_t n);

/// Causal attention of one query token over `n_past` cached positions, for every head.
/// `q` is `n_head * head_dim` floats; `k_cache` and `v_cache` are F16, `kv_stride` elements per
/// position (`n_kv_head * head_dim`), head h reading KV head `h / (n_head / n_kv_head)`.
/// Scores are `scale * dot(f16(q), k)`, softmax in float, probabilities rounded to F16 and
/// applied to V. `batched` (1 when the token is part of a multi-token batch) selects the
/// summation order llama.cpp uses for that case, `profile` the build it follows (CK_PROFILE_*).
/// `scores` is no longer written (scratch for a whole group of heads is allocated inside); it
/// stays for source compatibility. With AVX2 and a head size that is a multiple of 64, the query
/// heads of each key/value head run in one fused pass with the same results bit for bit.
void ck_attention(const float *q, const uint16_t *k_cache, const uint16_t *v_cache, int64_t n_past,
                  int64_t n_head, int64_t n_kv_head, int64_t head_dim, int64_t kv_stride, float scale,
                  int batched, int profile, float *scores, float *out);
/// Allows (1, the default) or forbids (0) the fused one-pass attention kernel on the calling
/// thread; forbidden, attention takes the per-position path, so tests can compare the two.
void ck_set_fused_attention_enabled(int enabled);

// MARK: The compute pool and pooled products

/// A fixed set of threads sharing the items of one job at a time (the caller works as thread 0).
typedef struct ck_pool ck_pool;
/// Cores this process may run on (its CPU affinity), at least 1.
int ck_available_cores(void);
/// Starts a pool of `n_threads` threads in all (the caller plus `n_threads - 1` workers).
ck_pool *ck_pool_create(int n_threads);
void ck_pool_destroy(ck_pool *pool);
int ck_pool_threads(const ck_pool *pool);
/// Work on item `item` as thread `ith` (0 ..< threads).
typedef void (*ck_pool_body)(void *ctx, int64_t item, int ith);
/// Runs `body` on items 0 ..< `n_items`, claimed one at a time by whichever thread is free, and
/// returns when all are done. One job at a time per pool (callers from several threads queue).
/// A NULL pool runs the items on the calling thread.
void ck_pool_for(ck_pool *pool, int64_t n_items, ck_pool_body body, void *ctx);

/// One weight matrix of a pooled product: `rows` rows of `cols` elements of `type`, either as
/// stored (`w`, `row_stride` bytes apart) or repacked (`packed`, from `ck_repack`; then `w` may be
/// NULL). Output row b of the activations goes to `y + b * y_stride`.
typedef struct {
    int type;
    const void *w;
    size_t row_stride;
    const void *packed;
    int64_t rows, cols;
    float *y;
    int64_t y_stride;
} ck_matmul_desc;

/// Several matrices applied to the same `batch` activation rows (`x_stride` floats apart): the
/// activations are quantised once per dot type, then every (16-row tile, 64-row batch chunk) of
/// every matrix is an item of one pool job. Each output equals `ck_vec_dot` of its row, bit for bit.
void ck_matmul_multi(ck_pool *pool, const ck_matmul_desc *descs, int n_desc, const float *x, int64_t x_stride, int64_t batch);
/// Bytes of a `rows` x `cols` matrix of `type` repacked for the multi-row kernels (16 rows
/// interleaved per tile); 0 when the type has no packed form (Q4_0, Q4_1 and Q8_0 have one).
size_t ck_packed_bytes(int type, int64_t rows, int64_t cols);
/// Writes the packed form of `rows` rows (`row_stride` bytes apart) into `dst`. 0, or -1 for a type without one.
int ck_repack(int type, const void *w, size_t row_stride, int64_t rows, int64_t cols, void *dst);
/// `ck_matmul` on packed weights, on the calling thread.
void ck_matmul_packed(int type, const void *packed, int64_t rows, int64_t cols, const float *x, int64_t batch, float *y);
/// 1 when packed products of `type` run SIMD code on this machine.
int ck_packed_kernel_is_simd(int type);
/// Forbids (0) or allows (1) the AVX-512 kernels on the calling thread, so tests can compare them with AVX2.
void ck_set_avx512_enabled(int enabled);

/// One query row of a pooled attention: its queries (`n_head * head_dim` floats), its sequence's
/// F16 key and value caches, how many positions it sees, and whether it belongs to a multi-token
/// batch of its sequence (the summation order llama.cpp uses then; see `ck_attention`).
typedef struct {
    const float *q;
    const uint16_t *k_cache;
    const uint16_t *v_cache;
    int64_t n_past;
    int batched;
    float *out;
} ck_attention_query;

/// `ck_attention` for many query rows (of one or several sequences), every (row, head) an item of
/// one pool job. Results equal `ck_attention` row by row, bit for bit.
void ck_attention_pooled(ck_pool *pool, const ck_attention_query *queries, int64_t n_queries, int64_t n_head,
                         int64_t n_kv_head, int64_t head_dim, int64_t kv_stride, float scale, int profile);
/// `ck_swiglu_profiled` on `rows` rows (`stride` floats apart), rows shared over the pool.
void ck_swiglu_pooled(ck_pool *pool, float *gate, const float *up, int64_t rows, int64_t n, int64_t stride, int profile);

#ifdef __cplusplus
}
#endif

#endif
