// Attention of one decode token of SmolLM2-135M's shape (30 layers, 9 query heads sharing 3 key/value
// heads of 64, F16 cache) over N cached positions: the fused kernel against the per-position one
// (both give the same bits; tested). Each layer has its own cache and a 96 MB sweep evicts the
// caches between tokens, as the weights do in a real forward pass. Single thread; thread CPU time.
// Built and run by Benchmarks/lm/attention.sh.
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

int main(int argc, char **argv) {
    const int n_past = argc > 1 ? atoi(argv[1]) : 700, repeats = argc > 2 ? atoi(argv[2]) : 15;
    enum { LAYERS = 30, HEADS = 9, KV_HEADS = 3, DIM = 64, STRIDE = KV_HEADS * DIM };
    uint16_t *k[LAYERS], *v[LAYERS];
    float *q = malloc(sizeof(float) * HEADS * DIM), *out = malloc(sizeof(float) * HEADS * DIM);
    float *scores = malloc(sizeof(float) * (size_t)(n_past + 16));
    srand(1);
    for (int l = 0; l < LAYERS; l++) {
        k[l] = malloc(sizeof(uint16_t) * (size_t)n_past * STRIDE);
        v[l] = malloc(sizeof(uint16_t) * (size_t)n_past * STRIDE);
        for (int i = 0; i < n_past * STRIDE; i++) {
            k[l][i] = ck_f32_to_f16((float)(rand() % 2000 - 1000) / 1000.f);
            v[l][i] = ck_f32_to_f16((float)(rand() % 2000 - 1000) / 1000.f);
        }
    }
    for (int i = 0; i < HEADS * DIM; i++) q[i] = (float)(rand() % 2000 - 1000) / 250.f;
    const size_t sweep_bytes = (size_t)96 << 20;
    char *sweep = malloc(sweep_bytes);
    for (int fused = 1; fused >= 0; fused--) {
        ck_set_fused_attention_enabled(fused);
        double best = 1e9, total = 0;
        for (int r = 0; r < repeats; r++) {
            memset(sweep, r, sweep_bytes);
            const double t0 = cpu_seconds();
            for (int l = 0; l < LAYERS; l++) ck_attention(q, k[l], v[l], n_past, HEADS, KV_HEADS, DIM, STRIDE, 0.125f, 0, CK_PROFILE_AVX2, scores, out);
            const double t = cpu_seconds() - t0;
            total += t;
            if (t < best) best = t;
        }
        printf("%-13s %4d positions: %7.0f us a token (best of %d), %7.0f us mean\n", fused ? "fused" : "per-position",
               n_past, best * 1e6, repeats, total / repeats * 1e6);
    }
    return 0;
}
