#!/usr/bin/env bash
# Local-model speed against llama.cpp, measured in the same run on the same GGUF and prompt.
# Installs llama-cpp-python (compiles llama.cpp, ~10 minutes the first time) into Benchmarks/.cache.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=Benchmarks/.cache/llm-venv
echo "==> swift build -c release --product desk" >&2
swift build -c release --product desk >/dev/null
.build/release/desk model pull >/dev/null
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import llama_cpp" 2>/dev/null; then
  echo "==> installing llama-cpp-python==0.3.36 into $venv (compiles llama.cpp)" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet llama-cpp-python==0.3.36 numpy
fi
model=$(.build/release/desk model pull)
"$venv/bin/python" Benchmarks/llm/bench.py --desk .build/release/desk --model "$model" "$@"
