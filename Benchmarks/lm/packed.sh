#!/usr/bin/env bash
# The packed weight products of one forward step (Benchmarks/lm/packed_bench.c), one thread, for
# 1-64 activation rows at once, then the port probe (Benchmarks/lm/ports_bench.c).
# Usage: bash Benchmarks/lm/packed.sh [repeats] [kernel sources dir]
# The sources dir lets two versions of the kernels be compared, e.g. the 8-row trial layout:
#   mkdir -p /tmp/trial && git archive d5859cd Sources/CKernels | tar -x -C /tmp/trial
#   bash Benchmarks/lm/packed.sh 12 /tmp/trial/Sources/CKernels
set -euo pipefail
cd "$(dirname "$0")/../.."
k=${2:-Sources/CKernels}
out=Benchmarks/.cache/packed_bench_$(echo "$k" | tr '/' '_')
mkdir -p Benchmarks/.cache
clang -O3 -fno-math-errno -I"$k/include" -I"$k" Benchmarks/lm/packed_bench.c "$k"/*.c -lm -lpthread -o "$out"
clang -O2 Benchmarks/lm/ports_bench.c -o Benchmarks/.cache/ports_bench
"$out" "${1:-5}"
Benchmarks/.cache/ports_bench
