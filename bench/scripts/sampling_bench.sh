#!/usr/bin/env bash
# Alternates Captum and explain4j on the sampling benchmark (issue 12 part 3), ROUNDS rounds of
# one run each, so the best of each side comes from the same stretch of machine load.
#   PYTHONPATH=/tmp/captum bench/scripts/sampling_bench.sh [ROUNDS] [ROWS] [CASES] [PPE]
# ROWS (default 256): the rows (explained examples) of every explain4j run and of Captum's
# batched methods (ShapleyValueSampling, FeatureAblation), so both do equal work; Captum's
# per-row methods (KernelShap, Lime: one surrogate per row, time linear in rows) run 16 rows.
# CASES: all (default), or batched (Shapley value sampling and feature ablation only), or
# ablation (feature ablation only). PPE: Captum's perturbations_per_eval (default 2048).
# explain4j runs twice per round: default settings, and --threads 1.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rounds=${1:-2}
rows=${2:-256}
which_cases=${3:-all}
ppe=${4:-2048}
cases=(
  "golden kernel-shap 2000 16 --"
  "golden lime 1000 16 -- --surrogate lasso"
  "golden shapley-value-sampling 200 R -- --exact never"
  "golden feature-ablation 0 R --"
  "tabular50 kernel-shap 2048 16 --"
  "tabular50 lime 2048 16 -- --surrogate lasso"
  "tabular50 shapley-value-sampling 25 R --"
  "tabular50 feature-ablation 0 R --"
)
source "$root/bench/scripts/lib.sh"
# the jar is checked (and rebuilt, not timed) once, before the alternation
fresh_jar "$root/cli/target/explain4j.jar" core onnx viz cli || exit 1
export E4J_JAR_CHECKED=1
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), rows $rows, load: $(cut -d' ' -f1-3 /proc/loadavg)"
for ((r = 0; r < rounds; r++)); do
  for c in "${cases[@]}"; do
    read -r model method samples crow _ <<<"${c%% --*}"
    case $which_cases in
      batched) [[ $method == shapley-value-sampling || $method == feature-ablation ]] || continue ;;
      ablation) [[ $method == feature-ablation ]] || continue ;;
    esac
    [[ $crow == R ]] && crow=$rows
    extra=${c#*-- }; [[ $extra == "$c" || $extra == "--" ]] && extra=""
    /usr/bin/python3 "$root/bench/scripts/sampling_vs_captum.py" --model "$model" --method "$method" \
      --samples "$samples" --rows "$crow" --repeats 1 --batch "$ppe" 2>/dev/null | grep captum
    "$root/bench/scripts/sampling_java.sh" "$model" "$method" "$samples" "$rows" 1 $extra 2>/dev/null | tail -1
    "$root/bench/scripts/sampling_java.sh" "$model" "$method" "$samples" "$rows" 1 $extra --threads 1 \
      2>/dev/null | tail -1 | sed 's/$/ [--threads 1]/'
    echo "#   load: $(cut -d' ' -f1-3 /proc/loadavg)"
  done
done
