#!/usr/bin/env bash
# The engine benchmark: `desk bench engine` in release mode against backtrader 1.9.78.123, which this
# script installs into a throwaway virtual environment (Benchmarks/.cache/venv, never a dependency of
# the product). Arguments are passed to `desk bench engine` (e.g. --symbols 50 --years 5 for a quick run).
# The full default run (500 symbols × 20 years) spends most of its time in backtrader: about 10 minutes here.
set -euo pipefail
cd "$(dirname "$0")/../.."
say() { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }

venv=Benchmarks/.cache/venv
if ! "$venv/bin/python" -c 'import sys, backtrader; sys.exit(backtrader.__version__ != "1.9.78.123")' 2>/dev/null; then
  say "creating $venv with backtrader 1.9.78.123 (pip)"
  rm -rf "$venv"
  python3 -m venv "$venv" || { echo "error: python3 -m venv failed; on Debian install python3-venv" >&2; exit 1; }
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check backtrader==1.9.78.123 </dev/null
fi

say "swift build -c release --product desk"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
swift build -c release --product desk >"$log" 2>&1 || { cat "$log" >&2; echo "error: the build failed" >&2; exit 1; }

say "desk bench engine $*"
.build/release/desk bench engine --python "$venv/bin/python" "$@"
