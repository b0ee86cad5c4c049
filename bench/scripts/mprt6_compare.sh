#!/usr/bin/env bash
# MPRT on ResNet-18 (4 images, saliency, 21 layers cascading top-down) against Quantus 0.6.0, the
# sixth round's one-command comparison: like for like (metric call against metric call) and whole
# process. See docs/BENCHMARKS.md and docs/NOTES.md, "MPRT, sixth round (issue 9, branch mprt6)".
#
#   bench/scripts/mprt6_compare.sh BASE_JAR NEW_JAR [ROUNDS=2] [DIR=/tmp/m4/mprt]
#
# Each round, alternately: BASE's MPRT, NEW's MPRT (each one `java -jar ... evaluate` under
# /usr/bin/time with EXPLAIN4J_TIMELINE=on), then Quantus's MPRT metric call
# (bench/scripts/metrics_vs_quantus.py run DIR mprt, QUANTUS_SRC default /tmp/quantus).
#
# Per explain4j run it prints the whole process (wall, process CPU) and the metric call's wall: the
# timeline's "metric call: start" to "metric call: end" (a jar without those marks: "evaluate: model
# loaded" to "evaluate: metric done", the same points). The window holds everything the metric does,
# lazily made parts included: the backward graph's derivation, the switched graph, both session
# compiles, the original's explanation, the draws, every copy's explanation, the ranks and
# correlations. Outside it: JVM start, command line, ONNX Runtime's native libraries and environment,
# reading the model file, its hash and its signature, reading x.npy and a.npy (before), writing the
# JSON and the JVM's exit (after); Quantus's timing likewise leaves out Python's start, importing
# torch and Quantus, building the model and reading the arrays, and keeps its scores in memory.
# The run fails when a mark of the metric's own work (backward, switch, series, hoist, prepare, mprt,
# a model run) comes before "metric call: start": the window would then miss part of it.
#
# Conservative by default: every explain4j run starts with an empty cache of derived graphs
# (EXPLAIN4J_CACHE_DIR=WORK/cache, its derived/ emptied before each run; the native libraries and
# the class-data archives there are kept, made by one untimed warm-up run per jar), so the backward
# graph is derived inside the metric call. DERIVED=keep keeps the derived graphs between runs (a
# user's second run). Scores: every run of a jar must equal its first byte for byte (cmp), and NEW's
# must equal BASE's (cmp; else the largest difference is printed). QUANTUS=off: explain4j only.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
base="$1"; new="$2"; rounds="${3:-2}"; dir="${4:-/tmp/m4/mprt}"
work="${WORK:-/tmp/mprt6_compare}"
py=/usr/bin/python3
mkdir -p "$work/cache"
[[ -f "$dir/resnet18.onnx" && -f "$dir/x.npy" && -f "$dir/a.npy" && -f "$dir/targets.txt" ]] \
  || { echo "$dir lacks resnet18.onnx, x.npy, a.npy or targets.txt (bench/scripts/mprt_pair.sh DIR makes them)" >&2; exit 2; }
target="$(cat "$dir/targets.txt")"
args=(evaluate --model "$dir/resnet18.onnx" --input "$dir/x.npy" --attribution "$dir/a.npy" --target "$target"
      --threads 2 --quiet --metric mprt --method saliency --layer-order top_down --format json)
export EXPLAIN4J_CACHE_DIR="$work/cache"
ld() { cut -d' ' -f1 /proc/loadavg; }

run() { # label jar round: runs one MPRT process; prints "label wall cpu call"; sets last_wall, last_call
  local label="$1" jar="$2" r="$3"
  [[ "${DERIVED:-empty}" == keep ]] || rm -rf "$work/cache/derived"
  EXPLAIN4J_TIMELINE=on /usr/bin/time -f "%e %U %S" -o "$work/time.txt" \
    java -jar "$jar" "${args[@]}" --output "$work/$label.$r.json" >/dev/null 2>"$work/$label.$r.timeline"
  read -r wall user sys < "$work/time.txt"
  last_call=$($py - "$work/$label.$r.timeline" <<'PY'
import re, sys
marks = []
for line in open(sys.argv[1]):
    m = re.match(r"timeline:\s+([\d.]+) ms\s+cpu\s+[\d.]+ ms\s+minflt\s+-?\d+\s+(\S+)\s+(.*)$", line.rstrip("\n"))
    if m:
        marks.append((float(m.group(1)), m.group(2), m.group(3)))
def at(*labels):
    for l in labels:
        hits = [t for t, _, x in marks if x == l]
        if hits:
            return hits[0]
    sys.exit("no mark %s in %s" % (" / ".join(labels), sys.argv[1]))
start = at("metric call: start", "evaluate: model loaded")
end = at("metric call: end", "evaluate: metric done")
work = re.compile(r"backward|switch|series|hoist|prepare|mprt|run: start|batch consumed")
early = [x for t, _, x in marks if t < start and work.search(x)]
if early:
    sys.exit("metric work before the window in %s: %s" % (sys.argv[1], early))
print("%.2f" % ((end - start) / 1000))
PY
)
  last_wall="$wall"
  printf '%s\t%s\t%s\t%.2f\t%s\t%s\t%s\n' "$r" "$label" "$wall" "$(echo "$user + $sys" | bc)" "$last_call" "$(ld)" "$(date -u +%H:%M:%S)"
}

echo "# $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg); base $base, new $new; derived graphs: ${DERIVED:-empty} per run"
for jar in "$base" "$new"; do   # untimed: native libraries and class-data archive into WORK/cache
  rm -rf "$work/cache/derived"
  java -jar "$jar" "${args[@]}" --output "$work/warmup.json" >/dev/null 2>&1
done
printf 'round\trun\twhole_wall_s\twhole_cpu_s\tmetric_call_wall_s\tload\tutc\n'
for r in $(seq 1 "$rounds"); do
  run base "$base" "$r"; bw="$last_wall"; bc_="$last_call"
  run new "$new" "$r"; nw="$last_wall"; nc="$last_call"
  if [[ "${QUANTUS:-on}" != off ]]; then
  q=$(QUANTUS_SRC="${QUANTUS_SRC:-/tmp/quantus}" $py "$root/bench/scripts/metrics_vs_quantus.py" run "$dir" mprt | tail -n 1)
  s=$($py -c 'import json,sys; print("%.2f" % json.loads(sys.argv[1])["seconds"])' "$q")
  printf '%s\tquantus\t-\t-\t%s\t%s\t%s\n' "$r" "$s" "$(ld)" "$(date -u +%H:%M:%S)"
  printf '%s\tratio to Quantus: metric call base %.2f new %.2f; whole process base %.2f new %.2f\n' "$r" \
    "$(echo "$bc_ / $s" | bc -l)" "$(echo "$nc / $s" | bc -l)" "$(echo "$bw / $s" | bc -l)" "$(echo "$nw / $s" | bc -l)"
  fi
  for side in base new; do
    cmp -s "$work/$side.1.json" "$work/$side.$r.json" || echo "$r	$side: scores differ from round 1 (not deterministic)"
  done
  if cmp -s "$work/base.$r.json" "$work/new.$r.json"; then
    echo "$r	new vs base: byte-identical"
  else
    echo "$r	new vs base: NOT byte-identical, largest score difference $($py - "$work/base.$r.json" "$work/new.$r.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))["scores"]["values"]; b = json.load(open(sys.argv[2]))["scores"]["values"]
print("%.3g" % max(abs(x - y) for x, y in zip(a, b)) if len(a) == len(b) else "shape differs")
PY
)"
  fi
done
