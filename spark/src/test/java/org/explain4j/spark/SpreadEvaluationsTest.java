package org.explain4j.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.explain4j.core.Baseline;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Target;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** spreadEvaluations on local[2]: bit-identical to the per-partition path and the command line, scored in several tasks. */
class SpreadEvaluationsTest extends TabularStageTest {
    @BeforeAll
    static void start() {
        start(6, 3);
    }

    /** Counts the tasks of the scoring jobs (those with the spread job's description) while {@code work} runs. */
    private static int scoringTasks(Runnable work) throws Exception {
        Set<Integer> stages = ConcurrentHashMap.newKeySet();
        AtomicInteger tasks = new AtomicInteger();
        SparkListener l = new SparkListener() {
            @Override
            public void onJobStart(SparkListenerJobStart e) {
                if (SpreadEvaluations.JOB_DESCRIPTION.equals(e.properties().getProperty("spark.job.description"))) {
                    for (Object id : scala.jdk.javaapi.CollectionConverters.asJava(e.stageIds())) {
                        stages.add((Integer) id);
                    }
                }
            }

            @Override
            public void onTaskEnd(SparkListenerTaskEnd e) {
                if (stages.contains(e.stageId())) {
                    tasks.incrementAndGet();
                }
            }
        };
        spark.sparkContext().addSparkListener(l);
        try {
            work.run();
            spark.sparkContext().listenerBus().waitUntilEmpty();
        } finally {
            spark.sparkContext().removeSparkListener(l);
        }
        return tasks.get();
    }

    @Test
    void threeRowsOfKernelShapWithThousandsOfCoalitionsAreScoredInSeveralTasksBitForBit() throws Exception {
        float[][] three = {x[0], x[1], x[2]};
        double[][] plain = SparkTests.byId(kernelShap(3000).transform(SparkTests.frame(spark, three, 3, 1)), "shap");
        for (int parts : new int[] {1, 3}) {
            for (int tasks : new int[] {2, 5}) {
                double[][][] spread = new double[1][][];
                int scored = scoringTasks(() -> spread[0] = SparkTests.byId(kernelShap(3000).setSpreadEvaluations(true)
                        .setSpreadPartitions(tasks).setBatchSize(64).transform(SparkTests.frame(spark, three, 3, parts)),
                        "shap"));
                assertThat(scored).as("tasks of the scoring job, %d input partitions", parts).isEqualTo(tasks);
                for (int i = 0; i < 3; i++) {
                    assertThat(spread[0][i]).as("row %d, %d partitions, %d tasks", i, parts, tasks).containsExactly(plain[i]);
                }
            }
        }
        // the same as each row alone in one JVM, and as the command line on the row
        for (int i = 0; i < 3; i++) {
            double[] ref = SparkTests.reference(model, "kernel-shap", Map.of("samples", 3000, "seed", 7L, "baseline",
                    Baseline.distribution(SparkTests.matrix(background))), SparkTests.row(x[i]), Target.classIndex(i % 3));
            assertThat(plain[i]).as("row %d against the single JVM", i).containsExactly(ref);
            assertThat(plain[i]).as("row %d against explain4j attribute", i).containsExactly(commandLine(i, 3000));
        }
        // a different seed reaches the spread path too
        double[][] seed8 = SparkTests.byId(kernelShap(3000).setSeed(8).setSpreadEvaluations(true)
                .transform(SparkTests.frame(spark, three, 3, 1)), "shap");
        assertThat(seed8[0]).isNotEqualTo(plain[0]);
    }

    @Test
    void everyPerturbationMethodGivesTheSameBitsSpreadOrNot() {
        Dataset<Row> df = SparkTests.frame(spark, x, 3, 2);
        List<OnnxAttribution> stages = List.of(
                base().setMethod("lime").setMethodParam("samples", "300").setSeed(3),
                base().setMethod("shapley-value-sampling").setMethodParam("samples", "12").setSeed(5)
                        .setBackground(SparkTests.frame(spark, background, 3, 1)),
                base().setMethod("shapley-value-sampling").setMethodParams(Map.of("samples", "3", "exact", "always",
                        "feature-mask", "0,0,0,0,1,1,1,1,2,2,2,2,3,3,3,3,4,4,4,4")).setSeed(5),
                base().setMethod("feature-ablation").setMethodParam("baseline", "0.5"),
                base().setMethodParams(Map.of("window", "3", "stride", "2")).setMethod("occlusion"),
                base().setMethod("kernel-shap").setMethodParam("samples", "100").setSeed(1).setBaselineCol("features2"));
        Dataset<Row> withBaselines = df.withColumn("features2", org.apache.spark.sql.functions.reverse(df.col("features")));
        for (OnnxAttribution s : stages) {
            String name = s.getOrDefault(s.method());
            double[][] plain = SparkTests.byId(s.transform(withBaselines), "attribution");
            double[][] spread = SparkTests.byId(s.setSpreadEvaluations(true).setSpreadPartitions(3).transform(withBaselines),
                    "attribution");
            for (int i = 0; i < x.length; i++) {
                assertThat(plain[i]).as("%s row %d", name, i).isNotNull();
                assertThat(spread[i]).as("%s row %d", name, i).containsExactly(plain[i]);
            }
        }
    }

    private OnnxAttribution base() {
        return new OnnxAttribution().setModelPath(model.toUri().toString()).setInputCol("features").setTargetCol("label");
    }

    @Test
    void rowsAreProcessedInGroupsUnderTheDriversBoundAndARowOverItIsRefused() throws Exception {
        Dataset<Row> df = SparkTests.frame(spark, x, 3, 2);
        double[][] plain = SparkTests.byId(kernelShap(1000).transform(df), "shap");
        // one row records (1 + 1 + 1000) * 3 background rows of 20 values: about 60,000; a bound of
        // 70,000 holds one row at a time, so six scoring jobs run
        AtomicInteger jobs = new AtomicInteger();
        SparkListener l = new SparkListener() {
            @Override
            public void onJobStart(SparkListenerJobStart e) {
                if (SpreadEvaluations.JOB_DESCRIPTION.equals(e.properties().getProperty("spark.job.description"))) {
                    jobs.incrementAndGet();
                }
            }
        };
        spark.sparkContext().addSparkListener(l);
        double[][] grouped;
        try {
            grouped = SparkTests.byId(kernelShap(1000).setSpreadEvaluations(true).setSpreadMaxValues(70_000).transform(df),
                    "shap");
            spark.sparkContext().listenerBus().waitUntilEmpty();
        } finally {
            spark.sparkContext().removeSparkListener(l);
        }
        assertThat(jobs.get()).isEqualTo(x.length);
        for (int i = 0; i < x.length; i++) {
            assertThat(grouped[i]).as("row %d", i).containsExactly(plain[i]);
        }
        assertThatThrownBy(() -> kernelShap(1000).setSpreadEvaluations(true).setSpreadMaxValues(10_000).transform(df))
                .isInstanceOf(Explain4jException.class).hasMessageContaining("spreadMaxValues")
                .hasMessageContaining("over 10000 values")
                .satisfies(e -> assertThat(((Explain4jException) e).argument()).isEqualTo("spreadMaxValues"));
    }

    @Test
    void badRowsAreDiagnosedOrFailAsOnTheDefaultPath() {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            List<Float> f = new ArrayList<>();
            for (float v : x[i]) {
                f.add(v);
            }
            if (i == 1) {
                f.set(3, Float.NaN);
            }
            rows.add(RowFactory.create((long) i, f, i == 3 ? 7 : 0));
        }
        StructType schema = DataTypes.createStructType(new StructField[] {
            DataTypes.createStructField("id", DataTypes.LongType, false),
            DataTypes.createStructField("features", DataTypes.createArrayType(DataTypes.FloatType, false), true),
            DataTypes.createStructField("label", DataTypes.IntegerType, false)});
        Dataset<Row> df = spark.createDataFrame(rows, schema).repartition(2);
        OnnxAttribution s = base().setMethod("kernel-shap").setMethodParam("samples", "50").setSeed(2).setIdCol("id")
                .setDiagnosticsCol("diag").setOnError("diagnose");
        List<Row> plain = s.transform(df).orderBy("id").select("attribution", "diag").collectAsList();
        List<Row> spread = s.setSpreadEvaluations(true).transform(df).orderBy("id").select("attribution", "diag")
                .collectAsList();
        assertThat(spread).hasSize(4);
        for (int i = 0; i < 4; i++) {
            assertThat(spread.get(i).getStruct(1).get(0)).as("row %d error", i).isEqualTo(plain.get(i).getStruct(1).get(0));
            assertThat(spread.get(i).getStruct(1).get(1)).as("row %d gap", i).isEqualTo(plain.get(i).getStruct(1).get(1));
            if (plain.get(i).isNullAt(0)) {
                assertThat(spread.get(i).isNullAt(0)).isTrue();
            } else {
                assertThat(SparkTests.flat(spread.get(i).get(0))).containsExactly(SparkTests.flat(plain.get(i).get(0)));
            }
        }
        assertThat(spread.get(1).getStruct(1).getString(0)).contains("non-finite value (NaN)");
        assertThat(spread.get(3).getStruct(1).getString(0)).contains("7");
        assertThat(spread.get(0).isNullAt(0)).isFalse();
        // the first bad row in the input's order fails the transform (which one comes first depends on the repartition)
        Throwable failed = org.assertj.core.api.Assertions.catchThrowable(() -> s.setOnError("fail").transform(df));
        assertThat(failed).isInstanceOf(Explain4jException.class);
        assertThat(failed.getMessage()).containsPattern("^row with id [13] \\(partition [01], row [01]\\) cannot be explained: ")
                .contains(failed.getMessage().contains("id 1 ") ? "non-finite value (NaN)" : "target 7 is out of range");
    }

    @Test
    void gradientMethodsAndBadSettingsAreRefusedInOneLine() {
        assertThatThrownBy(() -> base().setMethod("saliency").setSpreadEvaluations(true))
                .isInstanceOf(Explain4jException.class)
                .hasMessageContaining("spreadEvaluations").hasMessageContaining("saliency runs backward passes")
                .hasMessageContaining("kernel-shap");
        assertThatThrownBy(() -> base().setSpreadEvaluations(true).setMethod("integrated-gradients"))
                .isInstanceOf(Explain4jException.class).hasMessageContaining("spreadEvaluations");
        assertThatThrownBy(() -> base().setSpreadPartitions(-1)).hasMessageContaining("spreadPartitions must be at least 1");
        assertThatThrownBy(() -> base().setSpreadMaxValues(0)).hasMessageContaining("spreadMaxValues must be at least 1");
        Set<String> names = new HashSet<>();
        for (org.apache.spark.ml.param.Param<?> p : base().params()) {
            names.add(p.name());
        }
        assertThat(names).contains("spreadEvaluations", "spreadPartitions", "spreadMaxValues");
    }

    @Test
    void theReplayRefusesAMethodThatAsksForOtherRowsThanItRecorded() {
        try (org.explain4j.onnx.OnnxModel onnx = org.explain4j.onnx.OnnxModel.load(model)) {
            SpreadEvaluations.Recorder rec = new SpreadEvaluations.Recorder(onnx, 1_000, null);
            org.explain4j.core.Tensor a = SparkTests.matrix(new float[][] {x[0], x[1]});
            org.explain4j.core.Tensor b = SparkTests.matrix(new float[][] {x[0], x[2]});
            assertThat(rec.forward(a).shape()).containsExactly(2, 3);
            org.explain4j.core.Tensor outputs = onnx.forward(a);
            SpreadEvaluations.Replayer same = new SpreadEvaluations.Replayer(rec, outputs, "some-method");
            assertThat(same.forward(a)).isEqualTo(outputs);
            same.finished();
            SpreadEvaluations.Replayer other = new SpreadEvaluations.Replayer(rec, outputs, "some-method");
            assertThatThrownBy(() -> other.forward(b)).isInstanceOf(Explain4jException.class)
                    .hasMessage("some-method chose its model evaluations from the model's outputs, so they cannot be scored "
                            + "ahead; explain it without spreadEvaluations");
            SpreadEvaluations.Replayer fewer = new SpreadEvaluations.Replayer(rec, outputs, "some-method");
            fewer.forward(a.slice(0, 1));
            assertThatThrownBy(fewer::finished).hasMessageContaining("asked for 1 of the 2 model evaluations");
            assertThatThrownBy(() -> rec.forward(SparkTests.matrix(rows(60)))).isInstanceOf(Explain4jException.class)
                    .hasMessageContaining("spreadMaxValues");
        }
    }

    @Test
    void theModelIsReadAndBroadcastOnceWhileTheFileIsUnchanged() throws Exception {
        Path copy = java.nio.file.Files.copy(model, dir.resolve("copy.onnx"));
        OnnxAttribution s = new OnnxAttribution().setModelPath(copy.toUri().toString()).setMethod("feature-ablation")
                .setInputCol("features");
        Dataset<Row> df = SparkTests.frame(spark, x, 3, 1);
        double[][] a = SparkTests.byId(s.transform(df), "attribution");
        Object first = s.loadedModelBroadcast();
        assertThat(first).isNotNull();
        double[][] b = SparkTests.byId(s.transform(df), "attribution");
        assertThat(s.loadedModelBroadcast()).isSameAs(first);
        assertThat(b).isDeepEqualTo(a);
        // a changed file (another model at the same path) is read again
        TabularMlp.write(copy, 20, 16, 3, 12);
        java.nio.file.Files.setLastModifiedTime(copy, java.nio.file.attribute.FileTime.fromMillis(
                System.currentTimeMillis() + 5_000));
        double[][] c = SparkTests.byId(s.transform(df), "attribution");
        assertThat(s.loadedModelBroadcast()).isNotSameAs(first);
        assertThat(c[0]).isNotEqualTo(a[0]);
    }

    private static float[][] rows(int n) {
        return SparkTests.rows(n, 20, 1);
    }
}
