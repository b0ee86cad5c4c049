#!/usr/bin/env bash
# Issue 12 part 3, fifth round: explain4j against Captum 0.8.0 on the three tabular sampling cases of
# the fourth round (docs/BENCHMARKS.md "Sampling methods, fifth round"): Shapley value sampling
# (25 permutations, 10,000 rows) and feature ablation (100,000 rows) on tabular50, feature ablation
# (100,000 rows, the golden mask of 4 groups) on the golden tabular MLP.
#
#   PYTHONPATH=/tmp/captum bench/scripts/samp5_bench.sh [ROUNDS] [BASE_JAR]
#
# First builds this checkout's jar (mvn -o package -DskipTests of core, onnx, viz, cli: incremental, so
# a few seconds when nothing changed) so the figures are never those of a stale cli/target jar.
# Each case alternates: Captum (perturbations_per_eval 64, torch.set_num_threads(2), one call: process
# CPU and wall time), then explain4j in one JVM (bench/scripts/SamplingHarness.java, the methods'
# defaults: incremental on, automatic batch) with --threads 1 (process CPU and wall, best of the steady
# repetitions), then with --threads 2 (wall and CPU; on the dense path that is two worker threads each
# filling its own batches and running the rest of the model on one ONNX Runtime thread). Ratios are
# Captum's time over explain4j's: "CPU 1t" compares process CPU (explain4j on one thread), "wall 2t"
# wall time on the machine's cores (both sides with two threads). "same" says whether the one- and
# two-thread results had the same bits (the harness prints a hash of the values of every run).
# With BASE_JAR (another build's cli/target/explain4j.jar, e.g. the branch point), each case also runs
# that jar with --threads 2 right after this build's (columns "base 2t": wall and CPU), so the two builds'
# two-thread figures come from the same minutes.
# Logs: $TMPDIR/explain4j-samp5-bench/. About 1 minute a round plus the build on an idle 2-core machine.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rounds=${1:-1}
base=${2:-}
jar=$root/cli/target/explain4j.jar
work="${TMPDIR:-/tmp}/explain4j-samp5-bench"
mkdir -p "$work/classes"
(cd "$root" && mvn -B -o -q -pl core,onnx,viz,cli -am package -DskipTests)
[[ -f $root/bench/tabular50/tabular50_mlp.onnx ]] || /usr/bin/python3 "$root/bench/scripts/make_tabular50.py" \
  "$root/bench/tabular50" >/dev/null
/usr/bin/python3 - "$root" "$work" <<'PY'
import sys, numpy as np
root, work = sys.argv[1], sys.argv[2]
x = np.load(root + "/bench/tabular50/tabular50_x.npy")
np.save(work + "/t50_10k.npy", np.concatenate([x] * 40)[:10000])
np.save(work + "/t50_100k.npy", np.concatenate([x] * 391)[:100000])
g = np.load(root + "/../shared/golden/tabular_x.npy")
np.save(work + "/g_100k.npy", np.concatenate([g] * 25000))
PY
javac -cp "$jar" -d "$work/classes" "$root/bench/scripts/SamplingHarness.java"
harness() { java -cp "$jar:$work/classes" SamplingHarness "$@" 2>/dev/null | grep -v WARN; }
if [[ -n $base ]]; then
  mkdir -p "$work/base-classes"
  javac -cp "$base" -d "$work/base-classes" "$root/bench/scripts/SamplingHarness.java"
fi
base_harness() { java -cp "$base:$work/base-classes" SamplingHarness "$@" 2>/dev/null | grep -v WARN; }
captum() {
  /usr/bin/python3 "$root/bench/scripts/sampling_vs_captum.py" --repeats 1 --batch 64 --threads 2 "$@" 2>/dev/null \
    | grep captum
}
# best of the steady runs (repetition 1 on) in a harness log: CPU or wall seconds; the values' hashes
best_cpu() { grep "run [1-9]" "$1" | sed 's/.*CPU \([0-9.]*\) s.*/\1/' | sort -g | head -1; }
best_wall() { grep "run [1-9]" "$1" | sed 's/.*wall \([0-9.]*\) s.*/\1/' | sort -g | head -1; }
hashes() { grep -o 'hash [0-9a-f]*' "$1" | sort -u | tr '\n' ' '; }
ratio() { echo "$1 / $2" | bc -l; }

echo "# $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), jar $jar ($(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD -- core onnx || echo '+changes'))"
printf '%-24s %7s %7s | %7s %7s %7s | %7s %7s %7s %7s | %4s | %s\n' case Captum Captum "1t" "1t" "CPU 1t" "2t" "2t" "CPU 2t" "wall 2t" same "${base:+base 2t}"
printf '%-24s %7s %7s | %7s %7s %7s | %7s %7s %7s %7s |      | %s\n' "" "CPU s" "wall s" "CPU s" "wall s" ratio "CPU s" "wall s" ratio ratio "${base:+wall s / CPU s}"
for ((r = 0; r < rounds; r++)); do
  while read -r name model method samples rows xfile mask classes reps; do
    captum --model "$model" --method "$method" --samples "$samples" --rows "$rows" > "$work/$name.captum.$r"
    m=$([[ $method == feature-ablation ]] && echo fa || echo svs)
    onnx=$([[ $model == golden ]] && echo "$root/../shared/golden/tabular_mlp.onnx" || echo "$root/bench/tabular50/tabular50_mlp.onnx")
    harness "$onnx" "$work/$xfile" "$mask" "$classes" "$m" "$samples" 1 -1 "$reps" on > "$work/$name.e4j1.$r"
    harness "$onnx" "$work/$xfile" "$mask" "$classes" "$m" "$samples" 2 -1 "$reps" on > "$work/$name.e4j2.$r"
    b=""
    if [[ -n $base ]]; then
      base_harness "$onnx" "$work/$xfile" "$mask" "$classes" "$m" "$samples" 2 -1 "$reps" on > "$work/$name.base2.$r"
      b="$(best_wall "$work/$name.base2.$r") / $(best_cpu "$work/$name.base2.$r")"
    fi
    c=$(sed 's/.*(CPU \([0-9.]*\) s).*/\1/' "$work/$name.captum.$r")
    cw=$(sed 's/.*: best \([0-9.]*\) s of.*/\1/' "$work/$name.captum.$r")
    c1=$(best_cpu "$work/$name.e4j1.$r"); w1=$(best_wall "$work/$name.e4j1.$r")
    c2=$(best_cpu "$work/$name.e4j2.$r"); w2=$(best_wall "$work/$name.e4j2.$r")
    same=$([[ "$(hashes "$work/$name.e4j1.$r")" == "$(hashes "$work/$name.e4j2.$r")" \
      && $(hashes "$work/$name.e4j1.$r" | wc -w) == 2 ]] && echo yes || echo NO)
    printf '%-24s %7s %7s | %7s %7s %6.1fx | %7s %7s %6.1fx %6.1fx | %4s | %s\n' "$name" "$c" "$cw" "$c1" "$w1" \
      "$(ratio "$c" "$c1")" "$c2" "$w2" "$(ratio "$c" "$c2")" "$(ratio "$cw" "$w2")" "$same" "$b"
  done <<CASES
tabular50-shapley-25-10k tabular50 shapley-value-sampling 25 10000 t50_10k.npy - 3 4
tabular50-ablation-100k tabular50 feature-ablation 0 100000 t50_100k.npy - 3 4
golden-ablation-100k golden feature-ablation 0 100000 g_100k.npy $root/../shared/golden/tabular_mask.npy -4 10
CASES
  echo "#   load after round $((r + 1)): $(cut -d' ' -f1-3 /proc/loadavg)"
done
