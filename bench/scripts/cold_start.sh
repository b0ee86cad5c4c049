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
#   CAPTUM=1         also run bench/scripts/captum_ig_resnet18.py (PYTHONPATH=/tmp/captum) in each round;
#                    CAPTUM=first: in the first round only
#   WARM=0           skip the warm `bench` run
#   WORK             scratch folder (default: a new temporary folder)
#   JARS             "label=path label=path ...": other builds of serve/target/explain4j-serve.jar
#                    to run alternately in each round (e.g. main=/tmp/main.jar cold2=serve/target/...);
#                    default: this tree's jar. The warm run uses the first. A label may be given
#                    environment variables for its runs: ENV_<label>="VAR=value ..."
#   WARM_LABELS      "label label ...": the warm run of round r uses the r-th of these (cycling),
#                    so that each build's own IG call is the reference in turn (default: the first jar)
#   LAUNCHER_<label> another launcher script for that label's runs (default: this tree's ./explain4j)
#   CLASSLIST_<label> another class list beside that label's launcher (default: this tree's cds/explain4j.classlist)
#   TIMELINE=1       print each second run's phase marks (builds with org.explain4j.core.Timeline only:
#                    EXPLAIN4J_TIMELINE=on; the lines go to WORK/<label>-second<r>.timeline)
# Each jar and the launcher are copied into WORK first, so that editing the sources meanwhile
# does not make the launcher rebuild between runs. Build the jar first: ./explain4j --version
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rounds="${1:-3}"
model="${MODEL:-/tmp/cold/resnet18.onnx}"
input="${INPUT:-/tmp/cold/x4.npy}"
work="${WORK:-$(mktemp -d)}"
jars="${JARS:-this=$root/serve/target/explain4j-serve.jar}"
[[ -f "$model" && -f "$input" ]] || { echo "cold_start.sh: MODEL=$model or INPUT=$input missing" >&2; exit 1; }
labels=()
for lj in $jars; do
  label="${lj%%=*}"; jar="${lj#*=}"
  [[ -f "$jar" ]] || { echo "cold_start.sh: no $jar; build it first (./explain4j --version)" >&2; exit 1; }
  mkdir -p "$work/$label/serve/target"
  cp "$root/explain4j" "$work/$label/explain4j"
  # the launcher's class list (cold4 on); LAUNCHER_<label>=path runs that label with another launcher
  # (e.g. main's, which dumps its archive at the first run's exit)
  l="LAUNCHER_$label"
  if [[ -n "${!l:-}" ]]; then cp "${!l}" "$work/$label/explain4j"; fi
  # CLASSLIST_<label>=path gives that label another class list (e.g. the base commit's own)
  c="CLASSLIST_$label"
  cl="${!c:-$root/cds/explain4j.classlist}"
  if [[ -f "$cl" ]]; then mkdir -p "$work/$label/cds"; cp "$cl" "$work/$label/cds/explain4j.classlist"; fi
  cp "$jar" "$work/$label/serve/target/explain4j-serve.jar"
  labels+=("$label")
done
args=(attribute --model "$model" --input "$input" --method integrated-gradients --steps 50 --batch-size 25 --quiet)
fmt='%e s wall, %U+%S s cpu, %M KB'
load() { cut -d' ' -f1 /proc/loadavg; }
echo "commit $(git -C "$root" rev-parse --short HEAD), $(date -u +%FT%TZ), $(nproc) cpus, work $work"
for ((r = 1; r <= rounds; r++)); do
  echo "round $r $(date -u +%T)"
  for label in "${labels[@]}"; do
    export EXPLAIN4J_CACHE_DIR="$work/cache-$label-$r"
    rm -rf "$EXPLAIN4J_CACHE_DIR"
    echo -n "  $label first  (load $(load)): "
    extra="ENV_$label"
    # shellcheck disable=SC2086
    env ${!extra:-} /usr/bin/time -f "$fmt" "$work/$label/explain4j" "${args[@]}" --output "$work/$label-first$r.npy" 2>&1 | tail -n 1
    echo -n "  $label second (load $(load)): "
    # shellcheck disable=SC2086
    if [[ "${TIMELINE:-0}" == 1 ]]; then
      env ${!extra:-} EXPLAIN4J_TIMELINE=on /usr/bin/time -f "$fmt" "$work/$label/explain4j" "${args[@]}" \
          --output "$work/$label-second$r.npy" > "$work/$label-second$r.timeline" 2>&1 || true
      tail -n 1 "$work/$label-second$r.timeline"
    else
      env ${!extra:-} /usr/bin/time -f "$fmt" "$work/$label/explain4j" "${args[@]}" --output "$work/$label-second$r.npy" 2>&1 | tail -n 1
    fi
    if cmp -s "$work/$label-first$r.npy" "$work/$label-second$r.npy" && cmp -s "$work/$label-first$r.npy" "$work/${labels[0]}-first1.npy"; then
      echo "  $label: first and second bit-identical (and to ${labels[0]}'s first output of round 1)"
    else
      echo "  $label: outputs DIFFER"
    fi
  done
  if [[ "${WARM:-1}" != 0 ]]; then
    warm_labels=(${WARM_LABELS:-${labels[0]}})
    wl="${warm_labels[$(( (r - 1) % ${#warm_labels[@]} ))]}"
    echo -n "  warm $wl (load $(load)): "
    EXPLAIN4J_CACHE=off /usr/bin/time -f "$fmt" java -jar "$work/$wl/serve/target/explain4j-serve.jar" bench --model "$model" --steps 50 \
        --batch-size 25 --repeats 2 --only ig 2>&1 | grep -E "integrated|wall" | tail -n 3 | tr '\n' ' '
    echo
  fi
  if [[ "${CAPTUM:-0}" == 1 || ( "${CAPTUM:-0}" == first && $r == 1 ) ]]; then
    echo -n "  captum (load $(load)): "
    PYTHONPATH=/tmp/captum /usr/bin/python3 "$root/bench/scripts/captum_ig_resnet18.py" --repeats 2 2>&1 | tail -n 1
  fi
done
echo "end $(date -u +%T), load $(load)"
