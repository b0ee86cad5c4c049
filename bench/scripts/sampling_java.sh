#!/usr/bin/env bash
# explain4j's side of the sampling-methods benchmark (issue 12 part 3).
#   bench/scripts/sampling_java.sh golden|tabular50 METHOD SAMPLES ROWS [REPEATS] [extra flags...]
# Runs `explain4j attribute --format json` REPEATS times (one JVM each: the time is the method's
# own elapsed_ms, which includes the JIT's warm-up but not model loading) and prints the best,
# with the whole process's CPU time (/usr/bin/time: user + system, JVM start and loading included).
# Needs bench/tabular50 (bench/scripts/make_tabular50.py) and, for golden, ../shared/golden.
# The per-row targets go through an argument file (@FILE): tens of thousands of them on the
# command line itself crashed the JVM's launcher thread (stack overflow) here. cli/target/explain4j.jar
# is built first when missing or older than the sources.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$root/bench/scripts/lib.sh"
which=$1 method=$2 samples=$3 rows=$4 repeats=${5:-3}
# the jar of this tree: rebuilt (not timed) when older than the sources; a caller that alternates
# with Captum checks it once before its loop and sets E4J_JAR_CHECKED (no rebuild between rounds)
[[ -n ${E4J_JAR_CHECKED:-} ]] || fresh_jar "$root/cli/target/explain4j.jar" core onnx viz cli
shift $(( $# < 5 ? $# : 5 ))
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [[ $which == golden ]]; then
  model=$root/../shared/golden/tabular_mlp.onnx
  /usr/bin/python3 -c "
import numpy as np, sys
x = np.load('$root/../shared/golden/tabular_x.npy'); r = $rows
np.save('$tmp/x.npy', np.concatenate([x] * (-(-r // len(x))))[:r])
print('--target ' + ','.join(str([0, 1, 2, 1][i % 4]) for i in range(r)), file=open('$tmp/t', 'w'))"
  mask=(--feature-mask "$root/../shared/golden/tabular_mask.npy")
else
  model=$root/bench/tabular50/tabular50_mlp.onnx
  /usr/bin/python3 -c "
import numpy as np
x = np.load('$root/bench/tabular50/tabular50_x.npy'); r = $rows
np.save('$tmp/x.npy', np.concatenate([x] * (-(-r // len(x))))[:r])
print('--target ' + ','.join(str(i % 3) for i in range(r)), file=open('$tmp/t', 'w'))"
  mask=()
fi
samp=()
[[ $method != feature-ablation ]] && samp=(--samples "$samples" --seed 7)
best=
cpu=
for ((k = 0; k < repeats; k++)); do
  /usr/bin/time -f "%U %S" -o "$tmp/cpu" java -jar "$root/cli/target/explain4j.jar" attribute --quiet --model "$model" --input "$tmp/x.npy" \
    --method "$method" "${samp[@]}" "${mask[@]}" "@$tmp/t" \
    --format json --output "$tmp/out.json" "$@"
  ms=$(/usr/bin/python3 -c "import json; print(json.load(open('$tmp/out.json'))['diagnostics']['elapsed_ms'])")
  c=$(awk '{print $1 + $2}' "$tmp/cpu")
  echo "  run $k: ${ms} ms, process CPU ${c} s" >&2
  if [[ -z $best ]] || (( $(printf '%.0f' "$ms") < $(printf '%.0f' "$best") )); then best=$ms; cpu=$c; fi
done
# the process's CPU time (user + system, all threads) includes the JVM's start and the model's loading
/usr/bin/python3 -c "print('explain4j $method model=$which rows=$rows samples=$samples: best %.1f ms of $repeats (process CPU $cpu s), %.1f rows/s' % ($best, $rows / ($best / 1000)))"
