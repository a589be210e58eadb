#!/usr/bin/env bash
# `desk bench lm` beside llama.cpp (llama-cpp-python 0.3.36) on the same GGUF, token ids and thread
# count, interleaved in one run; prints a markdown table with the ratios (paste it into BENCHMARKS.md).
# llama-cpp-python compiles llama.cpp (~10 minutes on 2 cores) into a throwaway virtual environment:
# $LM_VENV if set, else /tmp/lm-llama-venv if it already works, else Benchmarks/.cache/lm-venv.
# Usage: bash Benchmarks/lm/run.sh [--rounds N] [--runs N] [--threads N]
set -euo pipefail
cd "$(dirname "$0")/../.."
cache=Benchmarks/.cache
mkdir -p "$cache"
venv=${LM_VENV:-}
if [ -z "$venv" ]; then
  if [ -x /tmp/lm-llama-venv/bin/python ] && /tmp/lm-llama-venv/bin/python -c "import llama_cpp, numpy" 2>/dev/null; then
    venv=/tmp/lm-llama-venv
  else
    venv=$cache/lm-venv
  fi
fi
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import llama_cpp, numpy" 2>/dev/null; then
  echo "==> installing llama-cpp-python==0.3.36 and numpy into $venv (compiles llama.cpp, ~10 minutes)" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "llama-cpp-python==0.3.36" numpy >&2
fi
echo "==> swift build -c release --product desk" >&2
swift build -c release --product desk >"$cache/lm-build.log" 2>&1 || { cat "$cache/lm-build.log" >&2; exit 1; }
model=$(.build/release/desk model pull)
"$venv/bin/python" Benchmarks/lm/bench_lm.py --desk .build/release/desk --model "$model" "$@"
