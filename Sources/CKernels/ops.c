// Per-token operations of a llama-family transformer.

#include "CKernels.h"
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void ck_rmsnorm(const float *x, const float *w, float *y, int64_t n, float eps) {
    double sum = 0;
    for (int64_t i = 0; i < n; i++) sum += (double)(x[i] * x[i]);
    const float mean = (float)(sum / (double)n);
    const float scale = 1.0f / sqrtf(mean + eps);
    for (int64_t i = 0; i < n; i++) y[i] = x[i] * scale;
    if (w) for (int64_t i = 0; i < n; i++) y[i] *= w[i];
}

void ck_rope(float *x, int64_t n_heads, int64_t head_dim, int64_t n_rot, int64_t pos,
             float freq_base, float freq_scale, int neox, const float *freq_factors) {
    float cs[1024];
    float *cache = n_rot <= 512 ? cs : malloc((size_t)n_rot * 2 * sizeof(float));
    const float theta_scale = powf(freq_base, -2.0f / (float)n_rot);
    float theta = (float)pos;
    for (int64_t i0 = 0; i0 < n_rot; i0 += 2) {
        const float ff = freq_factors ? freq_factors[i0 / 2] : 1.0f;
        const float t = freq_scale * (theta / ff);
        cache[i0] = cosf(t);
        cache[i0 + 1] = sinf(t);
        theta *= theta_scale;
    }
    for (int64_t h = 0; h < n_heads; h++) {
        float *v = x + h * head_dim;
        for (int64_t i0 = 0; i0 < n_rot; i0 += 2) {
            const float c = cache[i0], s = cache[i0 + 1];
            const int64_t a = neox ? i0 / 2 : i0;
            const int64_t b = neox ? i0 / 2 + n_rot / 2 : i0 + 1;
            const float x0 = v[a], x1 = v[b];
            // Fused as llama.cpp's build contracts these expressions.
            v[a] = fmaf(x0, c, -(x1 * s));
            v[b] = fmaf(x0, s, x1 * c);
        }
    }
    if (cache != cs) free(cache);
}

void ck_swiglu(float *gate, const float *up, int64_t n) { ck_swiglu_profiled(gate, up, n, CK_PROFILE_AVX2); }

void ck_swiglu_profiled(float *gate, const float *up, int64_t n, int profile) {
#if CK_X86
    if (ck_use_avx2()) { ck_swiglu_avx2(gate, up, n, profile); return; }
#endif
    (void)profile;
    for (int64_t i = 0; i < n; i++) {
        const float g = gate[i];
        gate[i] = g / (1.0f + expf(-g)) * up[i];
    }
}

void ck_add(float *y, const float *x, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] += x[i];
}

void ck_mul(float *y, const float *x, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] *= x[i];
}

int64_t ck_argmax(const float *x, int64_t n) {
    int64_t best = 0;
    for (int64_t i = 1; i < n; i++) if (x[i] > x[best]) best = i;
    return best;
}

typedef struct { float v; int32_t i; } ranked;

static int compare_ranked(const void *a, const void *b) {
    const ranked *x = a, *y = b;
    if (x->v > y->v) return -1;
    if (x->v < y->v) return 1;
    return (x->i > y->i) - (x->i < y->i);
}

void ck_sort_descending(const float *x, int64_t n, int32_t *order) {
    ranked *r = malloc((size_t)n * sizeof(ranked));
    for (int64_t i = 0; i < n; i++) { r[i].v = x[i]; r[i].i = (int32_t)i; }
    qsort(r, (size_t)n, sizeof(ranked), compare_ranked);
    for (int64_t i = 0; i < n; i++) order[i] = r[i].i;
    free(r);
}

static double softmax_profiled(float *x, int64_t n, int profile);

double ck_softmax(float *x, int64_t n) { return softmax_profiled(x, n, CK_PROFILE_AVX2); }

static double softmax_profiled(float *x, int64_t n, int profile) {
#if CK_X86
    if (ck_use_avx2()) return ck_softmax_avx2(x, n, profile);
#endif
    (void)profile;
    float max = -INFINITY;
    for (int64_t i = 0; i < n; i++) max = fmaxf(max, x[i]);
    double sum = 0;
    for (int64_t i = 0; i < n; i++) {
        const float e = x[i] == -INFINITY ? 0.0f : expf(x[i] - max);
        x[i] = e;
        sum += (double)e;
    }
    const float inv = (float)(1.0 / sum);
    for (int64_t i = 0; i < n; i++) x[i] *= inv;
    return sum;
}

static float dot_f16_pair(int64_t n, const uint16_t *a, const uint16_t *b, int batched, int profile) {
#if CK_X86
    if (ck_use_avx2()) return batched ? ck_dot_f16_gemm_avx2(n, a, b, profile) : ck_dot_f16_vec_avx2(n, a, b, profile);
#endif
    (void)batched;
    (void)profile;
    float sum = 0;
    for (int64_t i = 0; i < n; i++) sum += ck_f16_to_f32(a[i]) * ck_f16_to_f32(b[i]);
    return sum;
}

static _Thread_local int fused_attention_enabled = 1;
void ck_set_fused_attention_enabled(int enabled) { fused_attention_enabled = enabled ? 1 : 0; }

// One head of one query row. `scores` holds n_past + 16 floats, `acc` lanes * head_dim floats.
static void attention_head(const float *q, const uint16_t *k_cache, const uint16_t *v_cache, int64_t n_past,
                           int64_t kvh, int64_t head_dim, int64_t kv_stride, float scale, int batched, int profile,
                           float *scores, float *acc, float *o) {
    const int64_t n_pad = (n_past + 15) / 16 * 16;  // a multiple of both vector widths
    uint16_t qh[1024];
    uint16_t *q16 = head_dim <= 1024 ? qh : malloc((size_t)head_dim * 2);
    const int lanes = ck_attention_lanes(batched, profile);
    ck_f32_to_f16_row(q, q16, head_dim);
    for (int64_t j = 0; j < n_past; j++) {
        scores[j] = dot_f16_pair(head_dim, k_cache + j * kv_stride + kvh * head_dim, q16, batched, profile) * scale;
    }
    // Masked positions up to a multiple of sixteen, as in a padded cache row: they weigh exactly zero.
    for (int64_t j = n_past; j < n_pad; j++) scores[j] = -INFINITY;
    softmax_profiled(scores, n_pad, profile);
    for (int64_t j = 0; j < n_past; j++) scores[j] = ck_f16_to_f32(ck_f32_to_f16(scores[j]));
    if (q16 != qh) free(q16);
#if CK_X86
    if (ck_use_avx2()) {
        ck_weighted_values_avx2(n_past, scores, v_cache + kvh * head_dim, kv_stride, head_dim, lanes, profile, acc, o);
        return;
    }
#endif
    (void)acc;
    (void)lanes;
    memset(o, 0, (size_t)head_dim * sizeof(float));
    for (int64_t j = 0; j < n_past; j++) {
        const uint16_t *v = v_cache + j * kv_stride + kvh * head_dim;
        for (int64_t d = 0; d < head_dim; d++) o[d] += scores[j] * ck_f16_to_f32(v[d]);
    }
}

// Whether the heads of one key/value head go through the grouped kernel.
static int grouped(int64_t head_dim) {
#if CK_X86
    return fused_attention_enabled && ck_attention_group_fusable(head_dim);
#else
    (void)head_dim;
    return 0;
#endif
}

// Floats of per-thread scratch for one key/value head's query heads over up to `max_past` positions.
static size_t group_scratch_floats(int64_t max_past, int64_t group, int64_t head_dim) {
    const size_t per_position = (size_t)((max_past + 16 + 15) / 16 * 16 + 64 * head_dim);
#if CK_X86
    if (grouped(head_dim)) {
        const size_t fused = ck_attention_group_scratch(max_past, (int)group, head_dim);
        return fused > per_position ? fused : per_position;
    }
#endif
    (void)group;
    return per_position;
}

// The `group` query heads that read key/value head `kvh`, with `scratch` of group_scratch_floats.
static void attention_group(const float *q, const uint16_t *k_cache, const uint16_t *v_cache, int64_t n_past, int64_t kvh,
                            int64_t group, int64_t head_dim, int64_t kv_stride, float scale, int batched, int profile,
                            float *scratch, float *out) {
#if CK_X86
    if (grouped(head_dim)) {
        ck_attention_group_avx2(q + kvh * group * head_dim, k_cache + kvh * head_dim, v_cache + kvh * head_dim, n_past, kv_stride,
                                head_dim, (int)group, scale, batched, profile, scratch, out + kvh * group * head_dim);
        return;
    }
#endif
    const int64_t past_pad = (n_past + 16 + 15) / 16 * 16;
    for (int64_t h = kvh * group; h < (kvh + 1) * group; h++) {
        attention_head(q + h * head_dim, k_cache, v_cache, n_past, kvh, head_dim, kv_stride, scale, batched, profile,
                       scratch, scratch + past_pad, out + h * head_dim);
    }
}

void ck_attention(const float *q, const uint16_t *k_cache, const uint16_t *v_cache, int64_t n_past,
                  int64_t n_head, int64_t n_kv_head, int64_t head_dim, int64_t kv_stride, float scale,
                  int batched, int profile, float *scores, float *out) {
    (void)scores;  // the scratch below covers a whole group of heads
    const int64_t group = n_head / n_kv_head;
    float *scratch = malloc(group_scratch_floats(n_past, group, head_dim) * sizeof(float));
    for (int64_t kvh = 0; kvh < n_kv_head; kvh++) {
        attention_group(q, k_cache, v_cache, n_past, kvh, group, head_dim, kv_stride, scale, batched, profile, scratch, out);
    }
    free(scratch);
}

typedef struct {
    const ck_attention_query *queries;
    int64_t n_head, n_kv_head, head_dim, kv_stride;
    float scale;
    int profile;
    size_t scratch_floats;
    float *scratch;  // per thread
} attention_job;

static void attention_body(void *ctx, int64_t item, int ith) {
    const attention_job *job = ctx;
    const ck_attention_query *qr = &job->queries[item / job->n_kv_head];
    attention_group(qr->q, qr->k_cache, qr->v_cache, qr->n_past, item % job->n_kv_head, job->n_head / job->n_kv_head,
                    job->head_dim, job->kv_stride, job->scale, qr->batched, job->profile,
                    job->scratch + (size_t)ith * job->scratch_floats, qr->out);
}

void ck_attention_pooled(ck_pool *pool, const ck_attention_query *queries, int64_t n_queries, int64_t n_head,
                         int64_t n_kv_head, int64_t head_dim, int64_t kv_stride, float scale, int profile) {
    if (n_queries <= 0) return;
    int64_t max_past = 0;
    for (int64_t i = 0; i < n_queries; i++) if (queries[i].n_past > max_past) max_past = queries[i].n_past;
    attention_job job = {queries, n_head, n_kv_head, head_dim, kv_stride, scale, profile, 0, NULL};
    job.scratch_floats = (group_scratch_floats(max_past, n_head / n_kv_head, head_dim) + 15) / 16 * 16;
    const int threads = ck_pool_threads(pool);
    job.scratch = malloc(job.scratch_floats * (size_t)threads * sizeof(float));
    ck_pool_for(pool, n_queries * n_kv_head, attention_body, &job);
    free(job.scratch);
}

typedef struct { float *gate; const float *up; int64_t n, stride; int profile; } swiglu_job;

static void swiglu_body(void *ctx, int64_t item, int ith) {
    (void)ith;
    const swiglu_job *job = ctx;
    ck_swiglu_profiled(job->gate + item * job->stride, job->up + item * job->stride, job->n, job->profile);
}

void ck_swiglu_pooled(ck_pool *pool, float *gate, const float *up, int64_t rows, int64_t n, int64_t stride, int profile) {
    swiglu_job job = {gate, up, n, stride, profile};
    if (rows < 4) { for (int64_t r = 0; r < rows; r++) swiglu_body(&job, r, 0); return; }
    ck_pool_for(pool, rows, swiglu_body, &job);
}
