#!/usr/bin/env bash
# Journalling overhead: a rule-desk replay with and without the SQLite journal — the bundled
# scenarios (in-process, and as whole `desk` processes), then synthetic 500-symbol scenarios of
# 2 and 10 years (two cash levels for 10 years: the default 1,000,000, and 100,000,000 so that
# every symbol trades every session), then the reference: the same rows inserted by Python's
# sqlite3 module. Figures go to BENCHMARKS.md by hand. Usage: Benchmarks/journal/run.sh [repeats]
set -euo pipefail
cd "$(dirname "$0")/../.."
repeats="${1:-3}"
echo "==> swift build -c release --product desk" >&2
swift build -c release --product desk >/dev/null
desk=.build/release/desk
for scenario in covid-crash-2020 gfc-2008 rate-hikes-2022; do
  echo "==> $scenario, equal-weight-decision: in-process, then whole processes" >&2
  $desk bench journal --scenario "$scenario" --repeats "$repeats"
  $desk bench journal --scenario "$scenario" --whole-command --repeats "$repeats"
done
$desk bench journal --years 2 --repeats "$repeats"
$desk bench journal --repeats "$repeats"
$desk bench journal --repeats "$repeats" --cash 100000000

echo "==> reference: the rows of a 500-symbol × 1-year run, inserted by python3's sqlite3" >&2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
$desk bench journal --years 1 --repeats 1 >/dev/null 2>&1   # writes the 1-year scenario if missing
scenario=Benchmarks/.cache/journal/synthetic-500x1y-1000000/scenario.yaml
$desk replay "$scenario" --desk equal-weight-decision --journal "$work/run.sqlite" >/dev/null
$desk export 1 --journal "$work/run.sqlite" --jsonl "$work/run.jsonl" 2>/dev/null
$desk bench journal --years 1 --repeats "$repeats" | tail -1
python3 Benchmarks/journal/sqlite_floor.py "$work/run.jsonl" "$work/run.sqlite"
