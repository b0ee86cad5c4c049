#!/usr/bin/env bash
# The quiet comparison of branch cold5 (issue 12 part 1, fifth round) against main before it (94c02db):
# bench/scripts/cold_start.sh with both builds alternated in each round (first run on an empty cache,
# second run), each build with its own launcher and class list, and the warm in-process IG call
# (`explain4j bench --only ig`, best of 2) of each build in turn. Two rounds take about 2.5 minutes on
# the quiet 2-core machine (add CAPTUM=first for Captum's IG in the first round, +25 s).
#
#   bench/scripts/cold5_compare.sh [ROUNDS]          (default 2)
# Environment:
#   BASE_JAR   main's serve jar at BASE (default /tmp/cold5/base.jar); when missing, it is built from
#              commit BASE (default 94c02db) in a temporary git worktree first (1-2 min, not timed)
#   TIMELINE=1 keep each second run's phase marks (WORK/<label>-second<r>.timeline)
#   SPIN=1     also run this branch's jar as label `nospin`, with EXPLAIN4J_ORT_FORWARD=
#              session.intra_op.allow_spinning=0 (forward sessions' idle threads block at once instead of
#              spinning beside the backward session's creation; +50 s for two rounds)
#   WORK, MODEL, INPUT, CAPTUM as for cold_start.sh (default /tmp/cold/resnet18.onnx and /tmp/cold/x4.npy)
# This tree's jar is built by ./explain4j --version when older than the sources. Outputs of both builds
# are compared with cmp in every round (cold_start.sh prints "outputs DIFFER" otherwise).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rounds="${1:-2}"
base="${BASE:-94c02db}"
base_jar="${BASE_JAR:-/tmp/cold5/base.jar}"
if [[ ! -f "$base_jar" ]]; then
  echo "cold5_compare.sh: building $base's jar into $base_jar (not timed)..." >&2
  wt="$(mktemp -d)/base"
  git -C "$root" worktree add --detach "$wt" "$base" >/dev/null
  (cd "$wt" && ln -s "$root/../shared" ../shared 2>/dev/null || true; mvn -B -o -q -DskipTests package -pl serve -am >&2)
  mkdir -p "$(dirname "$base_jar")"
  cp "$wt/serve/target/explain4j-serve.jar" "$base_jar"
  git -C "$root" worktree remove --force "$wt"
fi
"$root/explain4j" --version >/dev/null
tmp="$(mktemp -d)"
git -C "$root" show "$base:explain4j" > "$tmp/explain4j"
chmod +x "$tmp/explain4j"
git -C "$root" show "$base:cds/explain4j.classlist" > "$tmp/base.classlist"
jars="base=$base_jar cold5=$root/serve/target/explain4j-serve.jar"
if [[ "${SPIN:-0}" == 1 ]]; then
  jars="$jars nospin=$root/serve/target/explain4j-serve.jar"
  export ENV_nospin="EXPLAIN4J_ORT_FORWARD=session.intra_op.allow_spinning=0"
fi
LAUNCHER_base="$tmp/explain4j" CLASSLIST_base="$tmp/base.classlist" \
  JARS="$jars" WARM_LABELS="cold5 base" CAPTUM="${CAPTUM:-0}" \
  TIMELINE="${TIMELINE:-0}" "$root/bench/scripts/cold_start.sh" "$rounds"
