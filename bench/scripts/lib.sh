# Shared pieces of the comparison scripts (sourced, not run): cold3_compare.sh, cold4_compare.sh,
# dense_bench.sh, samp4_bench.sh. Each function does what the scripts did inline before; none of
# them is timed.
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"     sets $root (the repository) if unset

root="${root:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"

# fresh_jar JAR MODULE...: builds JAR (`mvn package` of the modules, with what they depend on) when
# it is missing or older than any source or pom of those modules or the root pom, so a script
# measures the code of this tree, not a jar left by an earlier build. Prints nothing on stdout.
fresh_jar() {
  local jar=$1
  shift
  local watched=("$root/pom.xml") m
  for m in "$@"; do
    watched+=("$root/$m/src/main" "$root/$m/pom.xml")
  done
  if [[ ! -f $jar ]] || [[ -n "$(find "${watched[@]}" -newer "$jar" -type f 2>/dev/null | head -n 1)" ]]; then
    echo "$(basename "$0"): building $(basename "$jar") from this tree (not timed)..." >&2
    (cd "$root" && mvn -B -o -q -pl "$(IFS=,; echo "$*")" -am package -DskipTests >&2)
  fi
}

# base_serve_jar COMMIT JAR: the serve jar of COMMIT, built once into JAR (kept for later runs) in a
# temporary git worktree of this repository (1-2 minutes, not part of any measurement).
base_serve_jar() {
  local base=$1 base_jar=$2 wt
  [[ -f $base_jar ]] && return 0
  echo "$(basename "$0"): building $base's jar into $base_jar (not timed)..." >&2
  wt="$(mktemp -d)/base"
  git -C "$root" worktree add --detach "$wt" "$base" >/dev/null
  (cd "$wt" && ln -s "$root/../shared" ../shared 2>/dev/null || true; mvn -B -o -q -DskipTests package -pl serve -am >&2)
  mkdir -p "$(dirname "$base_jar")"
  cp "$wt/serve/target/explain4j-serve.jar" "$base_jar"
  git -C "$root" worktree remove --force "$wt"
}

# tabular_cases WORK: the sampling cases' inputs in WORK (t50_10k.npy, t50_100k.npy: tabular50's rows
# repeated; g_100k.npy: the golden tabular rows repeated), generating bench/tabular50 first if missing.
tabular_cases() {
  local work=$1
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
}

# harness_setup JAR WORK: compiles bench/scripts/SamplingHarness.java against JAR into WORK/classes and
# sets what `harness` runs with.
harness_setup() {
  harness_jar=$1
  harness_classes=$2/classes
  mkdir -p "$harness_classes"
  javac -cp "$harness_jar" -d "$harness_classes" "$root/bench/scripts/SamplingHarness.java"
}

# harness ARG...: one SamplingHarness JVM (arguments as SamplingHarness reads them), its report lines.
harness() { java -cp "$harness_jar:$harness_classes" SamplingHarness "$@" 2>/dev/null | grep -v WARN; }

# captum_sampling ARG...: Captum's side of a sampling case (sampling_vs_captum.py, one repetition,
# perturbations_per_eval 64), its summary line.
captum_sampling() {
  /usr/bin/python3 "$root/bench/scripts/sampling_vs_captum.py" --repeats 1 --batch 64 "$@" 2>/dev/null | grep captum
}

# tabular_model NAME: the model file of a sampling case's model column (golden or tabular50).
tabular_model() {
  if [[ $1 == golden ]]; then
    echo "$root/../shared/golden/tabular_mlp.onnx"
  else
    echo "$root/bench/tabular50/tabular50_mlp.onnx"
  fi
}
