package org.explain4j.spark;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.hash;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.MethodCatalog;
import org.explain4j.core.catalog.MethodSpec;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.io.Npy;
import org.explain4j.core.method.AttributionMethod;
import org.explain4j.onnx.OnnxModel;
import org.explain4j.onnx.grad.OnnxDifferentiableModel;
import org.explain4j.onnx.grad.propagation.PropagationRegistry;

/**
 * The numbers in docs/BENCHMARKS.md ("Spark"): the transformer on local[2] against the
 * single-JVM engine on the same rows with the same parallelism (2 threads, the same rows per
 * method call), and a check that both give identical values.
 * {@code java -cp ... org.explain4j.spark.SparkBenchmark shap ROWS} or {@code ... ig IMAGES}.
 */
public final class SparkBenchmark {
    private SparkBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        String which = args[0];
        int rows = Integer.parseInt(args[1]);
        int perCall = 64;
        SparkSession spark = SparkSession.builder().master("local[2]").appName("explain4j-bench")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1").config("spark.sql.adaptive.enabled", "false")
                .getOrCreate();
        Path dir = Files.createTempDirectory("e4j-bench");
        Dataset<Row> df;
        Path model;
        OnnxAttribution stage;
        String method;
        Map<String, Object> params;
        int[] shape;
        if (which.equals("shap")) {
            model = TabularMlp.write(dir.resolve("mlp20.onnx"), 20, 32, 2, 11);
            List<Column> f = new ArrayList<>();
            for (int j = 0; j < 20; j++) {
                // a deterministic pseudo-random value in [-2, 2) per (row, feature)
                f.add(pmod(hash(col("id"), lit(j)), lit(40000)).cast("float").divide(lit(10000f)).minus(lit(2f))
                        .cast("float"));
            }
            df = spark.range(0, rows, 1, 8).select(col("id"), array(f.toArray(Column[]::new)).as("features"));
            method = "kernel-shap";
            params = System.getenv("BS") == null ? Map.of("samples", 200, "seed", 7L) : Map.of("samples", 200, "seed", 7L, "batch-size", Integer.parseInt(System.getenv("BS")));
            stage = new OnnxAttribution().setModelPath(model.toString()).setMethod(method).setMethodParam("samples", "200")
                    .setMethodParams(System.getenv("BS") == null ? Map.of("samples", "200") : Map.of("samples", "200", "batch-size", System.getenv("BS"))).setSeed(7).setInputCol("features").setTarget(1)
                    .setBatchSize(perCall);
            shape = new int[] {20};
        } else {
            model = Path.of("examples", "digits", "digits_cnn.onnx").toAbsolutePath();
            Tensor images = Npy.read(Path.of("examples", "digits", "digits_x.npy"));
            List<Row> r = new ArrayList<>();
            float[] all = images.toFloatArray();
            int d = images.exampleSize();
            for (int i = 0; i < rows; i++) {
                int k = i % images.batchSize();
                List<Float> v = new ArrayList<>();
                for (int e = 0; e < d; e++) {
                    v.add(all[k * d + e]);
                }
                r.add(org.apache.spark.sql.RowFactory.create((long) i, v));
            }
            df = spark.createDataFrame(r, org.apache.spark.sql.types.DataTypes.createStructType(
                    new org.apache.spark.sql.types.StructField[] {
                        org.apache.spark.sql.types.DataTypes.createStructField("id",
                                org.apache.spark.sql.types.DataTypes.LongType, false),
                        org.apache.spark.sql.types.DataTypes.createStructField("features",
                                org.apache.spark.sql.types.DataTypes.createArrayType(
                                        org.apache.spark.sql.types.DataTypes.FloatType, false), false)})).repartition(8);
            method = "integrated-gradients";
            params = Map.of();
            stage = new OnnxAttribution().setModelPath(model.toString()).setMethod(method).setInputCol("features")
                    .setTarget(3).setBatchSize(perCall);
            shape = images.exampleShape();
        }
        df = df.cache();
        long n = df.count();
        // the same rows for the single-JVM run
        float[][] x = new float[(int) n][];
        long[] ids = new long[(int) n];
        Iterator<Row> it = df.toLocalIterator();
        for (int i = 0; it.hasNext(); i++) {
            Row row = it.next();
            ids[i] = row.getLong(0);
            List<Float> v = row.getList(1);
            x[i] = new float[v.size()];
            for (int e = 0; e < x[i].length; e++) {
                x[i][e] = v.get(e);
            }
        }
        System.err.println("bench: " + n + " rows ready");
        // warm-up (model load, JIT) on both sides, then the timed runs
        stage.transform(df.limit(256)).write().format("noop").mode("overwrite").save();
        if (System.getenv("SINGLE_FIRST") != null) {
            // the single-JVM run before the Spark one too: tells the machine's drift from the overhead
            try (OnnxModel onnx = OnnxModel.load(model);
                 OnnxDifferentiableModel m = new OnnxDifferentiableModel(onnx, PropagationRegistry.standard())) {
                MethodSpec spec = MethodCatalog.get(method);
                AttributionMethod am = spec.create(m, spec.bind(params), ProgressListener.NONE);
                runChunks(am, x, shape, 0, Math.min(256, x.length), perCall, which.equals("shap") ? 1 : 3,
                        new double[(int) n][]);
                long s0 = System.nanoTime();
                runChunks(am, x, shape, 0, x.length, perCall, which.equals("shap") ? 1 : 3, new double[(int) n][]);
                System.out.printf("%s single_jvm_before_spark_s=%.2f%n", which, (System.nanoTime() - s0) / 1e9);
            }
        }
        long t0 = System.nanoTime();
        stage.transform(df).write().format("noop").mode("overwrite").save();
        double sparkS = (System.nanoTime() - t0) / 1e9;
        System.err.println("bench: spark done in " + sparkS + " s");
        double[][] single = new double[(int) n][];
        int target = which.equals("shap") ? 1 : 3;
        try (OnnxModel onnx = OnnxModel.load(model);
             OnnxDifferentiableModel m = new OnnxDifferentiableModel(onnx, PropagationRegistry.standard())) {
            MethodSpec spec = MethodCatalog.get(method);
            AttributionMethod am = spec.create(m, spec.bind(params), ProgressListener.NONE);
            runChunks(am, x, shape, 0, Math.min(256, x.length), perCall, target, single);
            long t1 = System.nanoTime();
            runChunks(am, x, shape, 0, x.length, perCall, target, single);
            double singleS = (System.nanoTime() - t1) / 1e9;
            // identical values: compare a slice of rows
            List<Row> check = stage.transform(df.where(col("id").lt(200))).select("id", "attribution").collectAsList();
            int same = 0;
            for (Row r : check) {
                int i = indexOf(ids, r.getLong(0));
                if (java.util.Arrays.equals(SparkTests.flat(r.get(1)), single[i])) {
                    same++;
                }
            }
            System.out.printf("%s rows=%d spark_local2_s=%.2f rows_per_s=%.0f single_jvm_2threads_s=%.2f rows_per_s=%.0f "
                    + "overhead=%.1f%% identical=%d/%d%n", which, n, sparkS, n / sparkS, singleS, n / singleS,
                    100 * (sparkS / singleS - 1), same, check.size());
        }
        spark.stop();
    }

    private static int indexOf(long[] ids, long id) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == id) {
                return i;
            }
        }
        throw new IllegalStateException("no row " + id);
    }

    /** Rows [from, to) in chunks of {@code perCall}, on 2 threads (as local[2] runs two tasks). */
    private static void runChunks(AttributionMethod am, float[][] x, int[] shape, int from, int to, int perCall, int target,
                                  double[][] out) throws Exception {
        // the same 64 MiB stacks as the transformer's ONNX Runtime threads (ExecutorModels)
        ExecutorService pool = Executors.newFixedThreadPool(2, r -> new Thread(null, r, "bench", 64L << 20));
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int s = from; s < to; s += perCall) {
                int a = s;
                int b = Math.min(to, s + perCall);
                fs.add(pool.submit(() -> {
                    int d = x[a].length;
                    float[] all = new float[(b - a) * d];
                    for (int i = a; i < b; i++) {
                        System.arraycopy(x[i], 0, all, (i - a) * d, d);
                    }
                    int[] s2 = new int[shape.length + 1];
                    s2[0] = b - a;
                    System.arraycopy(shape, 0, s2, 1, shape.length);
                    double[] v = am.attribute(Tensor.ofFloats(all, s2), Target.classIndex(target)).values().toDoubleArray();
                    for (int i = a; i < b; i++) {
                        out[i] = java.util.Arrays.copyOfRange(v, (i - a) * d, (i - a + 1) * d);
                    }
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
    }
}
