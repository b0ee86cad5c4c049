#!/usr/bin/env bash
# Steady-state explain4j against Captum 0.8.0 on the tabular sampling cases of issue 12 part 3
# (docs/BENCHMARKS.md, "Sampling methods, third round"): Shapley value sampling (25 permutations,
# 10,000 rows) and feature ablation (100,000 rows) on tabular50, feature ablation (100,000 rows) on
# the golden tabular MLP. explain4j runs in one JVM (bench/scripts/SamplingHarness.java, one ONNX
# Runtime thread, automatic batch), each repetition with the incremental dense first layer off
# then on (3 repetitions; 8 for the golden ablation, a tenth of a second each, whose JIT warm-up
# takes longer); Captum (perturbations_per_eval 64, as in the earlier rounds) runs in between, so each
# case's figures come from the same minutes. Prints process CPU seconds and the ratios.
#
#   PYTHONPATH=/tmp/captum bench/scripts/dense_bench.sh [ROUNDS]
#
# Needs Debian's python3 with torch and Captum's source on PYTHONPATH. cli/target/explain4j.jar is
# built first (`mvn -o -pl core,onnx,viz,cli -am package -DskipTests`, not timed) when missing or
# older than the sources, so the figures are those of this tree.
# Full logs: $TMPDIR/explain4j-dense-bench/. About 2 minutes a round on an idle 2-core machine.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$root/bench/scripts/lib.sh"
rounds=${1:-1}
work="${TMPDIR:-/tmp}/explain4j-dense-bench"
mkdir -p "$work"
jar="$root/cli/target/explain4j.jar"
fresh_jar "$jar" core onnx viz cli
tabular_cases "$work"
harness_setup "$jar" "$work"
# best CPU seconds of the steady runs (repetition 1 on) of one setting in a harness log
best() { grep "incremental=$2 run [1-9]" "$1" | sed 's/.*CPU \([0-9.]*\) s.*/\1/' | sort -g | head -1; }
cpu_captum() { sed 's/.*(CPU \([0-9.]*\) s).*/\1/' "$1"; }

echo "# $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-34s %10s %14s %14s %9s %9s\n' case "Captum CPU" "e4j off CPU" "e4j on CPU" "off ratio" "on ratio"
for ((r = 0; r < rounds; r++)); do
  while read -r name model method samples rows xfile mask classes reps; do
    captum_sampling --model "$model" --method "$method" --samples "$samples" --rows "$rows" > "$work/$name.captum.$r"
    m=$([[ $method == feature-ablation ]] && echo fa || echo svs)
    harness "$(tabular_model "$model")" "$work/$xfile" "$mask" "$classes" "$m" "$samples" \
      1 -1 "$reps" both > "$work/$name.e4j.$r"
    c=$(cpu_captum "$work/$name.captum.$r"); off=$(best "$work/$name.e4j.$r" false); on=$(best "$work/$name.e4j.$r" true)
    printf '%-34s %10s %14s %14s %8.1fx %8.1fx\n' "$name" "$c" "$off" "$on" \
      "$(echo "$c / $off" | bc -l)" "$(echo "$c / $on" | bc -l)"
  done <<EOF
tabular50-shapley-25-10k tabular50 shapley-value-sampling 25 10000 t50_10k.npy - 3 3
tabular50-ablation-100k tabular50 feature-ablation 0 100000 t50_100k.npy - 3 3
golden-ablation-100k golden feature-ablation 0 100000 g_100k.npy $root/../shared/golden/tabular_mask.npy -4 8
EOF
  echo "#   load after round $((r + 1)): $(cut -d' ' -f1-3 /proc/loadavg)"
done
grep -h "max |on - off|" "$work"/*.e4j.* | sort -u | sed 's/^ */# results, incremental on against off: /'
