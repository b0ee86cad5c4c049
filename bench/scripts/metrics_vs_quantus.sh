#!/usr/bin/env bash
# Times pixel-flipping, deletion, insertion and MPRT on ResNet-18 (4 images), explain4j's
# `evaluate` against the reference implementations (Quantus 0.6.0; RISE for deletion/insertion),
# alternately, REPEATS rounds (default 3). See docs/BENCHMARKS.md, "Metrics: explain4j vs Quantus".
#
#   bench/scripts/metrics_vs_quantus.sh [DIR] [REPEATS] [METRICS...]
#
# DIR (default /tmp/mbench) receives the model, inputs, attribution, scores and times.tsv.
# Needs Quantus 0.6.0's source in QUANTUS_SRC (default /tmp/quantus) and RISE's evaluation.py and
# utils.py in RISE_SRC (default /tmp/rise); neither is committed here.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dir="${1:-/tmp/mbench}"
repeats="${2:-3}"
shift $(( $# > 2 ? 2 : $# )) || true
metrics=("$@")
[[ ${#metrics[@]} -gt 0 ]] || metrics=(pixel-flipping deletion insertion mprt)
py=/usr/bin/python3
script="$root/bench/scripts/metrics_vs_quantus.py"
e4j="$root/explain4j"
mkdir -p "$dir"
[[ -f "$dir/resnet18.onnx" && -f "$dir/x.npy" ]] || $py "$script" prepare "$dir"
target="$(cat "$dir/targets.txt")"
common=(--model "$dir/resnet18.onnx" --input "$dir/x.npy" --target "$target" --threads 2 --quiet)
[[ -f "$dir/a.npy" ]] || "$e4j" attribute "${common[@]}" --method saliency --output "$dir/a.npy" >/dev/null

flags() {
  case "$1" in
    pixel-flipping) echo "--features-in-step 784" ;;            # 192 steps, as Quantus's run
    deletion|insertion) echo "--step 672" ;;                      # 672 elements = 224 pixels: 224 steps
    mprt) echo "--method saliency --layer-order top_down" ;;
  esac
}

now() { date +%s.%N; }
out="$dir/times.tsv"
[[ -f "$out" ]] || printf 'round\tside\tmetric\tseconds\tutc\n' > "$out"
for r in $(seq 1 "$repeats"); do
  # explain4j's fixed cost: JVM start, model load, reading the arrays, a metric without model calls
  t0=$(now)
  "$e4j" evaluate "${common[@]}" --attribution "$dir/a.npy" --metric sparseness --output "$dir/e4j.sparseness.npy" >/dev/null
  t1=$(now)
  printf '%s\texplain4j\tfixed-cost\t%.2f\t%s\n' "$r" "$(echo "$t1 - $t0" | bc)" "$(date -u +%H:%M:%S)" | tee -a "$out"
  for m in "${metrics[@]}"; do
    t0=$(now)
    # shellcheck disable=SC2046
    "$e4j" evaluate "${common[@]}" --attribution "$dir/a.npy" --metric "$m" $(flags "$m") \
        --output "$dir/e4j.$m.npy" --format json >/dev/null
    t1=$(now)
    printf '%s\texplain4j\t%s\t%.2f\t%s\n' "$r" "$m" "$(echo "$t1 - $t0" | bc)" "$(date -u +%H:%M:%S)" | tee -a "$out"
    ref=$($py "$script" run "$dir" "$m" | tail -n 1)
    echo "$ref" > "$dir/ref.$m.json"
    s=$($py -c 'import json,sys; print("%.2f" % json.loads(sys.argv[1])["seconds"])' "$ref")
    printf '%s\treference\t%s\t%s\t%s\n' "$r" "$m" "$s" "$(date -u +%H:%M:%S)" | tee -a "$out"
  done
done
