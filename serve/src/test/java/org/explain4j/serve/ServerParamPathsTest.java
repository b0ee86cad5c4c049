package org.explain4j.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.explain4j.cli.MethodOptions;
import org.explain4j.core.Baseline;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.FeatureMask;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.MethodCatalog;
import org.explain4j.core.catalog.MethodSpec;
import org.explain4j.core.catalog.ParamValues;
import org.explain4j.core.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The service's JSON parameters and the command line's flag texts go through one conversion
 * ({@link ParamValues}): the same parameters give the same typed values and the same errors.
 */
class ServerParamPathsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Tensor INPUT = Tensor.ofDoubles(new double[] {1, 2, 3, 4, 5, 6}, 1, 2, 3);

    private static Map<String, Object> cli(MethodSpec spec, Map<String, String> texts) {
        return ParamValues.typed(spec, texts, MethodOptions.files(INPUT));
    }

    private static Map<String, Object> serve(MethodSpec spec, String json) throws Exception {
        Map<String, JsonNode> given = new LinkedHashMap<>();
        JSON.readTree(json).fields().forEachRemaining(e -> given.put(e.getKey(), e.getValue()));
        return ParamValues.typed(spec, given, Explanations.json(INPUT));
    }

    @Test
    void scalarsAndConstantBaselines_areTheSameTypedValuesFromTextAndJson() throws Exception {
        MethodSpec ig = MethodCatalog.get("integrated-gradients");
        Map<String, Object> c = cli(ig, Map.of("steps", "16", "integration", "riemann_trapezoid", "baseline", "0.5"));
        Map<String, Object> s = serve(ig, "{\"steps\": 16, \"integration\": \"riemann_trapezoid\", \"baseline\": 0.5}");
        assertThat(s).isEqualTo(c);
        assertThat(c.get("steps")).isEqualTo(16);
        assertThat(c.get("baseline")).isEqualTo(Baseline.constant(0.5));

        MethodSpec svs = MethodCatalog.get("shapley-value-sampling");
        Map<String, Object> c2 = cli(svs, new LinkedHashMap<>(Map.of("samples", "8", "seed", "7", "baseline", "zeros",
                "batch-size", "auto", "exact", "never")));
        Map<String, Object> s2 = serve(svs, "{\"samples\": 8, \"seed\": 7, \"baseline\": \"zeros\", \"batch-size\": "
                + "\"auto\", \"exact\": \"never\"}");
        assertThat(s2).isEqualTo(c2);
        assertThat(c2).containsEntry("seed", 7L).containsEntry("baseline", Baseline.zeros()).doesNotContainKey("batch-size");
    }

    @Test
    void tensorParameters_fromAFileAndFromJsonArrays_areTheSameTensors(@TempDir Path dir) throws Exception {
        MethodSpec fa = MethodCatalog.get("feature-ablation");
        Path mask = dir.resolve("mask.npy");
        Npy.write(Tensor.ofLongs(new long[] {0, 0, 1, 1, 2, 2}, 2, 3), mask);
        Path base = dir.resolve("base.npy");
        Npy.write(Tensor.ofDoubles(new double[] {0.5, 1, 1.5, 2, 2.5, 3}, 1, 2, 3), base);
        Map<String, Object> c = cli(fa, Map.of("feature-mask", mask.toString(), "baseline", base.toString()));
        Map<String, Object> s = serve(fa, "{\"feature-mask\": [[0, 0, 1], [1, 2, 2]], "
                + "\"baseline\": [[0.5, 1, 1.5], [2, 2.5, 3]]}");
        Tensor cm = ((FeatureMask) c.get("feature-mask")).ids().orElseThrow();
        Tensor sm = ((FeatureMask) s.get("feature-mask")).ids().orElseThrow();
        assertThat(sm.shape()).containsExactly(cm.shape());
        assertThat(sm.toDoubleArray()).containsExactly(cm.toDoubleArray());
        Tensor cb = ((Baseline.Fixed) c.get("baseline")).tensor();
        Tensor sb = ((Baseline.Fixed) s.get("baseline")).tensor();
        assertThat(sb.shape()).containsExactly(1, 2, 3).containsExactly(cb.shape());
        assertThat(sb.toDoubleArray()).containsExactly(cb.toDoubleArray());
    }

    @Test
    void badScalars_getTheSameOneLineErrorFromTextAndJson() {
        MethodSpec ig = MethodCatalog.get("integrated-gradients");
        Explain4jException c = (Explain4jException) org.assertj.core.api.Assertions.catchThrowable(
                () -> cli(ig, Map.of("steps", "many")));
        Explain4jException s = (Explain4jException) org.assertj.core.api.Assertions.catchThrowable(
                () -> serve(ig, "{\"steps\": \"many\"}"));
        assertThat(c.getMessage()).isEqualTo(s.getMessage()).contains("steps 'many'");
        assertThatThrownBy(() -> serve(ig, "{\"batch-size\": \"lots\"}")).hasMessageContaining(
                "batch-size 'lots' must be a number of rows or auto");
    }
}
