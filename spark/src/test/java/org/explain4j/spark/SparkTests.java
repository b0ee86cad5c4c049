package org.explain4j.spark;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.explain4j.core.Attribution;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.MethodCatalog;
import org.explain4j.core.catalog.MethodSpec;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.onnx.OnnxModel;
import org.explain4j.onnx.grad.OnnxDifferentiableModel;
import org.explain4j.onnx.grad.propagation.PropagationRegistry;

/** What the Spark tests share: a lean local session, data sets, and single-JVM reference runs. */
final class SparkTests {
    private SparkTests() {
    }

    /** local[2], no UI, few shuffle partitions, loopback only. */
    static SparkSession local() {
        return SparkSession.builder().master("local[2]").appName("explain4j-spark-test")
                .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4")
                .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.sql.adaptive.enabled", "false").getOrCreate();
    }

    /** {@code n} rows of {@code d} float features in [-2, 2), deterministic; row i has id i and target i % classes. */
    static float[][] rows(int n, int d, long seed) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        float[][] x = new float[n][d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                x[i][j] = (float) (r.nextDouble() * 4 - 2);
            }
        }
        return x;
    }

    /** A DataFrame (id long, features array&lt;float&gt;, label int) of {@code x}, labels i % classes. */
    static Dataset<Row> frame(SparkSession spark, float[][] x, int classes, int partitions) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < x.length; i++) {
            List<Float> f = new ArrayList<>();
            for (float v : x[i]) {
                f.add(v);
            }
            rows.add(RowFactory.create((long) i, f, i % classes));
        }
        StructType schema = DataTypes.createStructType(new StructField[] {
            DataTypes.createStructField("id", DataTypes.LongType, false),
            DataTypes.createStructField("features", DataTypes.createArrayType(DataTypes.FloatType, false), true),
            DataTypes.createStructField("label", DataTypes.IntegerType, false)});
        return spark.createDataFrame(rows, schema).repartition(partitions);
    }

    /** The attribution column of {@code df} as doubles per id (flat), sorted by id. */
    static double[][] byId(Dataset<Row> df, String col) {
        List<Row> rows = df.select("id", col).collectAsList();
        double[][] out = new double[rows.size()][];
        for (Row r : rows) {
            int id = (int) r.getLong(0);
            out[id] = r.isNullAt(1) ? null : flat(r.get(1));
        }
        return out;
    }

    static double[] flat(Object o) {
        List<Double> v = new ArrayList<>();
        collect(o, v);
        return v.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static void collect(Object o, List<Double> out) {
        if (o instanceof Number n) {
            out.add(n.doubleValue());
        } else if (o instanceof org.apache.spark.ml.linalg.Vector vec) {
            for (double d : vec.toArray()) {
                out.add(d);
            }
        } else {
            for (Object e : scala.jdk.javaapi.CollectionConverters.asJava((scala.collection.Seq<?>) o)) {
                collect(e, out);
            }
        }
    }

    /** The method run in this JVM, as {@code explain4j attribute} runs it, on {@code x} (one or more rows). */
    static double[] reference(Path model, String method, Map<String, Object> params, Tensor x, Target target) {
        try (OnnxModel onnx = OnnxModel.load(model);
             OnnxDifferentiableModel m = new OnnxDifferentiableModel(onnx, PropagationRegistry.standard())) {
            MethodSpec spec = MethodCatalog.get(method);
            Attribution a = spec.create(m, spec.bind(params), ProgressListener.NONE).attribute(x, target);
            return a.values().toDoubleArray();
        }
    }

    static Tensor row(float[] x) {
        return Tensor.ofFloats(x.clone(), 1, x.length);
    }

    static Tensor matrix(float[][] x) {
        float[] all = new float[x.length * x[0].length];
        for (int i = 0; i < x.length; i++) {
            System.arraycopy(x[i], 0, all, i * x[0].length, x[0].length);
        }
        return Tensor.ofFloats(all, x.length, x[0].length);
    }
}
