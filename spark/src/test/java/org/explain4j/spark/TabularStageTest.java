package org.explain4j.spark;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.explain4j.core.io.Npy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the transformer's tests on local[2] share: the session, the 20-feature 3-class MLP, seeded
 * data and reference rows, the KernelSHAP stage they explain with, and {@code explain4j attribute}
 * on one row for comparison. A subclass calls {@link #start} from its own {@code @BeforeAll}.
 */
abstract class TabularStageTest {
    static SparkSession spark;
    @TempDir
    static Path dir;
    static Path model;
    static float[][] x;
    static float[][] background;

    /** A local session, the model written under {@link #dir}, {@code rows} data rows and {@code backgroundRows} reference rows. */
    static void start(int rows, int backgroundRows) {
        spark = SparkTests.local();
        model = TabularMlp.write(dir.resolve("mlp20.onnx"), 20, 16, 3, 11);
        x = SparkTests.rows(rows, 20, 5);
        background = SparkTests.rows(backgroundRows, 20, 99);
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    /** KernelSHAP of the label's class on the features column, seed 7, the reference rows as background, into "shap". */
    static OnnxAttribution kernelShap(int samples) {
        return new OnnxAttribution().setModelPath(model.toUri().toString()).setMethod("kernel-shap")
                .setMethodParam("samples", Integer.toString(samples)).setSeed(7).setInputCol("features").setTargetCol("label")
                .setBackground(SparkTests.frame(spark, background, 3, 1)).setOutputCol("shap");
    }

    /** {@code explain4j attribute} with the same KernelSHAP on row {@code i} alone (target i % 3), as written to its output. */
    static double[] commandLine(int i, int samples) {
        Path bg = dir.resolve("bg.npy");
        Npy.write(SparkTests.matrix(background), bg);
        Path in = dir.resolve("row" + i + ".npy");
        Path out = dir.resolve("attr" + i + ".npy");
        Npy.write(SparkTests.row(x[i]), in);
        StringWriter err = new StringWriter();
        picocli.CommandLine cl = org.explain4j.cli.Main.commandLine();
        cl.setErr(new PrintWriter(err));
        int rc = cl.execute("attribute", "--model", model.toString(), "--input", in.toString(), "--method", "kernel-shap",
                "--samples", Integer.toString(samples), "--seed", "7", "--baseline", bg.toString(), "--target",
                Integer.toString(i % 3), "--output", out.toString(), "--quiet");
        assertThat(rc).as(err.toString()).isZero();
        return Npy.read(out).toDoubleArray();
    }
}
