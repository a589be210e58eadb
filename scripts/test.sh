#!/usr/bin/env bash
# The test command: set up, build everything (failing on any warning in our own code), run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "==> swift build --build-tests" >&2
status=0
swift build --build-tests >"$log" 2>&1 || status=$?
grep -E "error:|warning:" "$log" | grep -v "^warning: 'main'" | sort -u >&2 || true
tail -n 1 "$log" >&2
if [ "$status" -ne 0 ]; then echo "error: the build failed (exit $status)" >&2; exit "$status"; fi
if grep -qE "^$(pwd)/(Sources|Tests)/.*warning:" "$log"; then
  echo "error: the build has warnings in Sources/ or Tests/; the project builds without warnings" >&2
  exit 1
fi
# The local-model tests run the real default model: fetch it when it is missing (verified by SHA-256).
echo "==> .build/debug/desk model pull   (the default model, into \${TRADINGDESK_MODELS:-~/.cache/tradingdesk/models})" >&2
.build/debug/desk model pull >/dev/null
# The remote-model tests time real HTTP exchanges on loopback (timeouts, slow and stalled answers)
# against the wall clock; run beside the CPU-bound model and replay tests on two cores, their
# awaits can wait tens of seconds for a free thread of the cooperative pool. So they run first, alone.
echo "==> swift test --filter RemoteLMTests   (wall-clock-timed HTTP tests, alone)" >&2
swift test --skip-build --filter RemoteLMTests
echo "==> swift test --skip RemoteLMTests" >&2
swift test --skip-build --skip RemoteLMTests
# The HTML report, rendered in headless Chromium (skipped when there is none).
echo "==> scripts/check-report.sh" >&2
bash scripts/check-report.sh
