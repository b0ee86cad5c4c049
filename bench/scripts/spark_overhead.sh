#!/bin/sh
# The Spark overhead benchmark (docs/BENCHMARKS.md, "Spark, second round"): KernelSHAP (200
# coalitions, seed 7) on the 20-feature MLP, ROWS rows on local[2] against the single-JVM engine
# on the same rows with the same parallelism (SparkBenchmark). Each round is one JVM that runs
# single JVM, Spark, single JVM again (SINGLE_FIRST=1), so the Spark run sits between two engine
# runs and the machine's drift shows; ROUNDS rounds alternate that order on the same rows. The
# load average is printed before and after every round: on a loaded machine the ratio measures
# the neighbours. Run from the repository root:
#   sh bench/scripts/spark_overhead.sh [ROWS] [ROUNDS]     (defaults: 1000000 rows, 2 rounds)
set -e
rows=${1:-1000000}
rounds=${2:-2}
mvn -B -o -q -pl core,onnx,viz,cli,spark -am test-compile -DskipTests
CP="spark/target/test-classes:spark/target/classes:$(cat spark/target/launcher-classpath.txt)"
echo "machine: $(nproc) CPUs, $(java -version 2>&1 | head -1), $(date -u '+%Y-%m-%d %H:%M UTC')"
i=0
while [ "$i" -lt "$rounds" ]; do
  echo "round $i load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  SINGLE_FIRST=1 java -Xss64m -Xmx3g -cp "$CP" org.explain4j.spark.SparkBenchmark shap "$rows" 2>/dev/null \
      | grep -E 'single_jvm_before_spark_s|spark_local2_s'
  echo "round $i load after: $(cut -d' ' -f1-3 /proc/loadavg)"
  i=$((i + 1))
done
