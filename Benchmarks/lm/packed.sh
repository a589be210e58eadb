#!/usr/bin/env bash
# The packed weight products of one forward step (Benchmarks/lm/packed_bench.c), one thread, for
# 1-64 activation rows at once. Usage: bash Benchmarks/lm/packed.sh [repeats] [sources dir]
# (sources dir: another checkout's Sources/CKernels, to compare two builds of the kernels).
set -euo pipefail
cd "$(dirname "$0")/../.."
k=${2:-Sources/CKernels}
out=Benchmarks/.cache/packed_bench_$(echo "$k" | tr '/' '_')
mkdir -p Benchmarks/.cache
clang -O3 -fno-math-errno -I"$k/include" -I"$k" Benchmarks/lm/packed_bench.c "$k"/*.c -lm -lpthread -o "$out"
"$out" "${1:-5}"
