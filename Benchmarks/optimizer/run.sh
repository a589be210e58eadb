#!/usr/bin/env bash
# Solve times of the optimiser (Ipopt, release build) beside cvxpy with OSQP and Clarabel on the same
# problems (20, 100, 500 assets), in a throwaway virtual environment under Benchmarks/.cache/.
# Usage: bash Benchmarks/optimizer/run.sh   (prints a markdown table; paste it into BENCHMARKS.md)
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/setup.sh
cache=Benchmarks/.cache/optimizer
venv=Benchmarks/.cache/venv-optimizer
mkdir -p "$cache"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import cvxpy, osqp, clarabel" 2>/dev/null; then
  echo "==> creating $venv with cvxpy 1.9.3 (OSQP, Clarabel) and numpy" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "cvxpy==1.9.3" numpy >&2
fi
echo "==> swift build -c release --product desk" >&2
swift build -c release --product desk >"$cache/build.log" 2>&1 || { cat "$cache/build.log" >&2; exit 1; }
"$venv/bin/python" Benchmarks/optimizer/compare.py generate "$cache/problems.json"
echo "==> desk bench optimizer (Ipopt)" >&2
.build/release/desk bench optimizer --problems "$cache/problems.json" >"$cache/ipopt.json"
echo "==> cvxpy (OSQP, Clarabel), one BLAS thread like ours" >&2
OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 "$venv/bin/python" Benchmarks/optimizer/compare.py compare "$cache/problems.json" "$cache/ipopt.json"
