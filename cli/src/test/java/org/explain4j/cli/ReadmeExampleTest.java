package org.explain4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.explain4j.core.Attribution;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.io.AttributionJson;
import org.explain4j.core.io.Npy;
import org.explain4j.core.method.IntegratedGradients;
import org.explain4j.core.method.KernelShap;
import org.explain4j.onnx.OnnxModel;
import org.explain4j.onnx.grad.OnnxDifferentiableModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Java API example of the README, compiled and run by the build. Keep the two in step. */
class ReadmeExampleTest {
    @TempDir
    Path dir;

    @Test
    void readmeExample_runs() {
        Path modelFile = CliRunner.fixtures().resolve("mlp_softmax.onnx");
        Path inputFile = CliRunner.fixtures().resolve("mlp_softmax_x.npy");
        // --- README example starts here ---
        try (OnnxModel model = OnnxModel.load(modelFile);
             OnnxDifferentiableModel grads = new OnnxDifferentiableModel(model)) {
            Tensor x = Npy.read(inputFile);

            // Perturbation: any model, here KernelSHAP over the 10 features.
            KernelShap shap = new KernelShap(model, KernelShap.Options.defaults().withSamples(2000).withSeed(7));
            Attribution s = shap.attribute(x, Target.of(0, 1, 2));

            // Gradients: the backward pass runs as a second ONNX graph in ONNX Runtime.
            IntegratedGradients ig = new IntegratedGradients(grads, IntegratedGradients.Options.defaults().withSteps(64));
            Attribution a = ig.attribute(x, Target.of(0, 1, 2));

            Npy.write(a.values(), dir.resolve("ig.npy"));
            AttributionJson.write(a, dir.resolve("ig.json"));
            double[] gap = a.diagnostics().completenessGap().orElseThrow(); // sum(attr) - (f(x) - f(baseline))
            // --- README example ends here ---
            assertThat(s.values().shape()).containsExactly(3, 10);
            assertThat(Math.abs(gap[0])).isLessThan(1e-3);
            assertThat(dir.resolve("ig.json")).exists();
        }
    }
}
