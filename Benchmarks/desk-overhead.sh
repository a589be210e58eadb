#!/usr/bin/env bash
# What an agent desk costs besides its model, on covid-crash-2020 with the default desk and the
# SQLite journal, next to a rule desk measured in the same run. Release build of a separate package
# (Benchmarks/DeskBench) so the product's build is untouched. Usage: bash Benchmarks/desk-overhead.sh [repetitions]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bash scripts/setup.sh
echo "==> swift build -c release (Benchmarks/DeskBench)" >&2
# Re-plan the build so that files added to the main package since the last run are seen.
rm -f Benchmarks/DeskBench/.build/release.yaml Benchmarks/DeskBench/.build/*/release/description.json
(cd Benchmarks/DeskBench && swift build -c release --product desk-bench >&2)
Benchmarks/DeskBench/.build/release/desk-bench "$root" "${1:-5}"
