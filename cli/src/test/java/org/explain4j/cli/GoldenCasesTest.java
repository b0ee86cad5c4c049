package org.explain4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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
 * Runs every case of ../shared/golden/manifest.json through the command-line contract described
 * in its README and compares with the reference attributions within the case's tolerance.
 * Cases whose method is not implemented yet are reported as skipped.
 */
class GoldenCasesTest {
    @TempDir
    Path tmp;

    @TestFactory
    Stream<DynamicTest> goldenCases() throws Exception {
        Path golden = CliRunner.shared().resolve("golden");
        assumeTrue(Files.isRegularFile(golden.resolve("manifest.json")), "no ../shared/golden beside the repository");
        JsonNode manifest = new ObjectMapper().readTree(golden.resolve("manifest.json").toFile());
        assertThat(manifest.get("format").asInt()).isEqualTo(1);
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : manifest.get("cases")) {
            String id = c.get("id").asText();
            tests.add(DynamicTest.dynamicTest(id, () -> runCase(golden, c)));
        }
        return tests.stream();
    }

    private void runCase(Path golden, JsonNode c) {
        String method = c.get("method").asText();
        assumeTrue(org.explain4j.core.catalog.MethodCatalog.names().contains(method), "method " + method + " is not implemented yet");
        Path out = tmp.resolve(c.get("id").asText() + ".npy");
        List<String> args = new ArrayList<>(List.of("attribute", "--quiet",
                "--model", golden.resolve(c.get("model").asText()).toString(),
                "--input", golden.resolve(c.get("input").asText()).toString(),
                "--method", method, "--output", out.toString()));
        Iterator<Map.Entry<String, JsonNode>> params = c.get("params").fields();
        while (params.hasNext()) {
            Map.Entry<String, JsonNode> p = params.next();
            args.add("--" + p.getKey().replace('_', '-'));
            args.add(flagValue(golden, p.getValue()));
        }
        CliRunner.Run r = CliRunner.run(args.toArray(String[]::new));
        assertThat(r.exitCode()).as("exit code; stderr: %s", r.err()).isZero();
        Tensor actual = Npy.read(out);
        Tensor expected = Npy.read(golden.resolve(c.get("expected").asText()));
        assertThat(actual.shape()).as("output shape").containsExactly(expected.shape());
        double maxErr = 0;
        double maxRef = 0;
        for (int i = 0; i < expected.size(); i++) {
            maxErr = Math.max(maxErr, Math.abs(actual.getDouble(i) - expected.getDouble(i)));
            maxRef = Math.max(maxRef, Math.abs(expected.getDouble(i)));
        }
        double tolerance = c.get("tolerance").get("max_abs_err_over_max_abs").asDouble();
        assertThat(maxErr / maxRef).as("max|actual - expected| / max|expected| for %s", c.get("id").asText())
                .isLessThanOrEqualTo(tolerance);
    }

    private static String flagValue(Path golden, JsonNode v) {
        if (v.isArray()) {
            List<String> parts = new ArrayList<>();
            v.forEach(e -> parts.add(e.asText()));
            return String.join(",", parts);
        }
        String s = v.asText();
        return s.endsWith(".npy") ? golden.resolve(s).toString() : s;
    }
}
