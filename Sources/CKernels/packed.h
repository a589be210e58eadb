// Weights repacked for the multi-row kernels, and activations prepared for them.
//
// A packed matrix is a sequence of tiles of PACK_ROWS (16) weight rows; a tile is the row's blocks
// in order, each block holding the 16 rows' scales and then their quants interleaved four bytes at
// a time: "group" g of row r is the four quants that the single-row AVX2 kernel sums in its lane g
// (elements 4g..4g+3 of the block; for 4-bit types, groups 0-3 are the low nibbles of bytes
// 4g..4g+3 and groups 4-7 the high nibbles of the same bytes). A kernel loads one group of 16
// rows as one vector, multiplies it by the matching four activation bytes broadcast, and keeps
// lane g's partial sums of every row in one accumulator: every row gets exactly the integer sums,
// block scales, fused multiply-adds and final reduction tree of the single-row kernel, so packed
// and unpacked products agree bit for bit (and with llama.cpp's AVX2 build).
#ifndef CKERNELS_PACKED_H
#define CKERNELS_PACKED_H

#include "internal.h"
#include <stddef.h>

#define PACK_ROWS 16

typedef struct { uint16_t d[PACK_ROWS]; uint16_t m[PACK_ROWS]; uint8_t qs[4][PACK_ROWS][4]; } pblock_q4_1;
typedef struct { uint16_t d[PACK_ROWS]; uint8_t qs[4][PACK_ROWS][4]; } pblock_q4_0;
typedef struct { uint16_t d[PACK_ROWS]; int8_t qs[8][PACK_ROWS][4]; } pblock_q8_0;

_Static_assert(sizeof(pblock_q4_1) == 320, "packed q4_1");
_Static_assert(sizeof(pblock_q4_0) == 288, "packed q4_0");
_Static_assert(sizeof(pblock_q8_0) == 544, "packed q8_0");

/// One activation row prepared for the packed kernels: its Q8_0/Q8_1 blocks, their scales as
/// floats, and (Q8_0) the sum of each group of four quants (for the unsigned-by-signed products).
typedef struct {
    const void *q;        // block_q8_0 or block_q8_1
    const float *d;       // per block
    const float *s;       // per block (Q8_1: d * sum of quants, as stored)
    const int32_t *sum4;  // per block, 8 groups (Q8_0 only)
} packed_act;

typedef void (*packed_kernel)(const void *tile, int64_t nb, const packed_act *a, int n_act, float out[][PACK_ROWS]);

#if CK_X86
packed_kernel ck_packed_kernel_x86(int type);
#endif

#endif
