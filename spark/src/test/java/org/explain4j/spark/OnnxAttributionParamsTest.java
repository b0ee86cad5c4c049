package org.explain4j.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.explain4j.cli.MethodOptions;
import org.explain4j.core.Baseline;
import org.explain4j.core.FeatureMask;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.MethodCatalog;
import org.explain4j.core.catalog.MethodSpec;
import org.explain4j.core.catalog.ParamValues;
import org.explain4j.core.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Spark's parameter texts and the command line's flag texts go through one conversion
 * ({@link ParamValues}): the same texts give the same typed values; only where tensors come from
 * differs (group ids in the text for Spark, an {@code .npy} file for the command line).
 */
class OnnxAttributionParamsTest {
    private static final Tensor INPUT = Tensor.ofDoubles(new double[] {1, 2, 3, 4, 5, 6}, 1, 2, 3);

    @Test
    void theSameTexts_giveTheSameTypedValuesAsTheCommandLine(@TempDir Path dir) {
        MethodSpec svs = MethodCatalog.get("shapley-value-sampling");
        Map<String, String> texts = new LinkedHashMap<>(Map.of("samples", " 8", "seed", "7", "baseline", "0.5",
                "batch-size", "auto", "exact", "never"));
        Map<String, Object> spark = ParamValues.typed(svs, texts, MethodParams.source(svs, new int[] {2, 3}));
        Map<String, Object> cli = ParamValues.typed(svs, texts, MethodOptions.files(INPUT));
        assertThat(spark).isEqualTo(cli).containsEntry("samples", 8).containsEntry("seed", 7L)
                .containsEntry("baseline", Baseline.constant(0.5)).doesNotContainKey("batch-size");
        assertThat(MethodParams.bind(svs, texts, null, new int[] {2, 3}).values())
                .isEqualTo(svs.bind(cli).values());

        Path mask = dir.resolve("mask.npy");
        Npy.write(Tensor.ofLongs(new long[] {0, 0, 1, 1, 2, 2}, 2, 3), mask);
        MethodSpec fa = MethodCatalog.get("feature-ablation");
        Tensor s = ((FeatureMask) ParamValues.typed(fa, Map.of("feature-mask", "0,0,1,1,2,2"),
                MethodParams.source(fa, new int[] {2, 3})).get("feature-mask")).ids().orElseThrow();
        Tensor c = ((FeatureMask) ParamValues.typed(fa, Map.of("feature-mask", mask.toString()),
                MethodOptions.files(INPUT)).get("feature-mask")).ids().orElseThrow();
        assertThat(s.shape()).containsExactly(2, 3).containsExactly(c.shape());
        assertThat(s.toDoubleArray()).containsExactly(c.toDoubleArray());
    }

    @Test
    void sparksOwnBaselineErrors_stayAsTheyWere() {
        MethodSpec ig = MethodCatalog.get("integrated-gradients");
        assertThatThrownBy(() -> MethodParams.bind(ig, Map.of("baseline", "b.npy"), null, null))
                .hasMessage("baseline 'b.npy' must be zeros or a number; give one baseline per row with baselineCol, "
                        + "or a distribution of reference rows with setBackground");
        assertThatThrownBy(() -> MethodParams.bind(ig, Map.of("steps", "x"), null, null))
                .hasMessage("steps 'x' is not an integer");
    }
}
