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
 * The coverage tool's structure and the coverage itself: every committed fixture (test models,
 * motifs, real models, multi-input ones as shipped) gets a row with a cell per method and runs
 * every gradient and propagation method (at the input, or at the word embedding for token
 * models) and perturbation; a method that does not run says why in one line; where a PyTorch
 * reference exists the gradient agrees with it to 1e-3.
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
    void perturbation_runsOnEveryModel() {
        int committed = 0;
        for (CoverageTable.Row r : rows) {
            committed += r.entry().kind() == CoverageTable.Kind.FULL_SIZE ? 0 : 1;
            assertThat(r.cells().get("perturbation").ran()).as(r.entry().name() + ": " + r.cells().get("perturbation").reason())
                    .isTrue();
            assertThat(CoverageTable.families(r)).contains("perturbation");
        }
        assertThat(committed).isGreaterThanOrEqualTo(7 + 11 + 3);
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
        // on token ids the input-space methods do not apply; their family runs at the embedding
        assertThat(row("lstm_text").cells().get("saliency").applicable()).isFalse();
        assertThat(row("lstm_text").cells().get("deeplift").applicable()).isTrue();
    }

    /**
     * Every committed fixture, motif and real model runs every gradient and propagation method:
     * at the input for float inputs, at the word embedding for token models (layer IG, DeepLIFT
     * and LRP with {@code layer}); a regression fails naming the model, the method and its reason.
     */
    @Test
    void everyCommittedModel_runsEveryGradientAndPropagationMethod() {
        for (CoverageTable.Row r : rows) {
            if (r.entry().kind() == CoverageTable.Kind.FULL_SIZE) {
                continue;
            }
            List<String> expected = r.entry().token()
                    ? List.of("layer-integrated-gradients", "deeplift", "lrp")
                    : List.of("saliency", "integrated-gradients", "deeplift", "lrp", "guided-backprop");
            for (String m : expected) {
                CoverageTable.Cell c = r.cells().get(m);
                assertThat(c.ran()).as(r.entry().name() + " " + m + ": " + c.reason()).isTrue();
                assertThat(CoverageTable.atLayer(r.entry(), m)).as(r.entry().name() + " " + m + " at the layer")
                        .isEqualTo(r.entry().token());
            }
            assertThat(CoverageTable.families(r)).as(r.entry().name())
                    .isEqualTo(r.entry().token() ? "layer, propagation, perturbation" : "gradient, propagation, perturbation");
        }
        // the multi-input models run as shipped, with their other inputs fed
        assertThat(row("silero_vad_v5").entry().fed().values().keySet()).containsExactly("state", "sr");
        assertThat(row("all-MiniLM-L6-v2").entry().fed().values().keySet()).containsExactly("attention_mask", "token_type_ids");
        assertThat(row("bert_layer").entry().explained()).isEqualTo("input_ids");
        assertThat(markdown).contains("| yes, layer (");
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
            if (r.entry().grad().isPresent() && r.entry().kind() != CoverageTable.Kind.FULL_SIZE) {
                assertThat(r.agreement()).as(r.entry().name() + ": " + r.agreementNote()).isPresent();
            }
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
        // every motif has a PyTorch reference (at the input, or at the embedding for token motifs)
        assertThat(compared).isEqualTo(Motifs.all().size());
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
