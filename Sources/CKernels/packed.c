// Repacking, the portable multi-row kernels, and the pooled matrix products.

#include "CKernels.h"
#include "packed.h"

#include <stdlib.h>
#include <string.h>
#include <math.h>

// The portable kernels spell out every multiply-add; the compiler must not fuse or reorder them.
#if defined(__clang__)
#pragma clang fp contract(off)
#endif

// MARK: Repacking

static size_t packed_block_bytes(int type) {
    switch (type) {
    case CK_TYPE_Q4_1: return sizeof(pblock_q4_1);
    case CK_TYPE_Q4_0: return sizeof(pblock_q4_0);
    case CK_TYPE_Q8_0: return sizeof(pblock_q8_0);
    default: return 0;
    }
}

size_t ck_packed_bytes(int type, int64_t rows, int64_t cols) {
    const size_t bb = packed_block_bytes(type);
    if (!bb || cols % QK != 0 || rows <= 0) return 0;
    const int64_t tiles = (rows + PACK_ROWS - 1) / PACK_ROWS;
    return (size_t)tiles * (size_t)(cols / QK) * bb;
}

int ck_repack(int type, const void *w, size_t row_stride, int64_t rows, int64_t cols, void *dst) {
    const size_t bb = packed_block_bytes(type);
    if (!bb || cols % QK != 0) return -1;
    const int64_t nb = cols / QK, tiles = (rows + PACK_ROWS - 1) / PACK_ROWS;
    memset(dst, 0, ck_packed_bytes(type, rows, cols));  // padding rows: zero scales, zero quants
    for (int64_t t = 0; t < tiles; t++) {
        for (int64_t i = 0; i < nb; i++) {
            uint8_t *out = (uint8_t *)dst + ((size_t)t * (size_t)nb + (size_t)i) * bb;
            for (int r = 0; r < PACK_ROWS && t * PACK_ROWS + r < rows; r++) {
                const uint8_t *row = (const uint8_t *)w + (size_t)(t * PACK_ROWS + r) * row_stride;
                switch (type) {
                case CK_TYPE_Q4_1: {
                    const block_q4_1 *b = (const block_q4_1 *)row + i;
                    pblock_q4_1 *p = (pblock_q4_1 *)out;
                    p->d[r] = b->d;
                    p->m[r] = b->m;
                    for (int g = 0; g < 4; g++) memcpy(p->qs[g][r], b->qs + 4 * g, 4);
                    break;
                }
                case CK_TYPE_Q4_0: {
                    const block_q4_0 *b = (const block_q4_0 *)row + i;
                    pblock_q4_0 *p = (pblock_q4_0 *)out;
                    p->d[r] = b->d;
                    for (int g = 0; g < 4; g++) memcpy(p->qs[g][r], b->qs + 4 * g, 4);
                    break;
                }
                case CK_TYPE_Q8_0: {
                    const block_q8_0 *b = (const block_q8_0 *)row + i;
                    pblock_q8_0 *p = (pblock_q8_0 *)out;
                    p->d[r] = b->d;
                    for (int g = 0; g < 8; g++) memcpy(p->qs[g][r], b->qs + 4 * g, 4);
                    break;
                }
                }
            }
        }
    }
    return 0;
}

// MARK: Portable kernels (the lane order of the AVX2 single-row kernels, written out)

// Sum of the eight lane accumulators of one row in the order of the AVX2 horizontal sum.
static inline float reduce_lanes(const float a[8]) {
    const float t0 = a[0] + a[4], t1 = a[1] + a[5], t2 = a[2] + a[6], t3 = a[3] + a[7];
    return (t0 + t2) + (t1 + t3);
}

static void kernel_q4_1_portable(const void *tile, int64_t nb, const packed_act *a, int n_act, float out[][PACK_ROWS]) {
    for (int j = 0; j < n_act; j++) {
        const block_q8_1 *x = a[j].q;
        float acc[PACK_ROWS][8], mins[PACK_ROWS];
        memset(acc, 0, sizeof(acc));
        memset(mins, 0, sizeof(mins));
        for (int64_t i = 0; i < nb; i++) {
            const pblock_q4_1 *p = (const pblock_q4_1 *)tile + i;
            for (int r = 0; r < PACK_ROWS; r++) {
                const float scale = ck_f16_to_f32(p->d[r]) * a[j].d[i];
                mins[r] = fmaf(ck_f16_to_f32(p->m[r]), a[j].s[i], mins[r]);
                for (int g = 0; g < 4; g++) {
                    int lo = 0, hi = 0;
                    for (int k = 0; k < 4; k++) {
                        lo += (p->qs[g][r][k] & 0x0F) * x[i].qs[4 * g + k];
                        hi += (p->qs[g][r][k] >> 4) * x[i].qs[16 + 4 * g + k];
                    }
                    acc[r][g] = fmaf(scale, (float)lo, acc[r][g]);
                    acc[r][g + 4] = fmaf(scale, (float)hi, acc[r][g + 4]);
                }
            }
        }
        for (int r = 0; r < PACK_ROWS; r++) out[j][r] = reduce_lanes(acc[r]) + mins[r];
    }
}

static void kernel_q4_0_portable(const void *tile, int64_t nb, const packed_act *a, int n_act, float out[][PACK_ROWS]) {
    for (int j = 0; j < n_act; j++) {
        const block_q8_0 *x = a[j].q;
        float acc[PACK_ROWS][8];
        memset(acc, 0, sizeof(acc));
        for (int64_t i = 0; i < nb; i++) {
            const pblock_q4_0 *p = (const pblock_q4_0 *)tile + i;
            for (int r = 0; r < PACK_ROWS; r++) {
                const float scale = ck_f16_to_f32(p->d[r]) * a[j].d[i];
                for (int g = 0; g < 4; g++) {
                    int lo = 0, hi = 0;
                    for (int k = 0; k < 4; k++) {
                        lo += ((p->qs[g][r][k] & 0x0F) - 8) * x[i].qs[4 * g + k];
                        hi += ((p->qs[g][r][k] >> 4) - 8) * x[i].qs[16 + 4 * g + k];
                    }
                    acc[r][g] = fmaf(scale, (float)lo, acc[r][g]);
                    acc[r][g + 4] = fmaf(scale, (float)hi, acc[r][g + 4]);
                }
            }
        }
        for (int r = 0; r < PACK_ROWS; r++) out[j][r] = reduce_lanes(acc[r]);
    }
}

static void kernel_q8_0_portable(const void *tile, int64_t nb, const packed_act *a, int n_act, float out[][PACK_ROWS]) {
    for (int j = 0; j < n_act; j++) {
        const block_q8_0 *x = a[j].q;
        float acc[PACK_ROWS][8];
        memset(acc, 0, sizeof(acc));
        for (int64_t i = 0; i < nb; i++) {
            const pblock_q8_0 *p = (const pblock_q8_0 *)tile + i;
            for (int r = 0; r < PACK_ROWS; r++) {
                const float scale = ck_f16_to_f32(p->d[r]) * a[j].d[i];
                for (int g = 0; g < 8; g++) {
                    int s = 0;
                    for (int k = 0; k < 4; k++) s += p->qs[g][r][k] * x[i].qs[4 * g + k];
                    acc[r][g] = fmaf(scale, (float)s, acc[r][g]);
                }
            }
        }
        for (int r = 0; r < PACK_ROWS; r++) out[j][r] = reduce_lanes(acc[r]);
    }
}

static packed_kernel packed_kernel_for(int type) {
#if CK_X86
    if (ck_use_avx2()) {
        packed_kernel k = ck_packed_kernel_x86(type);
        if (k) return k;
    }
#endif
    switch (type) {
    case CK_TYPE_Q4_1: return kernel_q4_1_portable;
    case CK_TYPE_Q4_0: return kernel_q4_0_portable;
    case CK_TYPE_Q8_0: return kernel_q8_0_portable;
    default: return NULL;
    }
}

// MARK: Prepared activations

// One activation row in a dot type, with the extras the packed kernels read.
typedef struct {
    int dot_type;
    int64_t cols;
    size_t q_bytes, row_bytes;  // row_bytes: everything of one row, 64-byte aligned
    uint8_t *base;
} act_buffer;

static size_t align64(size_t n) { return (n + 63) & ~(size_t)63; }

static void act_layout(act_buffer *b, int weight_type, int64_t cols) {
    b->dot_type = ck_dot_type(weight_type);
    b->cols = cols;
    b->q_bytes = ck_row_bytes(b->dot_type, cols);
    const int64_t nb = cols / QK;
    size_t extra = 0;
    if (b->dot_type == CK_TYPE_Q8_0 || b->dot_type == CK_TYPE_Q8_1) extra = (size_t)nb * (2 * sizeof(float) + 8 * sizeof(int32_t));
    b->row_bytes = align64(b->q_bytes) + align64(extra);
}

static void act_prepare_row(const act_buffer *b, int weight_type, const float *x, int64_t row) {
    uint8_t *dst = b->base + (size_t)row * b->row_bytes;
    ck_quantize_activations(weight_type, x, dst, b->cols);
    const int64_t nb = b->cols / QK;
    float *d = (float *)(dst + align64(b->q_bytes)), *s = d + nb;
    int32_t *sum4 = (int32_t *)(s + nb);
    if (b->dot_type == CK_TYPE_Q8_1) {
        const block_q8_1 *q = (const block_q8_1 *)dst;
        for (int64_t i = 0; i < nb; i++) { d[i] = ck_f16_to_f32(q[i].d); s[i] = ck_f16_to_f32(q[i].s); }
    } else if (b->dot_type == CK_TYPE_Q8_0) {
        const block_q8_0 *q = (const block_q8_0 *)dst;
        for (int64_t i = 0; i < nb; i++) {
            d[i] = ck_f16_to_f32(q[i].d);
            s[i] = 0;
            for (int g = 0; g < 8; g++) sum4[i * 8 + g] = q[i].qs[4 * g] + q[i].qs[4 * g + 1] + q[i].qs[4 * g + 2] + q[i].qs[4 * g + 3];
        }
    }
}

static packed_act act_row(const act_buffer *b, int64_t row) {
    const uint8_t *src = b->base + (size_t)row * b->row_bytes;
    const int64_t nb = b->cols / QK;
    packed_act a;
    a.q = src;
    a.d = (const float *)(src + align64(b->q_bytes));
    a.s = a.d + nb;
    a.sum4 = (const int32_t *)(a.s + nb);
    return a;
}

// MARK: Pooled products

enum { ROW_TILE = 16, BATCH_CHUNK = 64, MAX_DISTINCT = 4 };

typedef struct {
    const ck_matmul_desc *descs;
    int n_desc;
    const float *x;
    int64_t x_stride, batch;
    act_buffer acts[MAX_DISTINCT];
    int act_of[16];            // desc -> index in acts
    int n_acts;
    int64_t chunks;            // batch chunks
    int64_t item_start[17];    // first item of each desc
} matmul_job;

static void prepare_body(void *ctx, int64_t item, int ith) {
    (void)ith;
    matmul_job *job = ctx;
    const int64_t a = item / job->batch, row = item % job->batch;
    // Any desc using this buffer supplies the weight type (they share the dot type).
    for (int k = 0; k < job->n_desc; k++) {
        if (job->act_of[k] == a) {
            act_prepare_row(&job->acts[a], job->descs[k].type, job->x + row * job->x_stride, row);
            return;
        }
    }
}

// The unpacked path: one weight row at a time (with the four- and eight-row activation kernels).
static void unpacked_rows(const ck_matmul_desc *d, const act_buffer *act, int64_t r0, int64_t r1, int64_t b0, int64_t b1) {
    const uint8_t *wb = d->w;
    const size_t xq_bytes = act->row_bytes;
    const uint8_t *xq = act->base;
    int64_t b = b0;
#if CK_X86
    typedef void (*dotn)(int64_t, const void *, const void *, size_t, float *);
    dotn dot4 = NULL, dot8 = NULL;
    if (ck_use_avx2()) {
        if (d->type == CK_TYPE_Q4_1) dot4 = (dotn)ck_dot4_q4_1_avx2;
        if (d->type == CK_TYPE_Q8_0) dot4 = (dotn)ck_dot4_q8_0_avx2;
        if (d->type == CK_TYPE_Q4_0) dot4 = (dotn)ck_dot4_q4_0_avx2;
        if (d->type == CK_TYPE_Q4_1) dot8 = ck_use_vnni() ? (dotn)ck_dot8_q4_1_vnni : (dotn)ck_dot8_q4_1_avx2;
    }
    if (dot8) {
        for (; b + 8 <= b1; b += 8) {
            for (int64_t r = r0; r < r1; r++) {
                float out[8];
                dot8(d->cols, wb + r * d->row_stride, xq + b * xq_bytes, xq_bytes, out);
                for (int j = 0; j < 8; j++) d->y[(b + j) * d->y_stride + r] = out[j];
            }
        }
    }
    if (dot4) {
        for (; b + 4 <= b1; b += 4) {
            for (int64_t r = r0; r < r1; r++) {
                float out[4];
                dot4(d->cols, wb + r * d->row_stride, xq + b * xq_bytes, xq_bytes, out);
                for (int j = 0; j < 4; j++) d->y[(b + j) * d->y_stride + r] = out[j];
            }
        }
    }
#endif
    for (; b < b1; b++) {
        for (int64_t r = r0; r < r1; r++) d->y[b * d->y_stride + r] = ck_vec_dot(d->type, d->cols, wb + r * d->row_stride, xq + b * xq_bytes);
    }
}

static void matmul_body(void *ctx, int64_t item, int ith) {
    (void)ith;
    matmul_job *job = ctx;
    int k = 0;
    while (k + 1 < job->n_desc && item >= job->item_start[k + 1]) k++;
    const ck_matmul_desc *d = &job->descs[k];
    const act_buffer *act = &job->acts[job->act_of[k]];
    const int64_t local = item - job->item_start[k];
    const int64_t tile = local / job->chunks, chunk = local % job->chunks;
    const int64_t b0 = chunk * BATCH_CHUNK, b1 = b0 + BATCH_CHUNK < job->batch ? b0 + BATCH_CHUNK : job->batch;
    const int64_t r0 = tile * ROW_TILE, r1 = r0 + ROW_TILE < d->rows ? r0 + ROW_TILE : d->rows;
    const packed_kernel kernel = d->packed ? packed_kernel_for(d->type) : NULL;
    if (!kernel) {
        unpacked_rows(d, act, r0, r1, b0, b1);
        return;
    }
    const int64_t nb = d->cols / QK;
    const uint8_t *t = (const uint8_t *)d->packed + (size_t)tile * (size_t)nb * packed_block_bytes(d->type);
    for (int64_t b = b0; b < b1; b += 2) {
        const int n_act = b + 2 <= b1 ? 2 : 1;
        packed_act a[2];
        float out[2][PACK_ROWS];
        for (int j = 0; j < n_act; j++) a[j] = act_row(act, b + j);
        kernel(t, nb, a, n_act, out);
        for (int j = 0; j < n_act; j++) {
            float *y = d->y + (b + j) * d->y_stride;
            for (int64_t r = r0; r < r1; r++) y[r] = out[j][r - r0];
        }
    }
}

void ck_matmul_multi(ck_pool *pool, const ck_matmul_desc *descs, int n_desc, const float *x, int64_t x_stride, int64_t batch) {
    if (n_desc <= 0 || batch <= 0) return;
    if (n_desc > 16) {
        for (int k = 0; k < n_desc; k += 16) ck_matmul_multi(pool, descs + k, n_desc - k < 16 ? n_desc - k : 16, x, x_stride, batch);
        return;
    }
    matmul_job job;
    memset(&job, 0, sizeof(job));
    job.descs = descs;
    job.n_desc = n_desc;
    job.x = x;
    job.x_stride = x_stride;
    job.batch = batch;
    job.chunks = (batch + BATCH_CHUNK - 1) / BATCH_CHUNK;
    size_t total = 0;
    for (int k = 0; k < n_desc; k++) {
        const int dt = ck_dot_type(descs[k].type);
        int found = -1;
        for (int a = 0; a < job.n_acts; a++) if (job.acts[a].dot_type == dt && job.acts[a].cols == descs[k].cols) found = a;
        if (found < 0) {
            if (job.n_acts == MAX_DISTINCT) {  // unusual: more input formats than buffers, split the call
                ck_matmul_multi(pool, descs + k, n_desc - k, x, x_stride, batch);
                n_desc = k;
                job.n_desc = k;
                break;
            }
            found = job.n_acts++;
            act_layout(&job.acts[found], descs[k].type, descs[k].cols);
            total += job.acts[found].row_bytes * (size_t)batch;
        }
        job.act_of[k] = found;
    }
    uint8_t *storage = aligned_alloc(64, align64(total + 64));
    size_t offset = 0;
    for (int a = 0; a < job.n_acts; a++) {
        job.acts[a].base = storage + offset;
        offset += job.acts[a].row_bytes * (size_t)batch;
    }
    const int64_t prep_items = (int64_t)job.n_acts * batch;
    if (prep_items < 8 || !pool) {
        for (int64_t i = 0; i < prep_items; i++) prepare_body(&job, i, 0);
    } else {
        ck_pool_for(pool, prep_items, prepare_body, &job);
    }
    int64_t items = 0;
    for (int k = 0; k < job.n_desc; k++) {
        job.item_start[k] = items;
        items += (descs[k].rows + ROW_TILE - 1) / ROW_TILE * job.chunks;
    }
    job.item_start[job.n_desc] = items;
    ck_pool_for(pool, items, matmul_body, &job);
    free(storage);
}

void ck_matmul(int type, const void *w, size_t row_stride, int64_t rows, int64_t cols,
               const float *x, int64_t batch, float *y) {
    const ck_matmul_desc d = {.type = type, .w = w, .row_stride = row_stride, .packed = NULL,
                              .rows = rows, .cols = cols, .y = y, .y_stride = rows};
    ck_matmul_multi(NULL, &d, 1, x, cols, batch);
}

void ck_matmul_packed(int type, const void *packed, int64_t rows, int64_t cols, const float *x, int64_t batch, float *y) {
    const ck_matmul_desc d = {.type = type, .w = NULL, .row_stride = 0, .packed = packed,
                              .rows = rows, .cols = cols, .y = y, .y_stride = rows};
    ck_matmul_multi(NULL, &d, 1, x, cols, batch);
}

int ck_packed_kernel_is_simd(int type) {
#if CK_X86
    return ck_use_avx2() && ck_packed_kernel_x86(type) != NULL;
#else
    (void)type;
    return 0;
#endif
}
