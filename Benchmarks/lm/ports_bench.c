// Throughput of the three AVX-512 instructions every packed product issues per 16 lanes of one
// block (vpdpbusd for the integer sums, vcvtdq2ps, vfmadd into the lane accumulators), alone and
// together, eight independent chains each so latency does not count. Nanoseconds per instruction
// (or per group): if a dpbusd + cvt + fma group costs what dpbusd + fma cost, the conversion runs
// on other ports and the products are bound by the ports dpbusd and FMA share. One thread.
// Built and run by Benchmarks/lm/packed.sh.
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vnni,avx512vl,fma"), noinline))
#define OPS 100000000L
#define KEEP8(v) __asm__ volatile("" : "+v"(v[0]), "+v"(v[1]), "+v"(v[2]), "+v"(v[3]), "+v"(v[4]), "+v"(v[5]), "+v"(v[6]), "+v"(v[7]))

static double cpu_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

AVX512 static double dpbusd_alone(void) {
    __m512i acc[8], w = _mm512_set1_epi8(3), x = _mm512_set1_epi8(2);
    for (int k = 0; k < 8; k++) acc[k] = _mm512_set1_epi32(k);
    const double t = cpu_seconds();
    for (long i = 0; i < OPS / 8; i++) {
        for (int k = 0; k < 8; k++) acc[k] = _mm512_dpbusd_epi32(acc[k], w, x);
        KEEP8(acc);
    }
    return (cpu_seconds() - t) / OPS * 1e9;
}

AVX512 static double fma_alone(void) {
    __m512 acc[8], a = _mm512_set1_ps(1.0001f), b = _mm512_set1_ps(0.5f);
    for (int k = 0; k < 8; k++) acc[k] = _mm512_set1_ps((float)k);
    const double t = cpu_seconds();
    for (long i = 0; i < OPS / 8; i++) {
        for (int k = 0; k < 8; k++) acc[k] = _mm512_fmadd_ps(a, b, acc[k]);
        KEEP8(acc);
    }
    return (cpu_seconds() - t) / OPS * 1e9;
}

AVX512 static double dpbusd_and_fma(void) {
    __m512i sums[8], w = _mm512_set1_epi8(3), x = _mm512_set1_epi8(2);
    __m512 acc[8], a = _mm512_set1_ps(1.0001f), b = _mm512_set1_ps(0.5f);
    for (int k = 0; k < 8; k++) { sums[k] = _mm512_set1_epi32(k); acc[k] = _mm512_set1_ps((float)k); }
    const double t = cpu_seconds();
    for (long i = 0; i < OPS / 8; i++) {
        for (int k = 0; k < 8; k++) {
            sums[k] = _mm512_dpbusd_epi32(sums[k], w, x);
            acc[k] = _mm512_fmadd_ps(a, b, acc[k]);
        }
        KEEP8(sums);
        KEEP8(acc);
    }
    return (cpu_seconds() - t) / OPS * 1e9;
}

// What a packed kernel does per 16 lanes: a fresh integer sum, converted, fused into an accumulator.
AVX512 static double kernel_group(void) {
    __m512i xs[8], w = _mm512_set1_epi8(3);
    __m512 acc[8], scale = _mm512_set1_ps(0.5f);
    for (int k = 0; k < 8; k++) { xs[k] = _mm512_set1_epi8((char)(k + 1)); acc[k] = _mm512_set1_ps((float)k); }
    const double t = cpu_seconds();
    for (long i = 0; i < OPS / 8; i++) {
        KEEP8(xs);  // fresh operands every round: nothing to hoist
        for (int k = 0; k < 8; k++) {
            const __m512i s = _mm512_dpbusd_epi32(_mm512_setzero_si512(), w, xs[k]);
            acc[k] = _mm512_fmadd_ps(scale, _mm512_cvtepi32_ps(s), acc[k]);
        }
        KEEP8(acc);
    }
    return (cpu_seconds() - t) / OPS * 1e9;
}

// The same with the AVX2-style integer sums (vpmaddubsw + vpmaddwd) instead of vpdpbusd: whether
// the integer products could move off the FMA ports.
AVX512 static double kernel_group_maddubs(void) {
    __m512i xs[8], w = _mm512_set1_epi8(3), ones = _mm512_set1_epi16(1);
    __m512 acc[8], scale = _mm512_set1_ps(0.5f);
    for (int k = 0; k < 8; k++) { xs[k] = _mm512_set1_epi8((char)(k + 1)); acc[k] = _mm512_set1_ps((float)k); }
    const double t = cpu_seconds();
    for (long i = 0; i < OPS / 8; i++) {
        KEEP8(xs);
        for (int k = 0; k < 8; k++) {
            const __m512i s = _mm512_madd_epi16(_mm512_maddubs_epi16(w, xs[k]), ones);
            acc[k] = _mm512_fmadd_ps(scale, _mm512_cvtepi32_ps(s), acc[k]);
        }
        KEEP8(acc);
    }
    return (cpu_seconds() - t) / OPS * 1e9;
}

int main(void) {
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx512vnni")) { printf("no AVX-512 VNNI on this machine\n"); return 0; }
    const double dp = dpbusd_alone(), fma = fma_alone(), pair = dpbusd_and_fma(), group = kernel_group();
    const double group2 = kernel_group_maddubs();
    printf("ns per instruction: vpdpbusd %.3f, vfmadd %.3f; ns per group: vpdpbusd + vfmadd %.3f, "
           "vpdpbusd + vcvtdq2ps + vfmadd %.3f, vpmaddubsw + vpmaddwd + vcvtdq2ps + vfmadd %.3f\n", dp, fma, pair, group, group2);
    return 0;
}
