#!/usr/bin/env bash
# Writes cds/explain4j.classlist, the class list from which the launcher makes its class-data-sharing
# archive in the background on the first run of a build (README, "Cache"): the classes one
# `attribute --method integrated-gradients` run loads (the JVM's -XX:DumpLoadedClassList). Run it again
# when the command's classes change much; a stale list only leaves the missing classes to load from
# the jar (and names no longer in the build are skipped).
#
#   bench/scripts/make_classlist.sh      (MODEL, INPUT as for cold_start.sh)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
model="${MODEL:-/tmp/cold/resnet18.onnx}"
input="${INPUT:-/tmp/cold/x4.npy}"
EXPLAIN4J_CACHE=off "$root/explain4j" --version >/dev/null
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# two runs on one new cache folder: the first derives the backward graph (a first run's classes), the
# second reads it from the disk cache (the cache-hit path's classes and lambdas, which a list from a first
# run alone lacks, so that every second run loaded them from the jar and spun their lambdas); the list is
# the union of both, each class once, in first-seen order (a class's supertypes come before it)
for run in first second; do
  EXPLAIN4J_CACHE_DIR="$tmp/cache" java -XX:DumpLoadedClassList="$tmp/$run.classlist" -jar "$root/serve/target/explain4j-serve.jar" \
    attribute --model "$model" --input "$input" --method integrated-gradients --steps 4 --batch-size 4 --quiet \
    --output "$tmp/out.npy" >/dev/null
done
{ grep '^#' "$tmp/first.classlist"; cat "$tmp/first.classlist" "$tmp/second.classlist" | grep -v '^#' | awk '!seen[$0]++'; } \
  > "$tmp/classlist"
mkdir -p "$root/cds"
cp "$tmp/classlist" "$root/cds/explain4j.classlist"
echo "make_classlist.sh: $(grep -vc '^#' "$root/cds/explain4j.classlist") lines in cds/explain4j.classlist"
