#!/usr/bin/env bash
# MPRT on ResNet-18 against Quantus 0.6.0, the fifth round's one-command comparison (under 3
# minutes on the quiet machine with 2 rounds). See docs/BENCHMARKS.md, "MPRT, fifth round (issue 9,
# branch mprt5)".
#
#   bench/scripts/mprt5_compare.sh BASE_JAR MPRT5_JAR [ROUNDS=2] [DIR=/tmp/m4/mprt]
#
# BASE_JAR: a build of main before mprt5 (94c02db); MPRT5_JAR: this branch's
# serve/target/explain4j-serve.jar (copied elsewhere). Each round, alternately: the fixed cost
# (MPRT5_JAR with --metric sparseness), BASE's MPRT, MPRT5's MPRT (the switched graph's lower
# forward parts hoisted and served from the first copy's values), Quantus's MPRT metric call, then
# the ratios whole process / Quantus. Scores must be byte-identical between the two jars (largest
# difference 0) and across rounds. With UNHOISTED=1 a last round runs MPRT5_JAR with
# -Dexplain4j.mprt.hoist=off against BASE_JAR (no Quantus): the same graph as main's but for the
# Futures helper, so its CPU time should match BASE's.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
base="$1"; mine="$2"; rounds="${3:-2}"; dir="${4:-/tmp/m4/mprt}"
echo "# $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg); base $base, mprt5 $mine"
QUANTUS_SRC="${QUANTUS_SRC:-/tmp/quantus}" "$root/bench/scripts/mprt_pair.sh" "$dir" "$base" "$mine" "$rounds"
if [[ "${UNHOISTED:-0}" == 1 ]]; then
  echo "# mprt5 with -Dexplain4j.mprt.hoist=off (every pass computes its whole forward half)"
  QUANTUS=off AFTER_OPTS=-Dexplain4j.mprt.hoist=off "$root/bench/scripts/mprt_pair.sh" "$dir" "$base" "$mine" 1
fi
