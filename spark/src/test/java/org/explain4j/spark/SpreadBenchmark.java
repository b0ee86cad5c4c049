package org.explain4j.spark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The numbers in docs/BENCHMARKS.md ("Spark, second round"): a few rows with a large KernelSHAP
 * budget on local[2], explained by the default path (the rows in one partition, and in two) and
 * with spreadEvaluations, alternately, each timed as collecting the attributions; every run's
 * values are checked bit for bit against the first.
 * {@code java -cp ... org.explain4j.spark.SpreadBenchmark ROWS SAMPLES ROUNDS [HIDDEN]} (the MLP's hidden
 * width, default 32: a wider one makes each evaluation dearer).
 */
public final class SpreadBenchmark {
    private SpreadBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int rows = Integer.parseInt(args[0]);
        int samples = Integer.parseInt(args[1]);
        int rounds = Integer.parseInt(args[2]);
        int hidden = args.length > 3 ? Integer.parseInt(args[3]) : 32;
        SparkSession spark = SparkSession.builder().master("local[2]").appName("explain4j-spread-bench")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1").config("spark.sql.adaptive.enabled", "false")
                .getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        Path dir = Files.createTempDirectory("e4j-spread-bench");
        Path model = TabularMlp.write(dir.resolve("mlp20.onnx"), 20, hidden, 2, 11);
        float[][] x = SparkTests.rows(rows, 20, 5);
        Dataset<Row> one = SparkTests.frame(spark, x, 2, 1).cache();
        Dataset<Row> two = SparkTests.frame(spark, x, 2, 2).cache();
        one.count();
        two.count();
        OnnxAttribution stage = new OnnxAttribution().setModelPath(model.toString()).setMethod("kernel-shap")
                .setMethodParam("samples", Integer.toString(samples)).setSeed(7).setInputCol("features").setTarget(1)
                .setOutputCol("shap");
        // warm-up: model loaded, JIT, both paths
        SparkTests.byId(stage.copy(new org.apache.spark.ml.param.ParamMap()).setSpreadEvaluations(false)
                .transform(SparkTests.frame(spark, new float[][] {x[0]}, 2, 1)), "shap");
        SparkTests.byId(stage.copy(new org.apache.spark.ml.param.ParamMap()).setSpreadEvaluations(true)
                .transform(SparkTests.frame(spark, new float[][] {x[0]}, 2, 1)), "shap");
        double[][] first = null;
        String[] names = {"default, 1 partition", "spread", "default, 2 partitions", "spread"};
        for (int round = 0; round < rounds; round++) {
            for (int k = 0; k < names.length; k++) {
                OnnxAttribution s = stage.copy(new org.apache.spark.ml.param.ParamMap())
                        .setSpreadEvaluations(names[k].equals("spread"));
                Dataset<Row> df = names[k].endsWith("2 partitions") ? two : one;
                long t0 = System.nanoTime();
                double[][] v = SparkTests.byId(s.transform(df), "shap");
                double secs = (System.nanoTime() - t0) / 1e9;
                if (first == null) {
                    first = v;
                }
                boolean same = Arrays.deepEquals(first, v);
                System.out.printf("hidden=%d round=%d run=\"%s\" rows=%d samples=%d seconds=%.2f evaluations_per_s=%.0f "
                        + "identical=%s%n", hidden, round, names[k], rows, samples, secs, rows * (samples + 1.0) / secs, same);
            }
        }
        spark.stop();
    }
}
