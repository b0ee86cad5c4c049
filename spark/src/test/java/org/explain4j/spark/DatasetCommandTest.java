package org.explain4j.spark;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.explain4j.core.Baseline;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code explain4j dataset} through the command line's own entry point, on local[2]. */
class DatasetCommandTest {
    @TempDir
    Path dir;

    private record Run(int rc, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        picocli.CommandLine cl = org.explain4j.cli.Main.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int rc = cl.execute(args);
        return new Run(rc, out.toString(), err.toString());
    }

    /** A CSV of n rows: id, f0..f5 as text with up to 9 significant digits, label, segment. */
    private static List<String[]> table(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<String[]> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String[] row = new String[9];
            row[0] = "r" + i;
            for (int j = 0; j < 6; j++) {
                row[1 + j] = String.format(Locale.ROOT, "%.8g", r.nextDouble() * 4 - 2);
            }
            row[7] = Integer.toString(i % 3);
            row[8] = i % 2 == 0 ? "north" : "south";
            rows.add(row);
        }
        return rows;
    }

    private static void write(Path file, List<String[]> rows) throws Exception {
        StringBuilder b = new StringBuilder("id,f0,f1,f2,f3,f4,f5,label,segment\n");
        for (String[] r : rows) {
            b.append(String.join(",", r)).append('\n');
        }
        Files.writeString(file, b.toString());
    }

    private static float[] features(String[] row) {
        float[] x = new float[6];
        for (int j = 0; j < 6; j++) {
            x[j] = (float) Double.parseDouble(row[1 + j]);
        }
        return x;
    }

    @Test
    void csvInCsvOutInTheInputsOrderWithExactNumbersAndAReport() throws Exception {
        Path model = TabularMlp.write(dir.resolve("m6.onnx"), 6, 12, 3, 4);
        List<String[]> rows = table(50, 1);
        List<String[]> bg = table(3, 2);
        write(dir.resolve("data.csv"), rows);
        write(dir.resolve("bg.csv"), bg);
        Path out = dir.resolve("out.csv");
        Path report = dir.resolve("report.html");
        Run r = run("dataset", "--input", dir.resolve("data.csv").toString(), "--model", model.toString(),
                "--method", "kernel-shap", "--samples", "64", "--seed", "7", "--baseline", dir.resolve("bg.csv").toString(),
                "--features", "f0,f1,f2,f3,f4,f5", "--target-col", "label", "--group-by", "segment",
                "--output", out.toString(), "--report", report.toString(), "--master", "local[2]", "--partitions", "4",
                "--rows-per-call", "3");
        assertThat(r.rc()).as(r.err()).isZero();
        List<String> lines = Files.readAllLines(out);
        assertThat(lines.get(0)).isEqualTo("id,f0,f1,f2,f3,f4,f5,label,segment,attr_f0,attr_f1,attr_f2,attr_f3,attr_f4,attr_f5");
        assertThat(lines).hasSize(51);
        float[][] b = new float[3][];
        for (int k = 0; k < 3; k++) {
            b[k] = features(bg.get(k));
        }
        for (int i = 0; i < 50; i++) {
            String[] cells = lines.get(i + 1).split(",");
            // the input's cells verbatim, in the input's order
            for (int c = 0; c < 9; c++) {
                assertThat(cells[c]).isEqualTo(rows.get(i)[c]);
            }
            double[] e = SparkTests.reference(model, "kernel-shap", Map.of("samples", 64, "seed", 7L, "baseline",
                    Baseline.distribution(SparkTests.matrix(b))), SparkTests.row(features(rows.get(i))),
                    Target.classIndex(i % 3));
            for (int j = 0; j < 6; j++) {
                assertThat(Double.parseDouble(cells[9 + j])).as("row %d attr_f%d", i, j).isEqualTo(e[j]);
            }
        }
        String html = Files.readString(report);
        assertThat(html).contains("Mean |attribution| per feature").contains("segment = north (25)")
                .contains("segment = south (25)").contains("all rows (50)");
        assertThat(html.split("src=\"data:image/png;base64,", -1)).hasSize(3);
    }

    @Test
    void parquetInParquetOut() throws Exception {
        Path model = TabularMlp.write(dir.resolve("m6.onnx"), 6, 12, 3, 4);
        List<String[]> rows = table(20, 5);
        write(dir.resolve("data.csv"), rows);
        org.apache.spark.sql.SparkSession spark = SparkTests.local();
        spark.read().option("header", "true").option("inferSchema", "true").csv(dir.resolve("data.csv").toString())
                .coalesce(1).write().parquet(dir.resolve("data.parquet").toString());
        Run r = run("dataset", "--input", dir.resolve("data.parquet").toString(), "--model", model.toString(),
                "--method", "saliency", "--features", "f0,f1,f2,f3,f4,f5", "--target", "2",
                "--output", dir.resolve("out.parquet").toString(), "--master", "local[2]");
        assertThat(r.rc()).as(r.err()).isZero();
        spark = SparkTests.local();
        List<org.apache.spark.sql.Row> got = spark.read().parquet(dir.resolve("out.parquet").toString()).collectAsList();
        assertThat(got).hasSize(20);
        for (int i = 0; i < 20; i++) {
            org.apache.spark.sql.Row row = got.get(i);
            assertThat(row.getString(0)).isEqualTo("r" + i);
            float[] x = new float[6];
            for (int j = 0; j < 6; j++) {
                x[j] = (float) row.getDouble(1 + j);
            }
            double[] e = SparkTests.reference(model, "saliency", Map.of(), Tensor.ofFloats(x, 1, 6), Target.classIndex(2));
            for (int j = 0; j < 6; j++) {
                assertThat(row.getDouble(row.fieldIndex("attr_f" + j))).isEqualTo(e[j]);
            }
        }
        spark.stop();
    }

    @Test
    void badFlagsFailFastWithOneLine() throws Exception {
        Path model = TabularMlp.write(dir.resolve("m6.onnx"), 6, 12, 3, 4);
        write(dir.resolve("data.csv"), table(5, 1));
        Run r = run("dataset", "--input", dir.resolve("data.csv").toString(), "--model", model.toString(),
                "--method", "kernel-shap", "--samples", "1", "--output", dir.resolve("o.csv").toString());
        assertThat(r.rc()).isEqualTo(2);
        assertThat(r.err().trim()).startsWith("explain4j: error: --samples").doesNotContain("\n");
        Run w = run("dataset", "--input", dir.resolve("data.csv").toString(), "--model", model.toString(),
                "--method", "kernel-shap", "--window", "3", "--output", dir.resolve("o.csv").toString());
        assertThat(w.rc()).isEqualTo(2);
        assertThat(w.err()).contains("--window").contains("does not apply to kernel-shap");
        Run m = run("dataset", "--input", dir.resolve("data.csv").toString(), "--model", dir.resolve("none.onnx").toString(),
                "--method", "saliency", "--output", dir.resolve("o.csv").toString());
        assertThat(m.err()).contains("--model file not found");
        // labels 0..2 on a 2-class model: the row is named, one line, no output left
        Path m2 = TabularMlp.write(dir.resolve("m2.onnx"), 6, 12, 2, 4);
        Run t = run("dataset", "--input", dir.resolve("data.csv").toString(), "--model", m2.toString(),
                "--method", "saliency", "--features", "f0,f1,f2,f3,f4,f5", "--target-col", "label",
                "--output", dir.resolve("o.csv").toString(), "--master", "local[2]");
        // a target error keeps its kind (exit code 6) and names the flag, not the stage's column
        assertThat(t.rc()).as(t.err()).isEqualTo(6);
        assertThat(t.err().trim()).doesNotContain("\n").contains("row with id 2 ").contains("target 2 is out of range")
                .contains("--on-error diagnose").doesNotContain("onError").doesNotContain("SparkException");
        assertThat(Files.exists(dir.resolve("o.csv"))).isFalse();
    }

    @Test
    void countsBelowOneAreUsageErrorsNamingTheFlag() throws Exception {
        Path model = TabularMlp.write(dir.resolve("m6.onnx"), 6, 12, 3, 4);
        write(dir.resolve("data.csv"), table(5, 1));
        String[][] bad = {{"--partitions", "0"}, {"--partitions", "-3"}, {"--sample", "0"}, {"--sample", "-1"},
            {"--rows-per-call", "0"}, {"--spread-max-values", "5"}};
        for (String[] b : bad) {
            Run r = run("dataset", "--input", dir.resolve("data.csv").toString(), "--model", model.toString(),
                    "--method", "kernel-shap", "--features", "f0,f1,f2,f3,f4,f5", "--output", dir.resolve("o.csv").toString(),
                    b[0], b[1]);
            assertThat(r.rc()).as("%s %s: %s", b[0], b[1], r.err()).isEqualTo(2);
            assertThat(r.err().trim()).as("%s %s", b[0], b[1]).startsWith("explain4j: error: " + b[0]).doesNotContain("\n");
        }
        Run g = run("dataset", "--input", dir.resolve("data.csv").toString(), "--model", model.toString(),
                "--method", "saliency", "--spread", "--features", "f0,f1,f2,f3,f4,f5", "--output",
                dir.resolve("o.csv").toString());
        assertThat(g.rc()).as(g.err()).isEqualTo(9);
        assertThat(g.err().trim()).contains("saliency runs backward passes").contains("drop --spread")
                .doesNotContain("spreadEvaluations").doesNotContain("\n");
        assertThat(Files.exists(dir.resolve("o.csv"))).isFalse();
    }

    /** {@code args} followed by {@code more}. */
    private static String[] plus(String[] args, String... more) {
        List<String> out = new ArrayList<>(List.of(args));
        out.addAll(List.of(more));
        return out.toArray(String[]::new);
    }

    @Test
    void spreadGivesTheSameFileAsTheDefaultPath() throws Exception {
        Path model = TabularMlp.write(dir.resolve("m6.onnx"), 6, 12, 3, 4);
        List<String[]> rows = table(4, 3);
        write(dir.resolve("data.csv"), rows);
        String[] common = {"dataset", "--input", dir.resolve("data.csv").toString(), "--model", model.toString(),
            "--method", "kernel-shap", "--samples", "40", "--seed", "3", "--features", "f0,f1,f2,f3,f4,f5",
            "--target-col", "label", "--master", "local[2]", "--partitions", "3"};
        Run a = run(plus(common, "--output", dir.resolve("plain.csv").toString()));
        assertThat(a.rc()).as(a.err()).isZero();
        Run b = run(plus(common, "--spread", "--output", dir.resolve("spread.csv").toString()));
        assertThat(b.rc()).as(b.err()).isZero();
        List<String> p = Files.readAllLines(dir.resolve("plain.csv"));
        assertThat(p).hasSize(5);
        assertThat(Files.readAllLines(dir.resolve("spread.csv"))).isEqualTo(p);
        // and over the driver's bound: refused naming the command's flag
        Run c = run(plus(common, "--spread", "--spread-max-values", "100", "--output", dir.resolve("small.csv").toString()));
        assertThat(c.rc()).isEqualTo(2);
        assertThat(c.err().trim()).contains("--spread-max-values").doesNotContain("spreadMaxValues").doesNotContain("\n");
        assertThat(Files.exists(dir.resolve("small.csv"))).isFalse();
    }

    @Test
    void aMethodWithARequiredParameterRuns() throws Exception {
        // the parameters reach the stage before the method, so occlusion's required window is there when it is checked
        Path model = TabularMlp.write(dir.resolve("m6.onnx"), 6, 12, 3, 4);
        List<String[]> rows = table(3, 9);
        write(dir.resolve("data.csv"), rows);
        Run r = run("dataset", "--input", dir.resolve("data.csv").toString(), "--model", model.toString(),
                "--method", "occlusion", "--window", "2", "--features", "f0,f1,f2,f3,f4,f5", "--target", "1",
                "--output", dir.resolve("occ.csv").toString(), "--master", "local[2]");
        assertThat(r.rc()).as(r.err()).isZero();
        List<String> lines = Files.readAllLines(dir.resolve("occ.csv"));
        assertThat(lines).hasSize(4);
        for (int i = 0; i < 3; i++) {
            String[] cells = lines.get(i + 1).split(",");
            double[] e = SparkTests.reference(model, "occlusion", Map.of("window", new int[] {2}),
                    SparkTests.row(features(rows.get(i))), Target.classIndex(1));
            for (int j = 0; j < 6; j++) {
                assertThat(Double.parseDouble(cells[9 + j])).as("row %d attr_f%d", i, j).isEqualTo(e[j]);
            }
        }
    }

    @Test
    void aFailingRowReachesStderrAsOneLineWithoutSparksLogs() throws Exception {
        Path model = TabularMlp.write(dir.resolve("m6.onnx"), 6, 12, 3, 4);
        List<String[]> rows = table(8, 3);
        rows.get(5)[7] = "7";
        write(dir.resolve("data.csv"), rows);
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        java.io.PrintStream original = System.err;
        Run r;
        System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            r = run("dataset", "--input", dir.resolve("data.csv").toString(), "--model", model.toString(),
                    "--method", "saliency", "--features", "f0,f1,f2,f3,f4,f5", "--target-col", "label",
                    "--output", dir.resolve("out.csv").toString(), "--master", "local[2]");
        } finally {
            System.setErr(original);
        }
        assertThat(r.rc()).as(r.err()).isNotZero();
        assertThat(r.err().strip().lines().count()).as("one line: %s", r.err()).isEqualTo(1);
        assertThat(r.err()).startsWith("explain4j: error: ").contains("7");
        assertThat(captured.toString(java.nio.charset.StandardCharsets.UTF_8)).as("Spark's log lines on stderr").isEmpty();
        assertThat(org.apache.logging.log4j.LogManager.getRootLogger().getLevel())
                .isEqualTo(org.apache.logging.log4j.Level.OFF);
    }
}
