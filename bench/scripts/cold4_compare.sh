#!/usr/bin/env bash
# The quiet comparison of branch cold4 (issue 12 part 1, fourth round) against main before it:
# bench/scripts/cold_start.sh with both builds alternated in each round (first run, second run),
# the warm in-process IG call (`explain4j bench --only ig`, best of 2) of each build in turn, and
# Captum's IG on the same model and input in the first round (the issue's other goal: the whole
# one-shot process at most 0.7x Captum). Two rounds take about 3 minutes on the quiet 2-core machine.
#
#   bench/scripts/cold4_compare.sh [ROUNDS]          (default 2)
# Environment:
#   BASE_JAR   main's serve jar before this branch (default /tmp/cold4/base.jar); when missing, it is
#              built from commit BASE (default daab40e) in a temporary git worktree first (1-2 min, not
#              part of the measurement)
#   CAPTUM     first (default), 1 (every round) or 0; Captum's source at /tmp/captum
#   TIMELINE=1 keep each second run's phase marks (WORK/<label>-second<r>.timeline)
#   WORK, MODEL, INPUT as for cold_start.sh (default /tmp/cold/resnet18.onnx and /tmp/cold/x4.npy)
# This tree's jar is built by ./explain4j --version when older than the sources.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$root/bench/scripts/lib.sh"
rounds="${1:-2}"
base="${BASE:-daab40e}"
base_jar="${BASE_JAR:-/tmp/cold4/base.jar}"
base_serve_jar "$base" "$base_jar"
"$root/explain4j" --version >/dev/null
# the base runs with main's launcher too (its archive dumped at the first run's exit)
launcher_base="$(mktemp)"
git -C "$root" show "$base:explain4j" > "$launcher_base"
chmod +x "$launcher_base"
LAUNCHER_base="$launcher_base" JARS="base=$base_jar cold4=$root/serve/target/explain4j-serve.jar" WARM_LABELS="cold4 base" CAPTUM="${CAPTUM:-first}" \
  TIMELINE="${TIMELINE:-0}" "$root/bench/scripts/cold_start.sh" "$rounds"
