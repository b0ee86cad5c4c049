package org.explain4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.explain4j.core.Tensor;
import org.explain4j.core.io.Npy;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs every case of ../shared/golden/manifest.json and manifest-next.json through the command
 * line contract described in its README ({@code explain4j attribute}, each param as a flag) and
 * compares with the reference attributions within the case's tolerance. A case the command line
 * cannot run (an unknown method or flag) fails. Without the golden folder the cases are skipped,
 * or fail with {@code -Dexplain4j.requireGolden=true} ({@link Golden}).
 */
class GoldenCasesTest {
    /** The manifests read, in order; manifest-next.json holds cases for what the CLI is gaining. */
    private static final List<String> MANIFESTS = List.of("manifest.json", "manifest-next.json");

    @TempDir
    Path tmp;

    @TestFactory
    Stream<DynamicTest> goldenCases_matchTheReferenceWithinTheirTolerance() throws Exception {
        if (!Golden.present()) {
            // one test that fails (required) or is reported as skipped
            return Stream.of(DynamicTest.dynamicTest("golden folder", () -> Golden.folder()));
        }
        Path golden = Golden.folder();
        List<DynamicTest> tests = new ArrayList<>();
        for (String name : MANIFESTS) {
            Path file = golden.resolve(name);
            if (!Files.isRegularFile(file)) {
                assertThat(name).as("manifest.json must exist in %s", golden).isNotEqualTo("manifest.json");
                continue;
            }
            JsonNode manifest = new ObjectMapper().readTree(file.toFile());
            assertThat(manifest.path("format").asInt()).as("%s: format", name).isEqualTo(1);
            assertThat(manifest.path("cases").size()).as("%s: number of cases", name).isPositive();
            for (JsonNode c : manifest.get("cases")) {
                tests.add(DynamicTest.dynamicTest(name + ": " + c.get("id").asText(), () -> runCase(golden, c)));
            }
        }
        return tests.stream();
    }

    /** The {@code explain4j attribute} arguments of a case: each param {@code p_q} as {@code --p-q VALUE}. */
    static List<String> arguments(Path golden, JsonNode c, Path output) {
        List<String> args = new ArrayList<>(List.of("attribute", "--quiet",
                "--model", golden.resolve(c.get("model").asText()).toString(),
                "--input", golden.resolve(c.get("input").asText()).toString(),
                "--method", c.get("method").asText(), "--output", output.toString()));
        Iterator<Map.Entry<String, JsonNode>> params = c.get("params").fields();
        while (params.hasNext()) {
            Map.Entry<String, JsonNode> p = params.next();
            args.add("--" + p.getKey().replace('_', '-'));
            args.add(flagValue(golden, p.getValue()));
        }
        return args;
    }

    private void runCase(Path golden, JsonNode c) {
        String id = c.get("id").asText();
        Path out = tmp.resolve(id + ".npy");
        List<String> args = arguments(golden, c, out);
        CliRunner.Run r = CliRunner.run(args.toArray(String[]::new));
        assertThat(r.exitCode()).as("exit code of explain4j %s (expected 0); stderr: %s", String.join(" ", args), r.err())
                .isZero();
        Tensor actual = Npy.read(out);
        Tensor expected = Npy.read(golden.resolve(c.get("expected").asText()));
        assertThat(actual.shape()).as("%s: output shape, expected that of the reference", id)
                .containsExactly(expected.shape());
        double maxErr = 0;
        double maxRef = 0;
        int worst = -1;
        for (int i = 0; i < expected.size(); i++) {
            double err = Math.abs(actual.getDouble(i) - expected.getDouble(i));
            if (!(err <= maxErr)) {
                maxErr = Double.isNaN(err) ? Double.POSITIVE_INFINITY : err;
                worst = i;
            }
            maxRef = Math.max(maxRef, Math.abs(expected.getDouble(i)));
        }
        assertThat(maxRef).as("%s: the reference is not all zeros", id).isPositive();
        double tolerance = c.get("tolerance").get("max_abs_err_over_max_abs").asDouble();
        assertThat(maxErr / maxRef)
                .as("%s: max|actual - expected| / max|expected| (worst at %d: %s vs %s), expected at most %s", id, worst,
                        worst < 0 ? "-" : actual.getDouble(worst), worst < 0 ? "-" : expected.getDouble(worst), tolerance)
                .isLessThanOrEqualTo(tolerance);
    }

    /** Lists joined by ',', booleans lower-case, numbers as written, a file of the golden folder as its path. */
    static String flagValue(Path golden, JsonNode v) {
        if (v.isArray()) {
            List<String> parts = new ArrayList<>();
            v.forEach(e -> parts.add(flagValue(golden, e)));
            return String.join(",", parts);
        }
        if (v.isBoolean()) {
            return Boolean.toString(v.booleanValue());
        }
        if (v.isNumber()) {
            return v.numberValue().toString();
        }
        String s = v.asText();
        return Files.isRegularFile(golden.resolve(s)) ? golden.resolve(s).toString() : s;
    }
}
