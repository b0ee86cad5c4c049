#!/usr/bin/env bash
# MPRT on ResNet-18 against Quantus 0.6.0, the fourth round's one-command comparison (under 3
# minutes on the quiet machine with 2 rounds). See docs/BENCHMARKS.md, "MPRT, fourth round (issue 9,
# branch mprt4)".
#
#   bench/scripts/mprt4_compare.sh BASE_JAR MPRT4_JAR [ROUNDS=2] [DIR=/tmp/m4/mprt]
#
# BASE_JAR: a build of main before mprt4 (e.g. /tmp/m4/after.jar); MPRT4_JAR: this branch's
# serve/target/explain4j-serve.jar (copied elsewhere). Each round, alternately: the fixed cost
# (MPRT4_JAR with --metric sparseness), BASE's MPRT, MPRT4's MPRT (two randomised copies at once on
# a one-thread switched session), Quantus's MPRT metric call, then the ratios whole process /
# Quantus. Scores must be byte-identical between the two jars (largest difference 0) and across
# rounds. With ONE_AT_A_TIME=1 a last round runs MPRT4_JAR with -Dexplain4j.mprt.concurrent=off
# against BASE_JAR (no Quantus), to separate the two changes.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
base="$1"; mine="$2"; rounds="${3:-2}"; dir="${4:-/tmp/m4/mprt}"
echo "# $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg); base $base, mprt4 $mine"
QUANTUS_SRC="${QUANTUS_SRC:-/tmp/quantus}" "$root/bench/scripts/mprt_pair.sh" "$dir" "$base" "$mine" "$rounds"
if [[ "${ONE_AT_A_TIME:-0}" == 1 ]]; then
  echo "# mprt4 with -Dexplain4j.mprt.concurrent=off (one copy at a time, the draws still on a helper thread)"
  QUANTUS=off AFTER_OPTS=-Dexplain4j.mprt.concurrent=off "$root/bench/scripts/mprt_pair.sh" "$dir" "$base" "$mine" 1
fi
