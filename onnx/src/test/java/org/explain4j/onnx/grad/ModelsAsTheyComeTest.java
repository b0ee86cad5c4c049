package org.explain4j.onnx.grad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.explain4j.core.Attribution;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.MethodCatalog;
import org.explain4j.core.catalog.MethodSpec;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.model.FedInputs;
import org.explain4j.onnx.OnnxModel;
import org.explain4j.onnx.grad.propagation.PropagationRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Models exported with a fixed batch of 1, and models whose weights are external data. */
class ModelsAsTheyComeTest {
    @TempDir
    Path dir;

    static Attribution run(OnnxDifferentiableModel g, String method, Map<String, Object> params, Tensor x, FedInputs fed,
                           Target t) {
        MethodSpec spec = MethodCatalog.get(method);
        return spec.create(g, spec.bind(params), ProgressListener.NONE).attribute(x, fed, t);
    }

    @Test
    void fixedBatchOfOne_givesTheSameResultsAsAnOpenBatch() throws Exception {
        Path fixed = MultiInputModels.write(MultiInputModels.maskedMlp(1), dir.resolve("fixed.onnx"));
        Path open = MultiInputModels.write(MultiInputModels.maskedMlp(-1), dir.resolve("open.onnx"));
        Map<String, Tensor> fedValues = new LinkedHashMap<>();
        fedValues.put("mask", MultiInputTest.MASK);
        fedValues.put("state", MultiInputTest.STATE);
        fedValues.put("scale", MultiInputTest.SCALE.reshape());
        // the fixed-batch model names no batch dimension: its state's batch axis is given
        FedInputs fed = FedInputs.of(fedValues).withBatchAxis("state", 1);
        OnnxModel.Options x = OnnxModel.Options.defaults().withInputName("x");
        try (OnnxModel f = OnnxModel.load(fixed, x); OnnxModel o = OnnxModel.load(open, x);
             OnnxDifferentiableModel fg = new OnnxDifferentiableModel(f, PropagationRegistry.standard());
             OnnxDifferentiableModel og = new OnnxDifferentiableModel(o, PropagationRegistry.standard())) {
            assertThat(f.signature().fixedBatch()).isEqualTo(1);
            Map<String, Map<String, Object>> methods = new LinkedHashMap<>();
            methods.put("integrated-gradients", Map.of("steps", 16));
            methods.put("occlusion", Map.of("window", new int[] {2}));
            methods.put("deeplift", Map.of());
            methods.put("layer-gradient-x-activation", Map.of("layer", "a"));
            methods.put("kernel-shap", Map.of("samples", 40, "seed", 9L));
            for (var m : methods.entrySet()) {
                Map<String, Object> p = new HashMap<>(m.getValue());
                p.put("batch-size", 4);
                float[] expected = run(og, m.getKey(), p, MultiInputTest.X, fed, Target.of(0, 1, 2)).values().toFloatArray();
                float[] actual = run(fg, m.getKey(), p, MultiInputTest.X, fed, Target.of(0, 1, 2)).values().toFloatArray();
                assertThat(actual).as(m.getKey()).hasSameSizeAs(expected);
                for (int i = 0; i < expected.length; i++) {
                    assertThat(actual[i]).as("%s element %d", m.getKey(), i).isCloseTo(expected[i], within(1e-5f));
                }
            }
        }
    }

    @Test
    void externalData_loadsAndDifferentiatesFromAnotherFolder() throws Exception {
        Path model = MultiInputModels.withExternalData(dir.resolve("elsewhere"), -1);
        assertThat(model.getParent().toAbsolutePath()).isNotEqualTo(Path.of("").toAbsolutePath());
        byte[] before = Files.readAllBytes(model);
        float[][] w = MultiInputModels.externalWeights();
        Tensor x = Tensor.ofFloats(new float[] {0.2f, -0.4f, 0.9f, 0.1f, -1f, 0.3f, 0.5f, 0.7f}, 2, 4);
        try (OnnxModel m = OnnxModel.load(model);
             OnnxDifferentiableModel g = new OnnxDifferentiableModel(m, PropagationRegistry.standard())) {
            Tensor y = m.forward(x);
            for (int n = 0; n < 2; n++) {
                for (int c = 0; c < 3; c++) {
                    double s = 0;
                    for (int i = 0; i < 4; i++) {
                        s += x.getDouble(n * 4 + i) * w[i][c];
                    }
                    assertThat(y.getDouble(n * 3 + c)).isCloseTo(Math.tanh(s), within(1e-5));
                }
            }
            Attribution sal = run(g, "saliency", Map.of("abs", false), x, FedInputs.none(), Target.of(2));
            for (int n = 0; n < 2; n++) {
                double s = 0;
                for (int i = 0; i < 4; i++) {
                    s += x.getDouble(n * 4 + i) * w[i][2];
                }
                double d = 1 - Math.tanh(s) * Math.tanh(s);
                for (int i = 0; i < 4; i++) {
                    assertThat(sal.values().getDouble(n * 4 + i)).isCloseTo(d * w[i][2], within(1e-5));
                }
            }
            // the propagation rule sets (a canonized copy of the graph) resolve the external data too
            Attribution lrp = run(g, "lrp", Map.of("composite", "epsilon"), x, FedInputs.none(), Target.of(2));
            assertThat(lrp.values().shape()).containsExactly(2, 4);
        }
        assertThat(Files.readAllBytes(model)).isEqualTo(before);
        assertThat(Files.list(model.getParent()).map(p -> p.getFileName().toString()).toList())
                .containsExactlyInAnyOrder("model.onnx", "weights.bin");
    }
}
