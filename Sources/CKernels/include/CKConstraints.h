#ifndef CKCONSTRAINTS_H
#define CKCONSTRAINTS_H

/// Bit-set helpers for constrained decoding: token masks are `words` 64-bit words, bit `i % 64` of
/// word `i / 64` standing for token `i`. In C so a debug build of the Swift side never loops over
/// the vocabulary token by token.

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Sets `logits[i]` to -infinity for every `i < n` whose bit in `allowed` is clear.
void ck_mask_logits(float *logits, int64_t n, const uint64_t *allowed);
/// `dst[w] |= src[w]` for `w < words`.
void ck_bits_or(uint64_t *dst, const uint64_t *src, int64_t words);
/// `dst[w] &= ~src[w]` for `w < words`.
void ck_bits_andnot(uint64_t *dst, const uint64_t *src, int64_t words);
/// The number of set bits in the first `words` words.
int64_t ck_bits_count(const uint64_t *bits, int64_t words);

#ifdef __cplusplus
}
#endif

#endif
