#!/usr/bin/env bash
# Cold start of a one-shot `attribute` (issue 12 part 1), measured alternately in rounds:
#   first run (new empty cache folder), second run (same folder), warm in-process time
#   (`explain4j bench`, best of 2 in one JVM), and optionally Captum's attribution time.
# Each line records wall time, process CPU time (user + sys), peak RSS and the 1-minute load
# average at the run's start, so that runs on a loaded machine can be told apart.
#
#   bench/scripts/cold_start.sh [ROUNDS]            (default 3)
# Environment:
#   MODEL, INPUT     default /tmp/cold/resnet18.onnx (bench/scripts/make_resnet18.py) and
#                    /tmp/cold/x4.npy (4x3x224x224 float32)
#   CAPTUM=1         also run bench/scripts/captum_ig_resnet18.py (PYTHONPATH=/tmp/captum)
#   WARM=0           skip the warm `bench` run
#   WORK             scratch folder (default: a new temporary folder)
# The launcher and the jar are copied into WORK first, so that editing the sources meanwhile
# does not make the launcher rebuild between runs. Build the jar first: ./explain4j --version
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rounds="${1:-3}"
model="${MODEL:-/tmp/cold/resnet18.onnx}"
input="${INPUT:-/tmp/cold/x4.npy}"
work="${WORK:-$(mktemp -d)}"
jar="$root/serve/target/explain4j-serve.jar"
[[ -f "$jar" ]] || { echo "cold_start.sh: no $jar; build it first (./explain4j --version)" >&2; exit 1; }
[[ -f "$model" && -f "$input" ]] || { echo "cold_start.sh: MODEL=$model or INPUT=$input missing" >&2; exit 1; }
mkdir -p "$work/tool/serve/target"
cp "$root/explain4j" "$work/tool/explain4j"
cp "$jar" "$work/tool/serve/target/explain4j-serve.jar"
tool="$work/tool/explain4j"
args=(attribute --model "$model" --input "$input" --method integrated-gradients --steps 50 --batch-size 25 --quiet)
fmt='%e s wall, %U+%S s cpu, %M KB'
load() { cut -d' ' -f1 /proc/loadavg; }
echo "commit $(git -C "$root" rev-parse --short HEAD), $(date -u +%FT%TZ), $(nproc) cpus, work $work"
for ((r = 1; r <= rounds; r++)); do
  export EXPLAIN4J_CACHE_DIR="$work/cache$r"
  rm -rf "$EXPLAIN4J_CACHE_DIR"
  echo "round $r $(date -u +%T)"
  echo -n "  first  (load $(load)): "
  /usr/bin/time -f "$fmt" "$tool" "${args[@]}" --output "$work/first$r.npy" 2>&1 | tail -n 1
  echo -n "  second (load $(load)): "
  /usr/bin/time -f "$fmt" "$tool" "${args[@]}" --output "$work/second$r.npy" 2>&1 | tail -n 1
  if cmp -s "$work/first$r.npy" "$work/second$r.npy"; then echo "  first and second bit-identical"; else echo "  first and second DIFFER"; fi
  if [[ "${WARM:-1}" != 0 ]]; then
    echo -n "  warm   (load $(load)): "
    EXPLAIN4J_CACHE=off java -jar "$work/tool/serve/target/explain4j-serve.jar" bench --model "$model" --steps 50 \
        --batch-size 25 --repeats 2 --only ig 2>&1 | grep -iE "integrated|ig" | tail -n 3 | tr '\n' ' '
    echo
  fi
  if [[ "${CAPTUM:-0}" == 1 ]]; then
    echo -n "  captum (load $(load)): "
    PYTHONPATH=/tmp/captum /usr/bin/python3 "$root/bench/scripts/captum_ig_resnet18.py" --repeats 2 2>&1 | tail -n 1
  fi
done
echo "end $(date -u +%T), load $(load)"
