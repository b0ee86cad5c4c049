package org.explain4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.explain4j.core.ErrorKind;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.MethodCatalog;
import org.explain4j.core.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The catalogue seen from the command line: the README table, {@code methods}, and flags derived from parameters. */
class MethodCatalogCliTest {
    private static final String BEGIN = "<!-- methods:begin (generated: ./explain4j methods --format markdown) -->";
    private static final String END = "<!-- methods:end -->";

    @TempDir
    Path tmp;

    @Test
    void readmeMethodTable_isTheCataloguesTable() throws Exception {
        String readme = Files.readString(Path.of(System.getProperty("user.dir")).getParent().resolve("README.md"));
        int from = readme.indexOf(BEGIN);
        int to = readme.indexOf(END);
        assertThat(from).as("README.md has the marker %s", BEGIN).isPositive();
        assertThat(to).as("README.md has the marker %s", END).isGreaterThan(from);
        String table = readme.substring(from + BEGIN.length(), to).strip() + "\n";
        assertThat(table).as("README's method table differs from the catalogue: regenerate it with "
                + "'./explain4j methods --format markdown'").isEqualTo(MethodsCommand.markdown(MethodCatalog.all()));
    }

    @Test
    void methodsJson_listsEveryMethodWithTypedParameters() throws Exception {
        CliRunner.Run r = CliRunner.run("methods", "--format", "json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode root = new ObjectMapper().readTree(r.out());
        assertThat(root.get("format").asInt()).isEqualTo(1);
        assertThat(root.get("methods")).hasSize(MethodCatalog.names().size());
        JsonNode ig = find(root, "integrated-gradients");
        assertThat(ig.get("family").asText()).isEqualTo("gradient");
        assertThat(ig.get("models").asText()).isEqualTo("differentiable");
        JsonNode steps = param(ig, "steps");
        assertThat(steps.get("type").asText()).isEqualTo("int");
        assertThat(steps.get("default").asInt()).isEqualTo(50);
        assertThat(steps.get("minimum").asDouble()).isEqualTo(1.0);
        assertThat(steps.get("role").asText()).isEqualTo("budget");
        assertThat(param(ig, "integration").get("choices").toString()).contains("riemann_trapezoid");
        JsonNode sg = find(root, "smoothgrad");
        assertThat(sg.get("deterministic").asBoolean()).isFalse();
        assertThat(param(sg, "steps").get("applies_when").get("inner").get(0).asText()).isEqualTo("integrated-gradients");
        assertThat(param(sg, "seed").get("role").asText()).isEqualTo("seed");
        JsonNode occ = find(root, "occlusion");
        assertThat(occ.get("models").asText()).isEqualTo("any");
        assertThat(param(occ, "window").get("required").asBoolean()).isTrue();
        assertThat(param(find(root, "deeplift"), "batch-size").get("minimum").asDouble()).isEqualTo(2.0);
        assertThat(find(root, "feature-permutation").get("needs").toString()).contains("batch-of-two");
    }

    @Test
    void methodsTable_showsFlagsDefaultsAndConditions() {
        CliRunner.Run r = CliRunner.run("methods", "smoothgrad");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("smoothgrad  (gradient; ONNX models; seeded")
                .contains("--samples int = 5, at least 1").contains("--steps int = 50, between 1 and 1000000, only with --inner "
                        + "integrated-gradients").doesNotContain("occlusion");
        assertThat(CliRunner.run("methods", "nope").exitCode()).isEqualTo(ErrorKind.USAGE.exitCode());
    }

    @Test
    void attributeHelp_listsEveryCatalogueParameterAsAFlag() {
        String help = CliRunner.run("attribute", "--help").out();
        for (String p : MethodOptions.all().keySet()) {
            assertThat(help).as("--%s in attribute --help", p).contains("--" + p);
        }
    }

    @Test
    void flagErrors_nameTheFlag() {
        Path x = tmp.resolve("x.npy");
        Npy.write(Tensor.ofFloats(new float[12], 2, 6), x);
        String model = CliRunner.fixtures().resolve("linear.onnx").toString();
        CliRunner.Run steps = CliRunner.run("attribute", "--quiet", "--model", model, "--input", x.toString(), "--output",
                tmp.resolve("o.npy").toString(), "--method", "integrated-gradients", "--steps", "0");
        assertThat(steps.exitCode()).isEqualTo(ErrorKind.USAGE.exitCode());
        assertThat(steps.err().strip()).isEqualTo("explain4j: error: --steps must be between 1 and 1000000 (got 0)");
        CliRunner.Run abs = CliRunner.run("attribute", "--quiet", "--model", model, "--input", x.toString(), "--output",
                tmp.resolve("o.npy").toString(), "--method", "smoothgrad", "--inner", "integrated-gradients", "--abs", "true");
        assertThat(abs.err().strip()).isEqualTo("explain4j: error: --abs does not apply to smoothgrad with inner "
                + "'integrated-gradients'; it applies when inner is saliency");
        CliRunner.Run deeplift = CliRunner.run("attribute", "--quiet", "--model", model, "--input", x.toString(), "--output",
                tmp.resolve("o.npy").toString(), "--method", "deeplift", "--batch-size", "1");
        assertThat(deeplift.err().strip()).isEqualTo("explain4j: error: --batch-size must be at least 2 (got 1)");
        assertThat(Files.exists(tmp.resolve("o.npy"))).as("no output after an error").isFalse();
    }

    @Test
    void outputOnTheInputOrModel_isRefusedAndNothingIsOverwritten() throws Exception {
        Path x = tmp.resolve("x.npy");
        Npy.write(Tensor.ofFloats(new float[] {1, 2, 3, 4, 5, 6}, 1, 6), x);
        Path model = tmp.resolve("m.onnx");
        Files.copy(CliRunner.fixtures().resolve("linear.onnx"), model);
        byte[] before = Files.readAllBytes(model);
        CliRunner.Run onInput = CliRunner.run("attribute", "--quiet", "--model", model.toString(), "--input", x.toString(),
                "--output", tmp.resolve(".").resolve("x.npy").toString(), "--method", "saliency");
        assertThat(onInput.exitCode()).isEqualTo(ErrorKind.USAGE.exitCode());
        assertThat(onInput.err()).contains("--output").contains("is the --input file");
        assertThat(Npy.read(x).toDoubleArray()).containsExactly(1, 2, 3, 4, 5, 6);
        CliRunner.Run onModel = CliRunner.run("attribute", "--quiet", "--model", model.toString(), "--input", x.toString(),
                "--output", model.toString(), "--method", "saliency");
        assertThat(onModel.err()).contains("is the --model file");
        assertThat(Files.readAllBytes(model)).isEqualTo(before);
    }

    private static JsonNode find(JsonNode root, String name) {
        for (JsonNode m : root.get("methods")) {
            if (m.get("name").asText().equals(name)) {
                return m;
            }
        }
        throw new AssertionError("no method " + name + " in the JSON listing");
    }

    private static JsonNode param(JsonNode method, String name) {
        for (JsonNode p : method.get("params")) {
            if (p.get("name").asText().equals(name)) {
                return p;
            }
        }
        throw new AssertionError("no parameter " + name + " in " + method.get("name"));
    }
}
