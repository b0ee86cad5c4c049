#!/usr/bin/env bash
# Strided convolution gradients (branch convt): the ConvTranspose form against the phase
# convolutions, alternately, in one command (about 1.5 minutes on an idle 2-core machine).
# See docs/BENCHMARKS.md, "Strided convolution gradients (branch convt)".
#
#   bench/scripts/convt_compare.sh JAR MODEL [ROUNDS=8] [BASE_JAR]
#
# JAR: explain4j-serve.jar (or explain4j.jar) of this branch; MODEL: ResNet-18 of
# bench/scripts/make_resnet18.py (e.g. /tmp/cold/resnet18.onnx).
# 1. ConvGradients: the input-gradient backward graph (25 rows) of both forms, one session each,
#    ROUNDS alternated runs in one JVM: wall and process CPU time per run, and the largest
#    difference of the two gradients.
# 2. Whole processes, `bench --steps 50 --batch-size 25 --repeats 1 --only ig`, two rounds of
#    before / after under /usr/bin/time (wall, user + system CPU). Before is the same JAR with
#    -Dexplain4j.grad.stridedConv=transpose (the form of main before this branch), or BASE_JAR
#    when given.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
jar="$1"; model="$2"; rounds="${3:-8}"; base="${4:-}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export EXPLAIN4J_CACHE=off
javac -cp "$jar" -d "$tmp" "$root/bench/scripts/ConvGradients.java"
echo "== backward sessions, alternated in one JVM (load $(cut -d' ' -f1 /proc/loadavg), $(date -u +%H:%M:%S) UTC)"
java -cp "$jar:$tmp" ConvGradients "$model" 25 "$rounds" 2>&1 | grep -v -i warn
echo "== whole processes: bench --only ig (50 steps, batch 25, 4 images)"
printf 'round\tform\twall_s\tcpu_s\tbest_ig\tload\tutc\n'
for r in 1 2; do
  for form in before after; do
    if [[ "$form" == before && -n "$base" ]]; then cmd=(java -jar "$base")
    elif [[ "$form" == before ]]; then cmd=(java -Dexplain4j.grad.stridedConv=transpose -jar "$jar")
    else cmd=(java -jar "$jar"); fi
    /usr/bin/time -f "%e %U %S" -o "$tmp/time.txt" "${cmd[@]}" bench --model "$model" --steps 50 \
        --batch-size 25 --repeats 1 --only ig > "$tmp/out.txt" 2>&1
    read -r wall user sys < "$tmp/time.txt"
    best=$(grep -o -E '^integrated gradients: [0-9.]+ ms' "$tmp/out.txt" | grep -o -E '[0-9.]+ ms' || true)
    printf '%s\t%s\t%s\t%.2f\t%s\t%s\t%s\n' "$r" "$form" "$wall" "$(echo "$user + $sys" | bc)" "${best:-?}" \
        "$(cut -d' ' -f1 /proc/loadavg)" "$(date -u +%H:%M:%S)"
  done
done
