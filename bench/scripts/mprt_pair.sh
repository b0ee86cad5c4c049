#!/usr/bin/env bash
# MPRT on ResNet-18 (4 images, 21 layers top-down, 22 saliency explanations): two explain4j jars
# (e.g. a branch point and a branch) and Quantus 0.6.0's MPRT, alternately, ROUNDS rounds.
# See docs/BENCHMARKS.md, "MPRT, third round (issue 9, branch mprt3)".
#
#   bench/scripts/mprt_pair.sh DIR BEFORE_JAR AFTER_JAR [ROUNDS=2]
#
# DIR holds (or receives, from bench/scripts/metrics_vs_quantus.py prepare) resnet18.onnx, x.npy,
# a.npy and targets.txt; the scores go to DIR/pair.{before,after}.R.json. Each round runs: the
# AFTER jar's fixed cost (--metric sparseness: JVM, model load, arrays), BEFORE's MPRT, AFTER's
# MPRT (both `java -jar` under /usr/bin/time: wall and process CPU), then Quantus's metric call
# (QUANTUS_SRC, default /tmp/quantus; skipped with QUANTUS=off). Scores: every run of a jar must
# equal its first run byte for byte (cmp), and AFTER's are compared with BEFORE's (largest
# difference; 0 means byte-identical). Extra JVM flags for AFTER: AFTER_OPTS (e.g.
# -Dexplain4j.mprt.switched=off), for BEFORE: BEFORE_OPTS. With Quantus, each round ends with the
# whole-process wall time of BEFORE and AFTER divided by Quantus's metric call.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dir="$1"; before="$2"; after="$3"; rounds="${4:-2}"
py=/usr/bin/python3
mkdir -p "$dir"
[[ -f "$dir/resnet18.onnx" && -f "$dir/x.npy" && -f "$dir/a.npy" ]] || {
  $py "$root/bench/scripts/metrics_vs_quantus.py" prepare "$dir"
  [[ -f "$dir/a.npy" ]] || java -jar "$after" attribute --model "$dir/resnet18.onnx" --input "$dir/x.npy" \
      --target "$(cat "$dir/targets.txt")" --threads 2 --quiet --method saliency --output "$dir/a.npy" >/dev/null
}
target="$(cat "$dir/targets.txt")"
common=(--model "$dir/resnet18.onnx" --input "$dir/x.npy" --attribution "$dir/a.npy" --target "$target" --threads 2 --quiet)
mprt=(--metric mprt --method saliency --layer-order top_down --format json)

timed() { # label, output, command...: prints "label wall cpu"
  local label="$1" out="$2"; shift 2
  /usr/bin/time -f "%e %U %S" -o "$dir/time.txt" "$@" --output "$out" >/dev/null
  read -r wall user sys < "$dir/time.txt"
  printf '%s\t%s\t%.2f\n' "$label" "$wall" "$(echo "$user + $sys" | bc)"
}
compare() { # max |difference| of the scores of two JSON outputs
  $py - "$1" "$2" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))["scores"]["values"]; b = json.load(open(sys.argv[2]))["scores"]["values"]
print("%.3g" % max(abs(x - y) for x, y in zip(a, b)) if len(a) == len(b) else "shape differs")
PY
}
printf 'round\trun\twall_s\tcpu_s\tload\tutc\n'
for r in $(seq 1 "$rounds"); do
  ld() { cut -d' ' -f1 /proc/loadavg; }
  line=$(timed fixed "$dir/pair.sparseness.json" java -jar "$after" evaluate "${common[@]}" --metric sparseness --format json)
  printf '%s\t%s\t%s\t%s\n' "$r" "$line" "$(ld)" "$(date -u +%H:%M:%S)"
  # shellcheck disable=SC2086
  line=$(timed before "$dir/pair.before.$r.json" java ${BEFORE_OPTS:-} -jar "$before" evaluate "${common[@]}" "${mprt[@]}")
  bline="$r	$line"
  printf '%s\t%s\t%s\t%s\n' "$r" "$line" "$(ld)" "$(date -u +%H:%M:%S)"
  # shellcheck disable=SC2086
  line=$(timed after "$dir/pair.after.$r.json" java ${AFTER_OPTS:-} -jar "$after" evaluate "${common[@]}" "${mprt[@]}")
  aline="$r	$line"
  printf '%s\t%s\t%s\t%s\n' "$r" "$line" "$(ld)" "$(date -u +%H:%M:%S)"
  if [[ "${QUANTUS:-on}" != off ]]; then
    q=$(QUANTUS_SRC="${QUANTUS_SRC:-/tmp/quantus}" $py "$root/bench/scripts/metrics_vs_quantus.py" run "$dir" mprt | tail -n 1)
    s=$($py -c 'import json,sys; print("%.2f" % json.loads(sys.argv[1])["seconds"])' "$q")
    printf '%s\tquantus (metric call)\t%s\t-\t%s\t%s\n' "$r" "$s" "$(ld)" "$(date -u +%H:%M:%S)"
    bw=$(cut -f3 <<<"$bline"); aw=$(cut -f3 <<<"$aline")
    printf '%s\twhole process / Quantus: before %.2f, after %.2f\n' "$r" "$(echo "$bw / $s" | bc -l)" "$(echo "$aw / $s" | bc -l)"
  fi
  for side in before after; do
    cmp -s "$dir/pair.$side.1.json" "$dir/pair.$side.$r.json" || echo "$r	$side: scores differ from round 1 (not deterministic)"
  done
  echo "$r	after vs before: largest score difference $(compare "$dir/pair.before.$r.json" "$dir/pair.after.$r.json")"
done
