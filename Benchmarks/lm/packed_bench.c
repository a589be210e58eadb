// The packed weight products of one forward step of SmolLM2-135M's shape (30 layers of Q4_1
// q/k/v/o/gate/up/down at hidden 576, feed-forward 1536, key/value 192; the Q8_0 output layer of
// 49152 rows) for B activation rows at once: B = 1 is single-stream decode, 2-8 concurrent
// requests, 64 a prefill chunk. Weights are random (the products' cost does not depend on the
// values) and the step sweeps all ~96 MB of them as a real step does. One thread, thread CPU
// time; prints microseconds a step and per row. Built and run by Benchmarks/lm/packed.sh.
#include "CKernels.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

typedef struct { int type; int64_t rows, cols; void *packed; } matrix;

static matrix make(int type, int64_t rows, int64_t cols) {
    const size_t raw_bytes = ck_row_bytes(type, cols) * (size_t)rows;
    uint8_t *raw = malloc(raw_bytes);
    for (size_t i = 0; i < raw_bytes; i++) raw[i] = (uint8_t)rand();
    // Sane block scales (F16 at raw offsets 0 and, for Q4_1, 2 of every block).
    const size_t block = ck_row_bytes(type, 32);
    for (size_t b = 0; b < raw_bytes / block; b++) {
        uint16_t h = ck_f32_to_f16(0.01f);
        memcpy(raw + b * block, &h, 2);
        if (type == CK_TYPE_Q4_1) memcpy(raw + b * block + 2, &h, 2);
    }
    matrix m = {type, rows, cols, aligned_alloc(64, (ck_packed_bytes(type, rows, cols) + 63) & ~(size_t)63)};
    ck_repack(type, raw, ck_row_bytes(type, cols), rows, cols, m.packed);
    free(raw);
    return m;
}

int main(int argc, char **argv) {
    const int repeats = argc > 1 ? atoi(argv[1]) : 5;
    enum { LAYERS = 30, HIDDEN = 576, FF = 1536, KV = 192, VOCAB = 49152, MAX_BATCH = 64 };
    srand(7);
    matrix layer[LAYERS][7];
    for (int l = 0; l < LAYERS; l++) {
        const int64_t shape[7][2] = {{HIDDEN, HIDDEN}, {KV, HIDDEN}, {KV, HIDDEN}, {HIDDEN, HIDDEN}, {FF, HIDDEN}, {FF, HIDDEN}, {HIDDEN, FF}};
        for (int k = 0; k < 7; k++) layer[l][k] = make(CK_TYPE_Q4_1, shape[k][0], shape[k][1]);
    }
    const matrix output = make(CK_TYPE_Q8_0, VOCAB, HIDDEN);
    float *x = malloc(sizeof(float) * MAX_BATCH * FF), *y = malloc(sizeof(float) * (size_t)MAX_BATCH * VOCAB);
    for (int i = 0; i < MAX_BATCH * FF; i++) x[i] = (float)(rand() % 2000 - 1000) / 300.f;
    const int batches[] = {1, 2, 3, 4, 8, 64};
    printf("%5s %12s %12s %12s %14s\n", "rows", "layers us", "output us", "step us", "us per row");
    for (size_t bi = 0; bi < sizeof(batches) / sizeof(batches[0]); bi++) {
        const int b = batches[bi];
        double best_layers = 1e9, best_output = 1e9, best = 1e9;
        for (int r = 0; r < repeats; r++) {
            const double t0 = cpu_seconds();
            for (int l = 0; l < LAYERS; l++) {
                for (int k = 0; k < 7; k++) {
                    const matrix *m = &layer[l][k];
                    ck_matmul_packed(m->type, m->packed, m->rows, m->cols, x, b, y);
                }
            }
            const double t1 = cpu_seconds();
            ck_matmul_packed(output.type, output.packed, output.rows, output.cols, x, b, y);
            const double t2 = cpu_seconds();
            if (t1 - t0 < best_layers) best_layers = t1 - t0;
            if (t2 - t1 < best_output) best_output = t2 - t1;
            if (t2 - t0 < best) best = t2 - t0;
        }
        printf("%5d %12.0f %12.0f %12.0f %14.1f\n", b, best_layers * 1e6, best_output * 1e6, best * 1e6, best * 1e6 / b);
    }
    return 0;
}
