package org.explain4j.onnx.grad;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.io.Npy;
import org.explain4j.core.method.FeatureAblation;
import org.explain4j.core.method.ShapleyValueSampling;
import org.explain4j.onnx.OnnxModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Models the incremental dense first layer does not apply to run whole passes: external weights, integer inputs. */
class DenseFallbackTest {
    @TempDir
    Path dir;

    @Test
    void externalWeights_wholePasses() throws Exception {
        Path model = MultiInputModels.withExternalData(dir.resolve("ext"), -1);
        Tensor x = Tensor.ofFloats(new float[] {0.2f, -0.4f, 0.9f, 0.1f, -1f, 0.3f, 0.5f, 0.7f}, 2, 4);
        try (OnnxModel m = OnnxModel.load(model)) {
            assertThat(m.denseInput()).as("a MatMul over the input, its weights in weights.bin").isNull();
            float[] on = new ShapleyValueSampling(m, ShapleyValueSampling.Options.defaults().withSamples(3)
                    .withExact(ShapleyValueSampling.Exact.NEVER)).attribute(x, Target.of(0, 2)).values().toFloatArray();
            float[] off = new ShapleyValueSampling(m, ShapleyValueSampling.Options.defaults().withSamples(3)
                    .withExact(ShapleyValueSampling.Exact.NEVER).withIncremental(false)).attribute(x, Target.of(0, 2))
                    .values().toFloatArray();
            assertThat(on).isEqualTo(off).isNotEqualTo(new float[off.length]);
        }
    }

    @Test
    void integerInput_noDenseLayer() {
        Tensor ids = Npy.read(Path.of("..", "fixtures", "models", "text_embedding_bag_x.npy"));
        try (OnnxModel m = OnnxModel.load(Path.of("..", "fixtures", "models", "text_embedding_bag.onnx"))) {
            assertThat(m.denseInput()).isNull();
            FeatureAblation.Options o = FeatureAblation.Options.defaults();
            float[] on = new FeatureAblation(m, o).attribute(ids, Target.of(0)).values().toFloatArray();
            float[] off = new FeatureAblation(m, o.withIncremental(false)).attribute(ids, Target.of(0)).values()
                    .toFloatArray();
            assertThat(on).isEqualTo(off);
        }
    }
}
