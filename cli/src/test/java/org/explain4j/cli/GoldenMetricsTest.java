package org.explain4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.explain4j.core.Tensor;
import org.explain4j.core.io.Npy;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs every case of ../shared/golden/metrics/manifest.json through {@code explain4j evaluate} as
 * its README's "Command line" states (each param as a flag, files relative to the folder) and
 * checks it with the README's "Tolerances": shapes equal, NaN positions equal,
 * {@code max|actual - expected| / max|expected|} over the other entries, {@code any_of} candidates,
 * {@code exact_columns} plus the {@code statistical} band. A case the command line cannot run (an
 * unknown metric or flag) fails. {@code -Dexplain4j.goldenMetrics=a,b} runs only the cases of
 * those metrics (absent: all). Without the folder the cases are skipped, or fail with
 * {@code -Dexplain4j.requireGolden=true}.
 */
class GoldenMetricsTest {
    @TempDir
    Path tmp;

    static Path folder() {
        Path golden = CliRunner.shared().resolve("golden").resolve("metrics");
        boolean present = Files.isRegularFile(golden.resolve("manifest.json"));
        String why = "expected the metric golden cases in " + golden.toAbsolutePath().normalize()
                + " (system property explain4j.shared), but it has no manifest.json";
        if (!present && Golden.required()) {
            fail(why + "; -Dexplain4j.requireGolden=true makes that a failure");
        }
        assumeTrue(present, why + "; skipped (CI sets -Dexplain4j.requireGolden=true)");
        return golden;
    }

    static Set<String> filter() {
        String f = System.getProperty("explain4j.goldenMetrics", "").trim();
        return f.isEmpty() ? Set.of() : Arrays.stream(f.split(",")).map(String::trim).collect(Collectors.toSet());
    }

    @TestFactory
    Stream<DynamicTest> goldenMetricCases_matchTheReferenceWithinTheirTolerance() throws Exception {
        if (!Files.isRegularFile(CliRunner.shared().resolve("golden").resolve("metrics").resolve("manifest.json"))) {
            return Stream.of(DynamicTest.dynamicTest("metrics golden folder", GoldenMetricsTest::folder));
        }
        Path golden = folder();
        JsonNode manifest = new ObjectMapper().readTree(golden.resolve("manifest.json").toFile());
        assertThat(manifest.path("format").asInt()).as("metrics manifest format").isEqualTo(1);
        assertThat(manifest.path("cases").size()).as("number of metric cases").isPositive();
        Set<String> only = filter();
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : manifest.get("cases")) {
            if (only.isEmpty() || only.contains(c.get("metric").asText())) {
                tests.add(DynamicTest.dynamicTest(c.get("id").asText(), () -> runCase(golden, c)));
            }
        }
        assertThat(tests).as("cases selected by -Dexplain4j.goldenMetrics=%s", only).isNotEmpty();
        return tests.stream();
    }

    /** The {@code explain4j evaluate} arguments of a case: each param {@code p_q} as {@code --p-q VALUE}. */
    static List<String> arguments(Path golden, JsonNode c, Path output) {
        List<String> args = new ArrayList<>(List.of("evaluate", "--quiet",
                "--model", golden.resolve(c.get("model").asText()).toString(),
                "--input", golden.resolve(c.get("input").asText()).toString(),
                "--attribution", golden.resolve(c.get("attribution").asText()).toString(),
                "--metric", c.get("metric").asText(), "--output", output.toString()));
        if (c.hasNonNull("mask")) {
            args.add("--mask");
            args.add(golden.resolve(c.get("mask").asText()).toString());
        }
        Iterator<Map.Entry<String, JsonNode>> params = c.get("params").fields();
        while (params.hasNext()) {
            Map.Entry<String, JsonNode> p = params.next();
            args.add("--" + p.getKey().replace('_', '-'));
            args.add(GoldenCasesTest.flagValue(golden, p.getValue()));
        }
        return args;
    }

    static Tensor run(Path golden, JsonNode c, Path out) {
        List<String> args = arguments(golden, c, out);
        CliRunner.Run r = CliRunner.run(args.toArray(String[]::new));
        assertThat(r.exitCode()).as("exit code of explain4j %s (expected 0); stderr: %s", String.join(" ", args), r.err())
                .isZero();
        return Npy.read(out);
    }

    private void runCase(Path golden, JsonNode c) {
        String id = c.get("id").asText();
        Tensor actual = run(golden, c, tmp.resolve(id + ".npy"));
        Tensor expected = Npy.read(golden.resolve(c.get("expected").asText()));
        JsonNode tol = c.get("tolerance");
        assertThat(actual.shape()).as("%s: output shape, expected that of the reference", id)
                .containsExactly(expected.shape());
        for (int i = 0; i < expected.size(); i++) {
            int at = i;
            assertThat(Double.isNaN(actual.getDouble(i))).as("%s: NaN at flat index %d (actual %s, expected %s)", id, at,
                    actual.getDouble(i), expected.getDouble(i)).isEqualTo(Double.isNaN(expected.getDouble(i)));
        }
        if (tol.has("any_of")) {
            anyOf(golden, id, actual, tol);
            return;
        }
        int[] shape = expected.shape();
        int cols = shape.length == 2 ? shape[1] : 1;
        boolean[] exact = new boolean[cols];
        boolean[] statistical = new boolean[cols];
        if (tol.has("statistical")) {
            JsonNode sc = tol.get("statistical").get("columns");
            for (int j = 0; j < cols; j++) {
                statistical[j] = sc == null || sc.isTextual();
            }
            if (sc != null && sc.isArray()) {
                sc.forEach(v -> statistical[v.asInt()] = true);
            }
            if (tol.has("exact_columns")) {
                tol.get("exact_columns").forEach(v -> exact[v.asInt()] = true);
            }
            statistical(golden, id, actual, tol.get("statistical"), statistical);
        } else {
            Arrays.fill(exact, true);
        }
        if (!tol.has("max_abs_err_over_max_abs")) {
            return;
        }
        double maxErr = 0;
        double maxRef = 0;
        int worst = -1;
        for (int i = 0; i < expected.size(); i++) {
            if (!exact[i % cols] || Double.isNaN(expected.getDouble(i))) {
                continue;
            }
            double err = Math.abs(actual.getDouble(i) - expected.getDouble(i));
            if (!(err <= maxErr)) {
                maxErr = Double.isNaN(err) ? Double.POSITIVE_INFINITY : err;
                worst = i;
            }
            maxRef = Math.max(maxRef, Math.abs(expected.getDouble(i)));
        }
        double tolerance = tol.get("max_abs_err_over_max_abs").asDouble();
        double rel = maxRef == 0 ? maxErr : maxErr / maxRef;
        assertThat(rel).as("%s: max|actual - expected| / max|expected| (worst at %d: %s vs %s), expected at most %s", id,
                worst, worst < 0 ? "-" : actual.getDouble(worst), worst < 0 ? "-" : expected.getDouble(worst), tolerance)
                .isLessThanOrEqualTo(tolerance);
    }

    /** Each example matches one of its candidates within the tolerance, relative to the largest |candidate|. */
    private static void anyOf(Path golden, String id, Tensor actual, JsonNode tol) {
        Tensor cand = Npy.read(golden.resolve(tol.get("any_of").asText()));
        double tolerance = tol.get("max_abs_err_over_max_abs").asDouble();
        int n = cand.dim(0);
        int k = cand.dim(1);
        double maxRef = 0;
        for (int i = 0; i < cand.size(); i++) {
            if (!Double.isNaN(cand.getDouble(i))) {
                maxRef = Math.max(maxRef, Math.abs(cand.getDouble(i)));
            }
        }
        for (int e = 0; e < n; e++) {
            double best = Double.POSITIVE_INFINITY;
            for (int j = 0; j < k; j++) {
                double v = cand.getDouble(e * k + j);
                if (!Double.isNaN(v)) {
                    best = Math.min(best, Math.abs(actual.getDouble(e) - v));
                }
            }
            assertThat(best / maxRef).as("%s: example %d (%s) is within %s of one of its candidates", id, e,
                    actual.getDouble(e), tolerance).isLessThanOrEqualTo(tolerance);
        }
    }

    /** Every checked entry within {@code k_sigma * std + abs_slack} of the reference runs' mean. */
    private static void statistical(Path golden, String id, Tensor actual, JsonNode st, boolean[] checked) {
        Tensor mean = Npy.read(golden.resolve(st.get("mean").asText()));
        Tensor std = Npy.read(golden.resolve(st.get("std").asText()));
        double k = st.get("k_sigma").asDouble();
        double slack = st.get("abs_slack").asDouble();
        int cols = checked.length;
        boolean full = Arrays.equals(mean.shape(), actual.shape());
        int[] columns = java.util.stream.IntStream.range(0, cols).filter(j -> checked[j]).toArray();
        for (int i = 0; i < actual.size(); i++) {
            int col = i % cols;
            if (!checked[col]) {
                continue;
            }
            int ref = full ? i : (i / cols) * columns.length + Arrays.binarySearch(columns, col);
            double m = mean.getDouble(ref);
            double band = k * std.getDouble(ref) + slack;
            assertThat(Math.abs(actual.getDouble(i) - m)).as("%s: entry %d (%s) within %s * std + %s of the reference mean %s",
                    id, i, actual.getDouble(i), k, slack, m).isLessThanOrEqualTo(band);
        }
    }
}
