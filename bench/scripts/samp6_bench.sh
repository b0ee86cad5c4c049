#!/usr/bin/env bash
# Issue 12 part 3, sixth round: explain4j (this checkout) against another build (BASE_JAR, e.g. main before
# this branch) and Captum 0.8.0 on the three tabular sampling cases (docs/BENCHMARKS.md "Sampling methods,
# sixth round"): Shapley value sampling (25 permutations, 10,000 rows) and feature ablation (100,000 rows)
# on tabular50, feature ablation (100,000 rows, the golden mask of 4 groups) on the golden tabular MLP.
#
#   PYTHONPATH=/tmp/captum bench/scripts/samp6_bench.sh [ROUNDS] [BASE_JAR]
#
# Without BASE_JAR the script builds the commit where this branch left main (git merge-base HEAD main) once
# into $TMPDIR/explain4j-samp6-bench/base-<commit> (about a minute) and uses its jar. This checkout's jar is
# rebuilt first (incremental package of core, onnx, viz, cli) so its figures are never a stale jar's.
# Each case alternates in the same minute: Captum (perturbations_per_eval 64, torch.set_num_threads(2), one
# call: process CPU and wall), this build with --threads 1, the base with --threads 1, this build with
# --threads 2, the base with --threads 2 (each one JVM, bench/scripts/SamplingHarness.java, the methods'
# defaults, best of the steady repetitions). Ratios are Captum's over explain4j's: "CPU 1t" process CPU
# (explain4j on one thread), "wall 2t" wall (both sides with two threads); "new/base" the base's best CPU
# (1t) or wall (2t) over this build's. "same": all four explain4j runs' values had one hash.
# Logs: $TMPDIR/explain4j-samp6-bench/. About 100 s a round plus the builds on an idle 2-core machine.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rounds=${1:-1}
base=${2:-}
jar=$root/cli/target/explain4j.jar
work="${TMPDIR:-/tmp}/explain4j-samp6-bench"
mkdir -p "$work/classes" "$work/base-classes"
(cd "$root" && mvn -B -o -q -pl core,onnx,viz,cli -am package -DskipTests)
if [[ -z $base ]]; then
  mb=$(git -C "$root" merge-base HEAD main)
  bdir=$work/base-${mb:0:10}
  if [[ ! -f $bdir/cli/target/explain4j.jar ]]; then
    rm -rf "$bdir" && mkdir -p "$bdir"
    git -C "$root" archive "$mb" | tar -x -C "$bdir"
    (cd "$bdir" && mvn -B -o -q -pl core,onnx,viz,cli -am package -DskipTests)
  fi
  base=$bdir/cli/target/explain4j.jar
fi
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
javac -cp "$base" -d "$work/base-classes" "$root/bench/scripts/SamplingHarness.java"
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

echo "# $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), jar $jar ($(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD -- core onnx || echo '+changes')), base $base"
printf '%-24s %7s %7s | %6s %6s %7s %6s %8s | %6s %6s %7s %6s %8s | %4s\n' case Captum Captum 1t 1t "CPU 1t" base1t "new/base" 2t 2t "wall 2t" base2t "new/base" same
printf '%-24s %7s %7s | %6s %6s %7s %6s %8s | %6s %6s %7s %6s %8s |\n' "" "CPU s" "wall s" "CPU s" "wall s" ratio "CPU s" CPU "CPU s" "wall s" ratio "wall s" wall
for ((r = 0; r < rounds; r++)); do
  while read -r name model method samples rows xfile mask classes reps; do
    captum --model "$model" --method "$method" --samples "$samples" --rows "$rows" > "$work/$name.captum.$r"
    m=$([[ $method == feature-ablation ]] && echo fa || echo svs)
    onnx=$([[ $model == golden ]] && echo "$root/../shared/golden/tabular_mlp.onnx" || echo "$root/bench/tabular50/tabular50_mlp.onnx")
    args=("$onnx" "$work/$xfile" "$mask" "$classes" "$m" "$samples")
    harness "${args[@]}" 1 -1 "$reps" on > "$work/$name.new1.$r"
    base_harness "${args[@]}" 1 -1 "$reps" on > "$work/$name.base1.$r"
    harness "${args[@]}" 2 -1 "$reps" on > "$work/$name.new2.$r"
    base_harness "${args[@]}" 2 -1 "$reps" on > "$work/$name.base2.$r"
    c=$(sed 's/.*(CPU \([0-9.]*\) s).*/\1/' "$work/$name.captum.$r")
    cw=$(sed 's/.*: best \([0-9.]*\) s of.*/\1/' "$work/$name.captum.$r")
    c1=$(best_cpu "$work/$name.new1.$r"); w1=$(best_wall "$work/$name.new1.$r"); b1=$(best_cpu "$work/$name.base1.$r")
    c2=$(best_cpu "$work/$name.new2.$r"); w2=$(best_wall "$work/$name.new2.$r"); b2=$(best_wall "$work/$name.base2.$r")
    all=$(cat "$work/$name".{new1,base1,new2,base2}.$r > "$work/$name.all.$r"; hashes "$work/$name.all.$r")
    same=$([[ $(echo "$all" | wc -w) == 2 ]] && echo yes || echo "NO ($all)")
    printf '%-24s %7s %7s | %6s %6s %6.1fx %6s %7.2fx | %6s %6s %6.1fx %6s %7.2fx | %s\n' "$name" "$c" "$cw" "$c1" "$w1" \
      "$(ratio "$c" "$c1")" "$b1" "$(ratio "$b1" "$c1")" "$c2" "$w2" "$(ratio "$cw" "$w2")" "$b2" "$(ratio "$b2" "$w2")" "$same"
  done <<CASES
tabular50-shapley-25-10k tabular50 shapley-value-sampling 25 10000 t50_10k.npy - 3 4
tabular50-ablation-100k tabular50 feature-ablation 0 100000 t50_100k.npy - 3 4
golden-ablation-100k golden feature-ablation 0 100000 g_100k.npy $root/../shared/golden/tabular_mask.npy -4 10
CASES
  echo "#   load after round $((r + 1)): $(cut -d' ' -f1-3 /proc/loadavg)"
done
