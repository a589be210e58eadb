#!/usr/bin/env bash
# The attention kernel alone: fused (one pass per key/value head) against per-position, one thread,
# cold caches, for a few context lengths. Usage: bash Benchmarks/lm/attention.sh [positions...]
set -euo pipefail
cd "$(dirname "$0")/../.."
out=Benchmarks/.cache/attention_bench
mkdir -p Benchmarks/.cache
k=Sources/CKernels
clang -O3 -fno-math-errno -I$k/include -I$k Benchmarks/lm/attention_bench.c $k/*.c -lm -lpthread -o "$out"
[ $# -gt 0 ] || set -- 100 700 1500
for n in "$@"; do "$out" "$n"; done
