#!/usr/bin/env bash
# Renders a `desk report` of a short real replay in headless Chromium, keeps a screenshot and a PDF
# print, and fails if the page's script did not run cleanly or a chart came out empty.
# Usage: scripts/check-report.sh [OUTPUT_DIR]            (default .build/check-report; needs a built .build/debug/desk)
#        scripts/check-report.sh --html REPORT.html [OUTPUT_DIR]   (check an existing report instead)
# Skips (exit 0) when no Chromium is installed: `apt-get install chromium` (setup.sh does on Debian).
set -euo pipefail
cd "$(dirname "$0")/.."
given=""
if [ "${1:-}" = "--html" ]; then given=$(cd "$(dirname "$2")" && pwd)/$(basename "$2"); shift 2; fi
out=${1:-.build/check-report}
desk=${DESK:-.build/debug/desk}
say() { printf '==> %s\n' "$*" >&2; }

browser=""
for candidate in chromium chromium-browser google-chrome google-chrome-stable; do
  if command -v "$candidate" >/dev/null 2>&1; then browser=$(command -v "$candidate"); break; fi
done
if [ -z "$browser" ]; then
  say "check-report: skipped, no Chromium on PATH (apt-get install chromium)"
  exit 0
fi
rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)
if [ -n "$given" ]; then
  cp "$given" "$out/report.html"
else
  if [ ! -x "$desk" ]; then
    say "swift build --product desk"
    swift build --product desk >/dev/null
  fi
  journal="$out/journal.sqlite"
  say "two replays of covid-crash-2020 (equal-weight-weekly seed 1, buy-and-hold seed 2) into $journal"
  "$desk" replay covid-crash-2020 --desk equal-weight-weekly --seed 1 --journal "$journal" >/dev/null
  "$desk" replay covid-crash-2020 --desk buy-and-hold --seed 2 --journal "$journal" >/dev/null
  say "desk report 1 2 --out $out/report.html"
  "$desk" report 1 2 --journal "$journal" --out "$out/report.html" >/dev/null
fi

# Chromium as root needs --no-sandbox; a private profile keeps runs independent.
flags=(--headless --no-sandbox --disable-gpu --disable-dev-shm-usage --hide-scrollbars --no-first-run
       --user-data-dir="$out/profile" --virtual-time-budget=5000 --enable-logging=stderr --v=0)
url="file://$out/report.html"
say "rendering with $browser"
timeout 120 "$browser" "${flags[@]}" --dump-dom "$url" >"$out/dom.html" 2>"$out/console.log" || true
timeout 120 "$browser" "${flags[@]}" --window-size=1280,2000 --screenshot="$out/report.png" "$url" >/dev/null 2>>"$out/console.log" || true
timeout 120 "$browser" "${flags[@]}" --no-pdf-header-footer --print-to-pdf="$out/report.pdf" "$url" >/dev/null 2>>"$out/console.log" || true

python3 - "$out" <<'PY'
import html.parser, os, re, sys
out = sys.argv[1]
problems = []
console = open(os.path.join(out, "console.log"), errors="replace").read()
for line in console.splitlines():
    if "CONSOLE" in line and re.search(r"Uncaught|Error", line):
        problems.append("script error: " + line.strip())
dom = open(os.path.join(out, "dom.html"), errors="replace").read()
if 'data-script="ok"' not in dom:
    problems.append("the page's script did not run to its end (no data-script=\"ok\" on <html>)")

class Charts(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.charts = []        # for each svg.chart: points of its paths
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg" and "chart" in (a.get("class") or "").split():
            self.charts.append((a.get("aria-label", "?"), []))
        elif tag == "path" and self.charts:
            d = a.get("d") or ""
            points = len(re.findall(r"[ML]-?\d", d))
            self.charts[-1][1].append(points)

parser = Charts()
parser.feed(dom)
if len(parser.charts) < 4:
    problems.append(f"expected at least 4 charts (equity, drawdowns, weights of two runs), found {len(parser.charts)}")
for label, paths in parser.charts:
    if not paths or max(paths) < 2:
        problems.append(f"chart '{label}' is empty: paths with {paths} points")
days = dom.count('<details class="day')
if days == 0:
    problems.append("the timeline has no days")
for name, minimum in (("report.png", 20_000), ("report.pdf", 10_000)):
    path = os.path.join(out, name)
    size = os.path.getsize(path) if os.path.exists(path) else 0
    if size < minimum:
        problems.append(f"{name} is missing or too small ({size} bytes)")
if problems:
    print("check-report: FAILED", file=sys.stderr)
    for p in problems: print("  " + p, file=sys.stderr)
    sys.exit(1)
summary = ", ".join(f"{label} ({max(paths)} points)" for label, paths in parser.charts)
print(f"check-report: ok: {len(parser.charts)} charts: {summary}; {days} timeline days; screenshot {out}/report.png, print {out}/report.pdf", file=sys.stderr)
PY
