#!/usr/bin/env bash
# The quiet comparison of branch cold3 (issue 12 part 1, third round) against its branch point:
# bench/scripts/cold_start.sh with both builds alternated in each round (first run, second run),
# and the warm in-process IG call (`explain4j bench --only ig`, best of 2) of each build in turn.
# Two rounds take about 2.5 minutes on the 2-core development machine when it is quiet.
#
#   bench/scripts/cold3_compare.sh [ROUNDS]          (default 2)
# Environment:
#   BASE_JAR   the branch point's serve jar (default /tmp/cold3/base.jar); when missing, it is built
#              from commit BASE (default b3ed164) in a temporary git worktree first (about 1-2 min,
#              not part of the measurement)
#   WORK       scratch folder (default: a new temporary folder)
#   MODEL, INPUT as for cold_start.sh (default /tmp/cold/resnet18.onnx and /tmp/cold/x4.npy)
# This tree's jar is built by ./explain4j --version when older than the sources.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$root/bench/scripts/lib.sh"
rounds="${1:-2}"
base="${BASE:-b3ed164}"
base_jar="${BASE_JAR:-/tmp/cold3/base.jar}"
base_serve_jar "$base" "$base_jar"
"$root/explain4j" --version >/dev/null
JARS="base=$base_jar cold3=$root/serve/target/explain4j-serve.jar" WARM_LABELS="cold3 base" \
  TIMELINE="${TIMELINE:-0}" "$root/bench/scripts/cold_start.sh" "$rounds"
