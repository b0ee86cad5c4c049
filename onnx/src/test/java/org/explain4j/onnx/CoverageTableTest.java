package org.explain4j.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.explain4j.core.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The coverage tool's structure: every committed fixture (test models, motifs, real models) gets
 * a row with a cell per method, perturbation runs on every single-input model, a method that
 * does not run says why in one line, and where the gradient runs it agrees with PyTorch. It
 * does not require the families that lack op rules or multi-input support to run yet.
 *
 * <p>With {@code -Dexplain4j.coverage.out=FILE} (and optionally
 * {@code -Dexplain4j.coverage.fullSize=DIR} from {@code scripts/torchvision_coverage.py}) it also
 * writes the table there: that is how {@code docs/COVERAGE.md} is made.
 */
class CoverageTableTest {
    static List<CoverageTable.Row> rows;
    static String markdown;

    @BeforeAll
    static void runTool() throws IOException {
        List<CoverageTable.Entry> entries = new ArrayList<>(CoverageTable.committedEntries());
        String full = System.getProperty("explain4j.coverage.fullSize", "");
        if (!full.isBlank()) {
            entries.addAll(CoverageTable.fullSizeEntries(Path.of(full)));
        }
        rows = CoverageTable.run(entries);
        String cmd = "mvn -B -o -q -pl core,onnx -am verify -Dtest=CoverageTableTest -Dsurefire.failIfNoSpecifiedTests=false "
                + "-Dexplain4j.coverage.out=$PWD/docs/COVERAGE.md"
                + (full.isBlank() ? "" : " -Dexplain4j.coverage.fullSize=" + full);
        markdown = CoverageTable.markdown(rows, cmd);
        String out = System.getProperty("explain4j.coverage.out", "");
        if (!out.isBlank()) {
            Files.writeString(Path.of(out), markdown);
        }
    }

    @Test
    void everyCommittedFixture_hasARowWithACellPerMethod() {
        List<String> names = rows.stream().map(r -> r.entry().name()).toList();
        assertThat(names).contains("linear", "mlp_softmax", "residual_cnn", "text_embedding_bag", "text_embedding_bag_loop",
                "mlp_opset11", "mlp_opset17", "ppocr_cls (PP-OCR v2.0 orientation)", "silero_vad_v5", "all-MiniLM-L6-v2");
        Motifs.all().forEach(m -> assertThat(names).contains(m.name()));
        for (CoverageTable.Row r : rows) {
            assertThat(r.cells().keySet()).as(r.entry().name()).containsExactlyElementsOf(CoverageTable.METHODS);
            assertThat(r.ops()).as(r.entry().name() + " ops").isNotEmpty();
            assertThat(markdown).contains("| `" + r.entry().name() + "` |");
        }
    }

    @Test
    void perturbation_runsOnEverySingleInputModel() {
        int single = 0;
        for (CoverageTable.Row r : rows) {
            if (r.entry().inputs().size() == 1) {
                single++;
                assertThat(r.cells().get("perturbation").ran()).as(r.entry().name() + ": " + r.cells().get("perturbation").reason())
                        .isTrue();
                assertThat(CoverageTable.families(r)).contains("perturbation");
            }
        }
        assertThat(single).isGreaterThanOrEqualTo(7 + 10 + 3);
    }

    @Test
    void aMethodThatDoesNotRun_saysWhyInOneLine() {
        for (CoverageTable.Row r : rows) {
            r.cells().forEach((m, c) -> {
                if (!c.ran()) {
                    assertThat(c.reason()).as(r.entry().name() + " " + m).isNotBlank().doesNotContain("\n");
                }
            });
        }
        // the layer method applies to token models only
        CoverageTable.Row cnn = row("residual_cnn");
        assertThat(cnn.cells().get("layer-integrated-gradients").applicable()).isFalse();
        assertThat(row("lstm_text").cells().get("layer-integrated-gradients").applicable()).isTrue();
    }

    @Test
    void modelsWithOpRulesToday_runEveryGradientFamily() {
        // ops covered by the current rules: the small fixtures and the plainest motifs
        for (String name : List.of("residual_cnn", "mlp_opset17")) {
            CoverageTable.Row r = row(name);
            for (String m : List.of("saliency", "integrated-gradients", "deeplift", "lrp", "guided-backprop")) {
                assertThat(r.cells().get(m).ran()).as(name + " " + m + ": " + r.cells().get(m).reason()).isTrue();
            }
        }
        assertThat(row("text_embedding_bag").cells().get("layer-integrated-gradients").ran()).isTrue();
        // a 6-layer BERT with its extra inputs computed in the graph: layer IG at the word embedding
        CoverageTable.Row mini = row("all-MiniLM-L6-v2, ids only");
        assertThat(mini.cells().get("layer-integrated-gradients").ran())
                .as(mini.cells().get("layer-integrated-gradients").reason()).isTrue();
    }

    /**
     * Gradients known to disagree with PyTorch, with the cause found: the test fails when one of
     * them starts to agree, so that the entry is removed. (vit_block was here until an identity
     * Transpose after a Gemm, emitted by the Gather rule for {@code x[:, 0]}, was no longer emitted.)
     */
    static final Map<String, String> KNOWN_DISAGREEMENT = Map.of();

    @Test
    void whereTheGradientRuns_itAgreesWithPyTorch() {
        int compared = 0;
        for (CoverageTable.Row r : rows) {
            // full-size rows (only with -Dexplain4j.coverage.fullSize) are reported, not held to the bound
            if (r.agreement().isPresent() && r.entry().kind() != CoverageTable.Kind.FULL_SIZE) {
                compared++;
                String name = r.entry().name();
                if (KNOWN_DISAGREEMENT.containsKey(name)) {
                    assertThat(r.agreement().getAsDouble()).as(name + " now agrees with PyTorch: remove it from "
                            + "KNOWN_DISAGREEMENT (" + KNOWN_DISAGREEMENT.get(name) + ")").isGreaterThan(1e-3);
                } else {
                    assertThat(r.agreement().getAsDouble()).as(name + " gradient vs PyTorch").isLessThan(1e-3);
                }
            }
        }
        // mobilenetv2_block (Conv, Clip, Add, ReduceMean, Gemm) and densenet_block have rules today
        assertThat(row("mobilenetv2_block").agreement()).isPresent();
        assertThat(row("densenet_block").agreement()).isPresent();
        assertThat(compared).isGreaterThanOrEqualTo(3);
    }

    @Test
    void relativeError_isMaxAbsErrorOverMaxAbsReference() {
        Tensor ref = Tensor.ofFloats(new float[] {1, -4, 2}, 3);
        Tensor got = Tensor.ofFloats(new float[] {1.5f, -4, 1}, 3);
        assertThat(CoverageTable.relativeError(got, ref)).isEqualTo(0.25);
        Tensor zero = Tensor.ofFloats(new float[3], 3);
        assertThat(CoverageTable.relativeError(zero, zero)).isZero();
        assertThat(CoverageTable.relativeError(got, zero)).isInfinite();
    }

    @Test
    void markdown_numbersEachDistinctReasonOnce() {
        long distinct = rows.stream().flatMap(r -> r.cells().values().stream())
                .filter(c -> !c.ran() && c.applicable()).map(CoverageTable.Cell::reason).distinct().count();
        String reasons = markdown.substring(markdown.indexOf("## Reasons"), markdown.indexOf("## Models"));
        assertThat(reasons.lines().filter(l -> l.matches("\\d+\\. .*")).count()).isEqualTo(distinct);
        assertThat(markdown).contains("Machine: ").contains("Date: ");
    }

    @Test
    void params_occlusionWindowsCoverAllChannelsAndAboutASixthOfEachSide() {
        CoverageTable.Entry e = row("residual_cnn").entry();
        Map<String, Object> p = CoverageTable.params(e, "perturbation", Tensor.zeros(org.explain4j.core.DType.FLOAT32, 1, 3, 12, 12));
        assertThat((int[]) p.get("window")).containsExactly(3, 2, 2);
        assertThat(CoverageTable.catalogName(e, "perturbation")).isEqualTo("occlusion");
        assertThat(CoverageTable.catalogName(row("linear").entry(), "perturbation")).isEqualTo("feature-ablation");
    }

    private static CoverageTable.Row row(String name) {
        return rows.stream().filter(r -> r.entry().name().equals(name)).findFirst().orElseThrow();
    }
}
