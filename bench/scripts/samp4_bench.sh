#!/usr/bin/env bash
# Issue 12 part 3, fourth round: explain4j against Captum 0.8.0 on the three tabular sampling cases
# that were under 10x on the quiet machine (docs/BENCHMARKS.md "Sampling methods, fourth round"):
# Shapley value sampling (25 permutations, 10,000 rows) and feature ablation (100,000 rows) on
# tabular50, feature ablation (100,000 rows, the golden mask of 4 groups) on the golden tabular MLP.
#
#   PYTHONPATH=/tmp/captum bench/scripts/samp4_bench.sh [ROUNDS] [JAR]
#
# Each case alternates: Captum (perturbations_per_eval 64, torch.set_num_threads(2), one call: its
# process CPU and wall time), then explain4j in one JVM (bench/scripts/SamplingHarness.java, the
# methods' defaults: incremental on, which takes the dense first layer where it pays; automatic
# batch) with ONE ONNX Runtime thread (process CPU, best of the steady repetitions), then explain4j
# with TWO ONNX Runtime threads (wall, best of the steady repetitions). The headline figure is the
# CPU ratio (one thread against Captum's two threads' CPU); the wall ratio on the machine's 2 cores
# is printed beside it, labelled. JAR defaults to cli/target/explain4j.jar, built first (not timed)
# when missing or older than the sources, so the figures are those of this tree; a JAR given is used
# as it is (another build's figures).
# Logs: $TMPDIR/explain4j-samp4-bench/. About 1.5 minutes a round on an idle 2-core machine.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$root/bench/scripts/lib.sh"
rounds=${1:-1}
jar=${2:-$root/cli/target/explain4j.jar}
work="${TMPDIR:-/tmp}/explain4j-samp4-bench"
mkdir -p "$work"
if [[ -z ${2:-} ]]; then
  fresh_jar "$jar" core onnx viz cli
fi
tabular_cases "$work"
harness_setup "$jar" "$work"
# best of the steady runs (repetition 1 on) in a harness log: CPU or wall seconds
best_cpu() { grep "run [1-9]" "$1" | sed 's/.*CPU \([0-9.]*\) s.*/\1/' | sort -g | head -1; }
best_wall() { grep "run [1-9]" "$1" | sed 's/.*wall \([0-9.]*\) s.*/\1/' | sort -g | head -1; }

echo "# $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), jar $jar"
printf '%-24s %9s %9s | %12s %9s | %12s %9s\n' case "Captum" "Captum" "e4j 1 thr" "CPU" "e4j 2 thr" "wall"
printf '%-24s %9s %9s | %12s %9s | %12s %9s\n' "" "CPU s" "wall s" "CPU s" "ratio" "wall s" "ratio"
for ((r = 0; r < rounds; r++)); do
  while read -r name model method samples rows xfile mask classes reps; do
    captum_sampling --threads 2 --model "$model" --method "$method" --samples "$samples" --rows "$rows" \
      > "$work/$name.captum.$r"
    m=$([[ $method == feature-ablation ]] && echo fa || echo svs)
    onnx=$(tabular_model "$model")
    harness "$onnx" "$work/$xfile" "$mask" "$classes" "$m" "$samples" 1 -1 "$reps" on > "$work/$name.e4j1.$r"
    harness "$onnx" "$work/$xfile" "$mask" "$classes" "$m" "$samples" 2 -1 "$reps" on > "$work/$name.e4j2.$r"
    c=$(sed 's/.*(CPU \([0-9.]*\) s).*/\1/' "$work/$name.captum.$r")
    cw=$(sed 's/.*: best \([0-9.]*\) s of.*/\1/' "$work/$name.captum.$r")
    e1=$(best_cpu "$work/$name.e4j1.$r"); e2=$(best_wall "$work/$name.e4j2.$r")
    printf '%-24s %9s %9s | %12s %8.1fx | %12s %8.1fx\n' "$name" "$c" "$cw" "$e1" "$(echo "$c / $e1" | bc -l)" \
      "$e2" "$(echo "$cw / $e2" | bc -l)"
  done <<CASES
tabular50-shapley-25-10k tabular50 shapley-value-sampling 25 10000 t50_10k.npy - 3 4
tabular50-ablation-100k tabular50 feature-ablation 0 100000 t50_100k.npy - 3 4
golden-ablation-100k golden feature-ablation 0 100000 g_100k.npy $root/../shared/golden/tabular_mask.npy -4 10
CASES
  echo "#   load after round $((r + 1)): $(cut -d' ' -f1-3 /proc/loadavg)"
done
