#!/usr/bin/env bash
# Alternates Captum and explain4j on the sampling benchmark (issue 12 part 3), ROUNDS rounds of
# one run each, so the best of each side comes from the same stretch of machine load.
#   PYTHONPATH=/tmp/captum bench/scripts/sampling_bench.sh [ROUNDS]
# Captum's per-row methods (KernelShap, Lime) run 16 rows (their time is linear in rows, one
# surrogate per row), the batched ones 256; explain4j always 256 rows. explain4j runs twice per
# round: default settings, and --threads 1 --batch-size 1024.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rounds=${1:-2}
cases=(
  "golden kernel-shap 2000 16 --"
  "golden lime 1000 16 -- --surrogate lasso"
  "golden shapley-value-sampling 200 256 -- --exact never"
  "golden feature-ablation 0 256 --"
  "tabular50 kernel-shap 2048 16 --"
  "tabular50 lime 2048 16 -- --surrogate lasso"
  "tabular50 shapley-value-sampling 25 256 --"
  "tabular50 feature-ablation 0 256 --"
)
for ((r = 0; r < rounds; r++)); do
  for c in "${cases[@]}"; do
    read -r model method samples crow _ <<<"${c%% --*}"
    extra=${c#*-- }; [[ $extra == "$c" || $extra == "--" ]] && extra=""
    /usr/bin/python3 "$root/bench/scripts/sampling_vs_captum.py" --model "$model" --method "$method" \
      --samples "$samples" --rows "$crow" --repeats 1 2>/dev/null | grep captum
    "$root/bench/scripts/sampling_java.sh" "$model" "$method" "$samples" 256 1 $extra 2>/dev/null | tail -1
    "$root/bench/scripts/sampling_java.sh" "$model" "$method" "$samples" 256 1 $extra --threads 1 --batch-size 1024 \
      2>/dev/null | tail -1 | sed 's/$/ [--threads 1 --batch-size 1024]/'
  done
done
