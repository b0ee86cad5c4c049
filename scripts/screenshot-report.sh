#!/usr/bin/env bash
# Renders an explain4j report in headless Chromium and saves a screenshot, so a person (or a
# review) can look at what the report shows. Needs Debian's chromium (apt-get install chromium).
# Usage: scripts/screenshot-report.sh [REPORT.html] [OUT.png]
set -euo pipefail
report="${1:-explain4j-out/demo/report.html}"
shot="${2:-explain4j-out/demo/report.png}"
if ! command -v chromium >/dev/null 2>&1; then
  echo "screenshot-report: chromium is not installed (apt-get install chromium)" >&2
  exit 1
fi
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --user-data-dir="$profile" --window-size=1280,2400 \
  --screenshot="$(realpath -m "$shot")" "file://$(realpath "$report")" >/dev/null 2>&1
echo "$shot"
