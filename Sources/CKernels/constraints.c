// Bit-set helpers for constrained decoding (see CKConstraints.h).

#include "CKConstraints.h"

#include <math.h>

void ck_mask_logits(float *logits, int64_t n, const uint64_t *allowed) {
    const int64_t full = n / 64;
    for (int64_t w = 0; w < full; w++) {
        const uint64_t bits = allowed[w];
        if (bits == ~(uint64_t)0) continue;
        float *row = logits + w * 64;
        if (bits == 0) {
            for (int i = 0; i < 64; i++) row[i] = -INFINITY;
            continue;
        }
        for (int i = 0; i < 64; i++) {
            if (!((bits >> i) & 1)) row[i] = -INFINITY;
        }
    }
    for (int64_t i = full * 64; i < n; i++) {
        if (!((allowed[i >> 6] >> (i & 63)) & 1)) logits[i] = -INFINITY;
    }
}

void ck_bits_or(uint64_t *dst, const uint64_t *src, int64_t words) {
    for (int64_t w = 0; w < words; w++) dst[w] |= src[w];
}

void ck_bits_andnot(uint64_t *dst, const uint64_t *src, int64_t words) {
    for (int64_t w = 0; w < words; w++) dst[w] &= ~src[w];
}

int64_t ck_bits_count(const uint64_t *bits, int64_t words) {
    int64_t total = 0;
    for (int64_t w = 0; w < words; w++) total += __builtin_popcountll(bits[w]);
    return total;
}
