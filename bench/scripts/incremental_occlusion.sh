#!/bin/sh
# Incremental occlusion benchmark (docs/BENCHMARKS.md, "Incremental occlusion"): ResNet-18 with
# random weights, 4 images 3x224x224, window 3x32x32, stride 3x16x16. Alternates, ROUNDS times,
# explain4j (full recomputation then incremental, in one JVM: IncrementalOcclusionBench) with the
# PyTorch re-implementation of Captum's Occlusion (occlusion_torch.py). Run from the repository root
# after `mvn -B -o -q -pl core,onnx -am install -DskipTests` or with the reactor as below.
#   sh bench/scripts/incremental_occlusion.sh [ROUNDS] [MODEL]
set -e
rounds=${1:-2}
model=${2:-/tmp/incr_resnet18.onnx}
[ -f "$model" ] || /usr/bin/python3 bench/scripts/make_resnet18.py "$model"
i=0
while [ $i -lt "$rounds" ]; do
  mvn -B -o -q -pl core,onnx test -Dtest=IncrementalOcclusionBench -Dsurefire.failIfNoSpecifiedTests=false \
      -Dexplain4j.bench.resnet="$model" -Dexplain4j.bench.repeats=1 2>&1 | grep BENCH
  /usr/bin/python3 bench/scripts/occlusion_torch.py 1 2>&1 | grep TORCH
  i=$((i + 1))
done
