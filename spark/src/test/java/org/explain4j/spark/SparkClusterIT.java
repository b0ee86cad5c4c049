package org.explain4j.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.explain4j.core.Baseline;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Target;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The transformer on a real standalone cluster: a master and two workers (separate JVMs, one
 * core and one executor each) on loopback, the job submitted with the module's jar and its
 * explain4j dependencies as {@code spark.jars}; results checked bit for bit against single-JVM
 * runs of each row alone, also when an executor is killed mid-job.
 */
class SparkClusterIT {
    /** Under target/, so the master's and workers' logs stay for a look after a failure. */
    static Path dir;
    static StandaloneCluster cluster;
    static SparkSession spark;
    static Path model;
    static float[][] x;
    static float[][] background;
    static double[][] expected;

    @BeforeAll
    static void start() throws Exception {
        dir = Path.of("target", "cluster-it").toAbsolutePath();
        if (Files.exists(dir)) {
            try (var walk = Files.walk(dir)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        Files.createDirectories(dir);
        String moduleJar = required("explain4j.spark.jar");
        List<String> jars = new ArrayList<>(List.of(moduleJar));
        for (String e : Files.readString(Path.of(required("explain4j.spark.runtimeClasspath"))).trim().split(":")) {
            if (e.contains("explain4j-cli")) {
                continue; // the command line runs on the driver only
            }
            if (!e.endsWith(".jar")) {
                throw new AssertionError("spark.jars needs jars, and " + e + " is not one: run mvn verify (package first)");
            }
            jars.add(e);
        }
        // the executors get explain4j, ONNX Runtime and protobuf only through spark.jars
        cluster = new StandaloneCluster(dir, 2, Set.of("explain4j", "onnxruntime", "protobuf-java", "tribuo",
                "/target/"));
        spark = SparkSession.builder().master(cluster.masterUrl()).appName("explain4j-cluster-it")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1").config("spark.executor.memory", "768m")
                .config("spark.executor.cores", "1").config("spark.cores.max", "2")
                .config("spark.jars", String.join(",", jars)).config("spark.task.maxFailures", "4")
                .config("spark.sql.adaptive.enabled", "false").getOrCreate();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (spark.sparkContext().getExecutorMemoryStatus().size() < 3) {
            if (System.nanoTime() > end) {
                throw new AssertionError("the two executors did not register within 180 s; logs in " + dir);
            }
            Thread.sleep(500);
        }
        model = TabularMlp.write(dir.resolve("mlp20.onnx"), 20, 16, 3, 11);
        x = SparkTests.rows(240, 20, 21);
        background = SparkTests.rows(4, 20, 99);
        expected = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            expected[i] = SparkTests.reference(model, "kernel-shap", Map.of("samples", 200, "seed", 7L, "baseline",
                    Baseline.distribution(SparkTests.matrix(background))), SparkTests.row(x[i]), Target.classIndex(i % 3));
        }
    }

    private static String required(String property) {
        String v = System.getProperty(property);
        if (v == null || !Files.exists(Path.of(v))) {
            throw new AssertionError("system property " + property + " (" + v + ") must name an existing file; run the "
                    + "test with mvn verify");
        }
        return v;
    }

    @AfterAll
    static void stop() {
        try {
            if (spark != null) {
                spark.stop();
            }
        } finally {
            if (cluster != null) {
                cluster.close();
                assertThat(cluster.alive()).as("every process the test started has stopped").isEmpty();
            }
        }
    }

    private OnnxAttribution stage() {
        return new OnnxAttribution().setModelPath(model.toUri().toString()).setMethod("kernel-shap")
                .setMethodParam("samples", "200").setSeed(7).setInputCol("features").setTargetCol("label")
                .setBackground(SparkTests.frame(spark, background, 3, 1)).setOutputCol("shap").setBatchSize(16);
    }

    @Test
    void resultsEqualTheSingleJvmRunOnBothExecutors() {
        AtomicInteger hosts = new AtomicInteger();
        List<String> executors = new ArrayList<>();
        SparkListener l = new SparkListener() {
            @Override
            public synchronized void onTaskStart(SparkListenerTaskStart e) {
                if (!executors.contains(e.taskInfo().executorId())) {
                    executors.add(e.taskInfo().executorId());
                    hosts.incrementAndGet();
                }
            }
        };
        spark.sparkContext().addSparkListener(l);
        try {
            double[][] got = SparkTests.byId(stage().transform(SparkTests.frame(spark, x, 3, 8)), "shap");
            for (int i = 0; i < x.length; i++) {
                assertThat(got[i]).as("row %d", i).containsExactly(expected[i]);
            }
            assertThat(hosts.get()).as("tasks ran on both executors").isEqualTo(2);
        } finally {
            spark.sparkContext().removeSparkListener(l);
        }
    }

    @Test
    void anExecutorKilledMidJobLeavesTheResultsUnchanged() throws Exception {
        AtomicInteger ended = new AtomicInteger();
        AtomicBoolean killed = new AtomicBoolean();
        AtomicInteger removed = new AtomicInteger();
        SparkListener l = new SparkListener() {
            @Override
            public void onTaskEnd(SparkListenerTaskEnd e) {
                if (ended.incrementAndGet() == 3 && killed.compareAndSet(false, true)) {
                    List<ProcessHandle> ex = cluster.executors();
                    if (!ex.isEmpty()) {
                        ex.get(0).destroyForcibly();
                    }
                }
            }

            @Override
            public void onExecutorRemoved(SparkListenerExecutorRemoved e) {
                removed.incrementAndGet();
            }
        };
        spark.sparkContext().addSparkListener(l);
        try {
            double[][] got = SparkTests.byId(stage().setBatchSize(5).transform(SparkTests.frame(spark, x, 3, 24)), "shap");
            assertThat(killed.get()).as("an executor was killed during the job").isTrue();
            spark.sparkContext().listenerBus().waitUntilEmpty();
            assertThat(removed.get()).as("Spark saw the executor go").isGreaterThanOrEqualTo(1);
            for (int i = 0; i < x.length; i++) {
                assertThat(got[i]).as("row %d", i).containsExactly(expected[i]);
            }
        } finally {
            spark.sparkContext().removeSparkListener(l);
        }
    }

    @Test
    void spreadEvaluationsOfThreeRowsAreScoredByTheExecutorsBitForBit() throws Exception {
        float[][] three = {x[0], x[1], x[2]};
        java.util.Set<Integer> stages = java.util.concurrent.ConcurrentHashMap.newKeySet();
        AtomicInteger tasks = new AtomicInteger();
        SparkListener l = new SparkListener() {
            @Override
            public void onJobStart(org.apache.spark.scheduler.SparkListenerJobStart e) {
                if (SpreadEvaluations.JOB_DESCRIPTION.equals(e.properties().getProperty("spark.job.description"))) {
                    for (Object id : scala.jdk.javaapi.CollectionConverters.asJava(e.stageIds())) {
                        stages.add((Integer) id);
                    }
                }
            }

            @Override
            public void onTaskEnd(SparkListenerTaskEnd e) {
                if (stages.contains(e.stageId()) && e.reason() == org.apache.spark.Success$.MODULE$) {
                    tasks.incrementAndGet();
                }
            }
        };
        spark.sparkContext().addSparkListener(l);
        try {
            double[][] got = SparkTests.byId(stage().setMethodParam("samples", "3000").setSpreadEvaluations(true)
                    .setSpreadPartitions(4).transform(SparkTests.frame(spark, three, 3, 2)), "shap");
            spark.sparkContext().listenerBus().waitUntilEmpty();
            assertThat(tasks.get()).as("scoring tasks").isEqualTo(4);
            for (int i = 0; i < 3; i++) {
                double[] e = SparkTests.reference(model, "kernel-shap", Map.of("samples", 3000, "seed", 7L, "baseline",
                        Baseline.distribution(SparkTests.matrix(background))), SparkTests.row(x[i]), Target.classIndex(i % 3));
                assertThat(got[i]).as("row %d", i).containsExactly(e);
            }
        } finally {
            spark.sparkContext().removeSparkListener(l);
        }
    }

    @Test
    void aMissingModelFailsOnTheDriverBeforeAnyTask() {
        assertThatThrownBy(() -> new OnnxAttribution().setModelPath(dir.resolve("missing.onnx").toUri().toString())
                .setMethod("saliency").setInputCol("features").transform(SparkTests.frame(spark, x, 3, 2)))
                .isInstanceOf(Explain4jException.class).hasMessageContaining("missing.onnx does not exist");
    }
}
