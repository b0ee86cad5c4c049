#!/usr/bin/env bash
# Setup of ViT-B/16 saliency on one 224x224 image (issue 13): whole `attribute` processes with the
# cache of derived graphs off, empty (first run: derives and fills it) and filled (second run), then
# `bench`'s load / first forward call / first saliency call, for each jar given, the jars alternated
# run by run. Prints wall and process CPU time (user + sys, which load on a shared machine affects
# less) and peak RSS per run, and checks that every saliency map is bit-identical to the first.
#
#   bench/scripts/vit_setup.sh DIR JAR [JAR...]
#   DIR: holds vit_b_16.onnx (/usr/bin/python3 bench/scripts/make_transformers.py DIR); img.npy is made there
#   JAR: launcher jars (serve/target/explain4j-serve.jar of each build to compare)
#   ROUNDS (default 2): rounds; BENCH=0 skips the `bench` runs; BATCH=n passes --batch-size n to
#   `attribute` (default: auto, whose one-row memory estimate runs the shape probe in every process)
set -euo pipefail
dir=$1
shift
rounds=${ROUNDS:-2}
model="$dir/vit_b_16.onnx"
[[ -f "$model" ]] || { echo "no $model: run /usr/bin/python3 bench/scripts/make_transformers.py $dir" >&2; exit 1; }
[[ -f "$dir/img.npy" ]] || /usr/bin/python3 -c "import numpy as np; np.random.seed(0); \
np.save('$dir/img.npy', np.random.randn(1,3,224,224).astype('f4'))"
echo "# $(date -u '+%Y-%m-%d %H:%M:%S') UTC, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
ref=""
for r in $(seq "$rounds"); do
  for jar in "$@"; do
    name=$(basename "$jar" .jar)
    cache="$dir/cache-$name-$r"
    rm -rf "$cache"
    for run in off first second; do
      out="$dir/sal-$name-$r-$run.npy"
      rm -f "$out"
      load=$(cut -d' ' -f1 /proc/loadavg)
      if [[ $run == off ]]; then c=off; else c=on; fi
      EXPLAIN4J_CACHE=$c EXPLAIN4J_CACHE_DIR="$cache" /usr/bin/time -f "%e %U %S %M" -o "$dir/time.txt" \
        java -jar "$jar" attribute --model "$model" --input "$dir/img.npy" --method saliency --output "$out" --quiet \
        ${BATCH:+--batch-size "$BATCH"} \
        > /dev/null
      read -r wall user sys rss < "$dir/time.txt"
      printf "%s %-10s round %d attribute cache %-6s load %5s: wall %6.2f s, CPU %6.2f s, peak RSS %.2f GB\n" \
        "$(date -u +%H:%M:%S)" "$name" "$r" "$run" "$load" "$wall" "$(echo "$user + $sys" | bc)" \
        "$(echo "$rss / 1048576" | bc -l)"
      if [[ -z "$ref" ]]; then ref="$out"; else cmp "$ref" "$out"; fi
    done
    if [[ "${BENCH:-1}" != 0 ]]; then
      # the cache filled by the runs above: the first saliency call takes the graph from it
      EXPLAIN4J_CACHE_DIR="$cache" java -jar "$jar" bench --model "$model" --method saliency --examples 1 \
        --batch-size 1 --repeats 5 | while IFS= read -r line; do
          echo "$(date -u +%H:%M:%S) $name round $r bench: $line"
        done
    fi
    rm -rf "$cache"
  done
done
echo "# saliency maps bit-identical to $ref"
