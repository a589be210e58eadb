#!/usr/bin/env bash
# The main job: replay the bundled COVID-crash scenario with the default agent desk (news and
# technical analysts, portfolio manager, execution trader) thinking with the embedded SmolLM2
# model, replay its baselines, and print the outcome. Arguments are passed to `desk replay`
# (e.g. --desk buy-and-hold, --seed 7, --journal /tmp/j.sqlite). Run it again: the journal's call
# cache answers every model call and the replay takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "==> swift build -c release --product desk" >&2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
swift build -c release --product desk >"$log" 2>&1 || status=$?
if [ "$status" -ne 0 ]; then cat "$log" >&2; echo "error: the build failed" >&2; exit "$status"; fi
echo "==> .build/release/desk model pull   (the default local model, when missing)" >&2
.build/release/desk model pull >/dev/null
.build/release/desk replay covid-crash-2020 --desk default --baselines "$@"
