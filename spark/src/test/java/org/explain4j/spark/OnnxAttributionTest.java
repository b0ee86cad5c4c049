package org.explain4j.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.explain4j.core.Baseline;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.MethodCatalog;
import org.explain4j.core.io.Npy;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The transformer on local[2] against single-JVM runs of the same method on each row alone. */
class OnnxAttributionTest extends TabularStageTest {
    @BeforeAll
    static void start() {
        start(30, 4);
    }

    private OnnxAttribution kernelShap() {
        return kernelShap(200);
    }

    @Test
    void kernelShapEqualsEachRowAloneWhateverPartitioningAndBatchSize() {
        double[][] expected = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            expected[i] = SparkTests.reference(model, "kernel-shap", Map.of("samples", 200, "seed", 7L, "baseline",
                    Baseline.distribution(SparkTests.matrix(background))), SparkTests.row(x[i]), Target.classIndex(i % 3));
        }
        double[][] onePartition = SparkTests.byId(kernelShap().setBatchSize(64).transform(SparkTests.frame(spark, x, 3, 1)),
                "shap");
        double[][] sevenPartitions = SparkTests.byId(kernelShap().setBatchSize(3).transform(SparkTests.frame(spark, x, 3, 7)),
                "shap");
        for (int i = 0; i < x.length; i++) {
            assertThat(onePartition[i]).as("row %d, one partition", i).containsExactly(expected[i]);
            assertThat(sevenPartitions[i]).as("row %d, seven partitions of batches of 3", i).containsExactly(expected[i]);
        }
        // a different seed gives different values: the seed reaches the method
        double[][] seed8 = SparkTests.byId(kernelShap().setSeed(8).transform(SparkTests.frame(spark, x, 3, 2)), "shap");
        assertThat(seed8[0]).isNotEqualTo(expected[0]);
    }

    @Test
    void equalsTheCommandLineOnTheRowAlone() throws Exception {
        double[][] spark2 = SparkTests.byId(kernelShap().setBatchSize(5).transform(SparkTests.frame(spark, x, 3, 3)), "shap");
        for (int i : new int[] {0, 4, 17}) {
            assertThat(spark2[i]).as("row %d", i).containsExactly(commandLine(i, 200));
        }
    }

    @Test
    void integratedGradientsOnVectorsAndOneColumnPerFeature() {
        List<Row> rows = new ArrayList<>();
        List<StructField> fields = new ArrayList<>(List.of(DataTypes.createStructField("id", DataTypes.LongType, false),
                DataTypes.createStructField("v", org.apache.spark.ml.linalg.SQLDataTypes.VectorType(), false)));
        for (int j = 0; j < 20; j++) {
            fields.add(DataTypes.createStructField("f" + j, DataTypes.FloatType, false));
        }
        for (int i = 0; i < 12; i++) {
            Object[] cells = new Object[22];
            cells[0] = (long) i;
            double[] d = new double[20];
            for (int j = 0; j < 20; j++) {
                d[j] = x[i][j];
                cells[2 + j] = x[i][j];
            }
            cells[1] = org.apache.spark.ml.linalg.Vectors.dense(d);
            rows.add(RowFactory.create(cells));
        }
        Dataset<Row> df = spark.createDataFrame(rows, DataTypes.createStructType(fields)).repartition(3);
        OnnxAttribution ig = new OnnxAttribution().setModelBytes(TabularMlp.bytes(20, 16, 3, 11))
                .setMethod("integrated-gradients").setMethodParam("steps", "16").setTarget(2).setBatchSize(4);
        Dataset<Row> byVector = ig.copy(new org.apache.spark.ml.param.ParamMap()).setInputCol("v").setOutputCol("a")
                .transform(df);
        assertThat(byVector.schema().apply("a").dataType()).isEqualTo(org.apache.spark.ml.linalg.SQLDataTypes.VectorType());
        String[] cols = new String[20];
        for (int j = 0; j < 20; j++) {
            cols[j] = "f" + j;
        }
        Dataset<Row> byColumns = ig.setInputCols(cols).setOutputCol("a").transform(df);
        double[][] a = SparkTests.byId(byVector, "a");
        double[][] b = SparkTests.byId(byColumns, "a");
        for (int i = 0; i < 12; i++) {
            double[] e = SparkTests.reference(model, "integrated-gradients", Map.of("steps", 16), SparkTests.row(x[i]),
                    Target.classIndex(2));
            assertThat(a[i]).as("row %d (Vector)", i).containsExactly(e);
            assertThat(b[i]).as("row %d (columns)", i).containsExactly(e);
        }
    }

    @Test
    void imagesAsNestedArraysKeepTheirLayout() {
        Path digits = Path.of("..", "examples", "digits", "digits_cnn.onnx");
        Tensor images = Npy.read(Path.of("..", "examples", "digits", "digits_x.npy"));
        int n = images.batchSize();
        List<Row> rows = new ArrayList<>();
        float[] all = images.toFloatArray();
        int[] s = images.exampleShape();
        for (int i = 0; i < n; i++) {
            List<Object> c = new ArrayList<>();
            for (int ch = 0; ch < s[0]; ch++) {
                List<Object> hh = new ArrayList<>();
                for (int h = 0; h < s[1]; h++) {
                    List<Float> ww = new ArrayList<>();
                    for (int w = 0; w < s[2]; w++) {
                        ww.add(all[((i * s[0] + ch) * s[1] + h) * s[2] + w]);
                    }
                    hh.add(ww);
                }
                c.add(hh);
            }
            rows.add(RowFactory.create((long) i, c, i % 10));
        }
        StructType schema = DataTypes.createStructType(new StructField[] {
            DataTypes.createStructField("id", DataTypes.LongType, false),
            DataTypes.createStructField("image", DataTypes.createArrayType(DataTypes.createArrayType(
                    DataTypes.createArrayType(DataTypes.FloatType))), false),
            DataTypes.createStructField("label", DataTypes.IntegerType, false)});
        Dataset<Row> out = new OnnxAttribution().setModelPath(digits.toAbsolutePath().toString())
                .setMethod("integrated-gradients").setMethodParam("steps", "8").setInputCol("image").setTargetCol("label")
                .setBatchSize(3).transform(spark.createDataFrame(rows, schema).repartition(2));
        assertThat(out.schema().apply("attribution").dataType().simpleString()).isEqualTo("array<array<array<double>>>");
        Row first = out.where("id = 5").select("attribution").first();
        List<?> outer = scala.jdk.javaapi.CollectionConverters.asJava((scala.collection.Seq<?>) first.get(0));
        assertThat(outer).hasSize(s[0]);
        assertThat(scala.jdk.javaapi.CollectionConverters.asJava((scala.collection.Seq<?>) outer.get(0))).hasSize(s[1]);
        double[][] got = SparkTests.byId(out, "attribution");
        for (int i = 0; i < n; i++) {
            double[] e = SparkTests.reference(digits, "integrated-gradients", Map.of("steps", 8), images.slice(i, i + 1),
                    Target.classIndex(i % 10));
            assertThat(got[i]).as("image %d", i).containsExactly(e);
        }
    }

    @Test
    void catalogueMessagesWhenTheStageIsBuilt() {
        String unknown = message(() -> MethodCatalog.get("kernel-shapp"));
        assertThatThrownBy(() -> new OnnxAttribution().setMethod("kernel-shapp")).hasMessage(unknown);
        String notApplicable = message(() -> MethodCatalog.get("kernel-shap").bind(Map.of("window", new int[] {3})));
        assertThatThrownBy(() -> new OnnxAttribution().setMethod("kernel-shap").setMethodParam("window", "3"))
                .hasMessage(notApplicable).hasMessageContaining("window does not apply to kernel-shap");
        String range = message(() -> MethodCatalog.get("kernel-shap").bind(Map.of("samples", 1)));
        assertThatThrownBy(() -> new OnnxAttribution().setMethodParam("samples", "1").setMethod("kernel-shap"))
                .hasMessage(range);
        assertThatThrownBy(() -> new OnnxAttribution().setMethod("saliency").setSeed(3))
                .hasMessageContaining("seed does not apply to saliency");
        assertThatThrownBy(() -> new OnnxAttribution().setMethod("feature-permutation"))
                .hasMessageContaining("depend on the partitioning");
    }

    private static String message(Runnable r) {
        try {
            r.run();
        } catch (Explain4jException e) {
            return e.getMessage();
        }
        throw new AssertionError("expected an error");
    }

    @Test
    void savedAndLoadedStageGivesTheSameResults() throws Exception {
        OnnxAttribution stage = kernelShap().setBatchSize(7).setDiagnosticsCol("diag");
        Path saved = dir.resolve("stage");
        stage.write().overwrite().save(saved.toString());
        OnnxAttribution loaded = OnnxAttribution.load(saved.toString());
        assertThat(loaded.uid()).isEqualTo(stage.uid());
        assertThat(loaded.methodParamMap()).isEqualTo(stage.methodParamMap());
        assertThat(loaded.getOrDefault(loaded.backgroundValues())).isEqualTo(stage.getOrDefault(stage.backgroundValues()));
        Dataset<Row> df = SparkTests.frame(spark, x, 3, 2);
        double[][] a = SparkTests.byId(stage.transform(df), "shap");
        Dataset<Row> fromLoaded = loaded.transform(df);
        double[][] b = SparkTests.byId(fromLoaded, "shap");
        // KernelSHAP imposes efficiency: the completeness gap is recorded per row, and tiny
        for (Row r : fromLoaded.select("diag").collectAsList()) {
            assertThat(r.getStruct(0).isNullAt(0)).isTrue();
            assertThat(Math.abs(r.getStruct(0).getDouble(1))).isLessThan(1e-4);
        }
        for (int i = 0; i < x.length; i++) {
            assertThat(b[i]).containsExactly(a[i]);
        }
        // in a Pipeline too
        org.apache.spark.ml.PipelineModel pm = new org.apache.spark.ml.Pipeline().setStages(
                new org.apache.spark.ml.PipelineStage[] {stage}).fit(df);
        pm.write().overwrite().save(dir.resolve("pipeline").toString());
        double[][] c = SparkTests.byId(org.apache.spark.ml.PipelineModel.load(dir.resolve("pipeline").toString())
                .transform(df), "shap");
        assertThat(c[3]).containsExactly(a[3]);
    }

    @Test
    void aCorruptRowIsDiagnosedOrFailsTheJobNamingIt() {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            List<Float> f = new ArrayList<>();
            for (float v : x[i]) {
                f.add(v);
            }
            if (i == 2) {
                f.set(4, Float.NaN);
            }
            if (i == 4) {
                f.remove(0);
            }
            rows.add(RowFactory.create((long) i, i == 5 ? null : f, 0));
        }
        StructType schema = DataTypes.createStructType(new StructField[] {
            DataTypes.createStructField("id", DataTypes.LongType, false),
            DataTypes.createStructField("features", DataTypes.createArrayType(DataTypes.FloatType, false), true),
            DataTypes.createStructField("label", DataTypes.IntegerType, false)});
        Dataset<Row> df = spark.createDataFrame(rows, schema).repartition(2);
        OnnxAttribution fa = new OnnxAttribution().setModelPath(model.toString()).setMethod("feature-ablation")
                .setInputCol("features").setIdCol("id").setDiagnosticsCol("diag").setBatchSize(4);
        List<Row> out = fa.setOnError("diagnose").transform(df).orderBy("id").select("id", "attribution", "diag").collectAsList();
        assertThat(out).hasSize(6);
        for (int i : new int[] {0, 1, 3}) {
            assertThat(out.get(i).getStruct(2).isNullAt(0)).as("row %d has no error", i).isTrue();
            double[] e = SparkTests.reference(model, "feature-ablation", Map.of(), SparkTests.row(x[i]), Target.classIndex(0));
            assertThat(SparkTests.flat(out.get(i).get(1))).containsExactly(e);
        }
        assertThat(out.get(2).isNullAt(1)).isTrue();
        assertThat(out.get(2).getStruct(2).getString(0)).contains("non-finite value (NaN)");
        assertThat(out.get(4).getStruct(2).getString(0)).isEqualTo("the row has shape (19) but the model takes "
                + "examples of shape (20); give rows of that shape (or that many values)");
        assertThat(out.get(5).getStruct(2).getString(0)).isEqualTo("features is null");
        Throwable failed = org.assertj.core.api.Assertions.catchThrowable(() -> fa.setOnError("fail").transform(df).count());
        // rows 2, 4 and 5 are bad; which task fails first depends on scheduling, so the message must
        // name one of them with that row's own error
        String msg = root(failed).getMessage();
        assertThat(msg).containsPattern("row with id [245] ").contains("onError");
        String expected = msg.contains("with id 2 ") ? "non-finite value (NaN)"
                : msg.contains("with id 4 ") ? "has shape (19)" : "features is null";
        assertThat(msg).contains(expected);
    }

    private static Throwable root(Throwable t) {
        Throwable r = t;
        while (r.getCause() != null && !(r instanceof Explain4jException)) {
            r = r.getCause();
        }
        return r instanceof Explain4jException ? r : t;
    }

    @Test
    void aMissingModelFailsBeforeAnyTask() throws Exception {
        AtomicInteger tasks = new AtomicInteger();
        SparkListener l = new SparkListener() {
            @Override
            public void onTaskStart(SparkListenerTaskStart e) {
                tasks.incrementAndGet();
            }
        };
        Dataset<Row> df = SparkTests.frame(spark, x, 3, 2).cache();
        df.count();
        spark.sparkContext().addSparkListener(l);
        try {
            assertThatThrownBy(() -> new OnnxAttribution().setModelPath(dir.resolve("nope.onnx").toUri().toString())
                    .setMethod("saliency").setInputCol("features").transform(df))
                    .isInstanceOf(Explain4jException.class).hasMessageContaining("modelPath")
                    .hasMessageContaining("nope.onnx does not exist");
            // an empty file is found, then refused when its bytes are read, still on the driver
            Path empty = Files.createFile(dir.resolve("empty.onnx"));
            assertThatThrownBy(() -> new OnnxAttribution().setModelPath(empty.toUri().toString())
                    .setMethod("saliency").setInputCol("features").transform(df))
                    .isInstanceOf(Explain4jException.class).hasMessageContaining("modelPath")
                    .hasMessageContaining("empty.onnx is empty");
            spark.sparkContext().listenerBus().waitUntilEmpty();
            assertThat(tasks.get()).isZero();
        } finally {
            spark.sparkContext().removeSparkListener(l);
        }
    }

    @Test
    void theModelIsLoadedOncePerJvm() {
        byte[] bytes = TabularMlp.bytes(20, 16, 3, 12);
        String sha = OnnxAttribution.sha256(bytes);
        new OnnxAttribution().setModelBytes(bytes).setMethod("saliency").setInputCol("features").setBatchSize(2)
                .transform(SparkTests.frame(spark, x, 3, 6)).count();
        assertThat(ExecutorModels.loads(sha)).isEqualTo(1);
    }
}
