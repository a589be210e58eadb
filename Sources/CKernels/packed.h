// Weights repacked for the multi-row kernels, and activations prepared for them.
//
// A packed matrix is a sequence of tiles of PACK_ROWS (8) weight rows; a tile is the rows' blocks
// in order, each block holding the 8 rows' quants interleaved eight bytes at a time and then their
// scales. "Group" g of a row is the four quants that the single-row AVX2 kernel sums in its lane g
// (elements 4g..4g+3 of the block; for 4-bit types, groups 0-3 are the low nibbles of bytes
// 4g..4g+3 and groups 4-7 the high nibbles of the same bytes). `qs[k][r]` holds row r's bytes
// 8k..8k+7, so one 64-byte vector of it is two adjacent groups of all 8 rows: lane 2r row r's group
// 2k (or, for the high nibbles, 4 + 2k), lane 2r + 1 its next group. A kernel multiplies that
// vector by the matching eight activation bytes broadcast as one 64-bit value and keeps each lane's
// partial sums in one accumulator: four accumulators (group pairs 01, 23, 45, 67) per activation
// row, where sixteen rows of one group a vector needed eight. Every row gets exactly the integer
// sums, block scales, fused multiply-adds and final reduction tree ((0+4)+(2+6)) + ((1+5)+(3+7))
// of the single-row kernel: (01 + 45) + (23 + 67) leaves the two halves of that tree in a lane
// pair, and their sum is the same in either order. So packed and unpacked products agree bit for
// bit (and with llama.cpp's AVX2 build). Scales (and Q4_1 minimums) are stored once per row; the
// kernels duplicate them into both lanes of a pair.
#ifndef CKERNELS_PACKED_H
#define CKERNELS_PACKED_H

#include "internal.h"
#include <stddef.h>

#define PACK_ROWS 8

typedef struct { uint8_t qs[2][PACK_ROWS][8]; uint16_t d[PACK_ROWS]; uint16_t m[PACK_ROWS]; } pblock_q4_1;
typedef struct { uint8_t qs[2][PACK_ROWS][8]; uint16_t d[PACK_ROWS]; } pblock_q4_0;
typedef struct { int8_t qs[4][PACK_ROWS][8]; uint16_t d[PACK_ROWS]; } pblock_q8_0;

_Static_assert(sizeof(pblock_q4_1) == 160, "packed q4_1");
_Static_assert(sizeof(pblock_q4_0) == 144, "packed q4_0");
_Static_assert(sizeof(pblock_q8_0) == 272, "packed q8_0");

/// Row r's byte b (0 ..< 16 for 4-bit types, 0 ..< 32 for Q8_0) of a packed block's quants.
#define PACKED_BYTE(qs, r, b) ((qs)[(b) >> 3][(r)][(b) & 7])

/// One activation row prepared for the packed kernels: its Q8_0/Q8_1 blocks, their scales as
/// floats, and (Q8_0) the sum of each group of four quants times -8 and times -128 (the offsets of
/// the unsigned-by-signed products of Q4_0 and Q8_0 weights).
typedef struct {
    const void *q;           // block_q8_0 or block_q8_1
    const float *d;          // per block
    const float *s;          // per block (Q8_1: d * sum of quants, as stored)
    const int32_t *neg8;     // per block, 8 groups: -8 * sum of the group's quants (Q8_0 only)
    const int32_t *neg128;   // per block, 8 groups: -128 * sum of the group's quants (Q8_0 only)
} packed_act;

typedef void (*packed_kernel)(const void *tile, int64_t nb, const packed_act *a, int n_act, float out[][PACK_ROWS]);

/// Most activation rows one packed kernel call takes (each loaded weight vector serves them all).
#define PACKED_MAX_ACT 4

#if CK_X86
packed_kernel ck_packed_kernel_x86(int type);
#endif

#endif
