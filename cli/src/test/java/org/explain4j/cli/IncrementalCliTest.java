package org.explain4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.io.Npy;
import org.explain4j.core.method.FeatureAblation;
import org.explain4j.core.method.Occlusion;
import org.explain4j.core.method.ShapleyValueSampling;
import org.junit.jupiter.api.Test;

/**
 * The command line's (and the service's) loaded model offers the ONNX model's incremental inference:
 * the dense first layer of a tabular model and the cropped evaluation of a CNN, so
 * {@code --incremental} changes how the perturbation methods run there too.
 */
class IncrementalCliTest {

    private static double maxDiff(float[] a, float[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }

    @Test
    void loadedModel_offersTheDenseLayer_andShapleyUsesIt() {
        Tensor x = Npy.read(Path.of("..", "fixtures", "models", "tabular50_x.npy")).slice(0, 4);
        Target t = Target.of(0, 1, 2, 0);
        try (ModelLoader.Loaded m = ModelLoader.load(Path.of("..", "fixtures", "models", "tabular50_mlp.onnx"), 1, null,
                null)) {
            assertThat(m.denseInput()).isNotNull();
            assertThat(m.denseInput().width()).isEqualTo(64);
            float[][] got = new float[2][];
            for (int k = 0; k < 2; k++) {
                got[k] = new ShapleyValueSampling(m, ShapleyValueSampling.Options.defaults().withSamples(3).withSeed(2)
                        .withExact(ShapleyValueSampling.Exact.NEVER).withIncremental(k == 1)).attribute(x, t).values()
                        .toFloatArray();
            }
            assertThat(got[1]).as("through the dense layer: not the bits of whole passes").isNotEqualTo(got[0]);
            assertThat(maxDiff(got[0], got[1])).isLessThan(1e-6);
            float[] whole = new FeatureAblation(m, FeatureAblation.Options.defaults().withIncremental(false))
                    .attribute(x, t).values().toFloatArray();
            float[] inc = new FeatureAblation(m, FeatureAblation.Options.defaults()).attribute(x, t).values().toFloatArray();
            assertThat(inc).isNotEqualTo(whole);
            assertThat(maxDiff(whole, inc)).isLessThan(1e-6);
        }
    }

    @Test
    void loadedModel_offersLocalEvaluation() {
        Tensor x = Npy.read(Path.of("..", "fixtures", "models", "residual_cnn_x.npy")).slice(0, 1);
        try (ModelLoader.Loaded m = ModelLoader.load(Path.of("..", "fixtures", "models", "residual_cnn.onnx"), 1, null,
                null)) {
            assertThat(m.denseInput()).as("a CNN has no dense first layer").isNull();
            int[] lo = {0, 0};
            int[] hi = {2, 2};
            assertThat(m.local(x.toDoubleArray(), x.exampleShape(), new int[][] {lo}, new int[][] {hi}, 4))
                    .as("incremental occlusion offered through the loaded model").isNotNull();
            float[] whole = new Occlusion(m, Occlusion.Options.window(3, 2, 2).withStride(3, 2, 2).withIncremental(false))
                    .attribute(x, Target.of(0)).values().toFloatArray();
            float[] inc = new Occlusion(m, Occlusion.Options.window(3, 2, 2).withStride(3, 2, 2))
                    .attribute(x, Target.of(0)).values().toFloatArray();
            assertThat(maxDiff(whole, inc)).isLessThan(1e-4);
        }
    }
}
