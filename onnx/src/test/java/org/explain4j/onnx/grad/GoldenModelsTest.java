package org.explain4j.onnx.grad;

import static org.assertj.core.api.Assumptions.assumeThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.explain4j.core.Tensor;
import org.explain4j.core.grad.BackwardRequest;
import org.explain4j.core.io.Npy;
import org.explain4j.onnx.OnnxModel;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The golden models of ../shared/golden: gradients against finite differences and Captum's saliency. */
class GoldenModelsTest {

    private static Path golden(String file) {
        String shared = System.getProperty("explain4j.shared");
        assumeThat(shared).as("system property explain4j.shared").isNotNull();
        Path p = Path.of(shared, "golden", file);
        assumeThat(Files.exists(p)).as(p + " exists").isTrue();
        return p;
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"tabular_mlp.onnx, tabular_x.npy, tabular.saliency.expected.npy, 0 1 2 1, 1e-3",
                "digits_cnn.onnx, digits_x.npy, digits.saliency.expected.npy, 0 1 2 3, 1e-4"})
    void gradientsMatchFiniteDifferencesAndCaptumSaliency(String model, String input, String saliency, String targets,
                                                          double h) {
        Path modelPath = golden(model);
        Tensor x = Npy.read(golden(input));
        try (OnnxModel onnx = OnnxModel.load(modelPath); OnnxDifferentiableModel m = new OnnxDifferentiableModel(onnx)) {
            // digit images have flat regions where pooling windows tie, so finite differences need a
            // jittered input, and a small step, since ReLU and MaxPool kinks are dense
            Tensor jittered = jitter(x, new Random(7));
            GradCheck.checkInputGradient(m, jittered, h, 1e-2, new Random(7));
            // saliency = |d logit[target] / d x| per example
            Tensor out = m.forward(x);
            String[] t = targets.trim().split(" ");
            double[] seed = new double[out.size()];
            for (int n = 0; n < t.length; n++) {
                seed[n * out.dim(1) + Integer.parseInt(t[n])] = 1;
            }
            Tensor g = m.backward(x, Tensor.ofDoublesAsFloats(seed, out.shape()), BackwardRequest.gradientOfInput())
                    .inputGradient().orElseThrow();
            double[] abs = g.toDoubleArray();
            for (int i = 0; i < abs.length; i++) {
                abs[i] = Math.abs(abs[i]);
            }
            double[] expected = Npy.read(golden(saliency)).toDoubleArray();
            double max = 0;
            for (double e : expected) {
                max = Math.max(max, Math.abs(e));
            }
            double[] scaled = new double[abs.length];
            double[] scaledExpected = new double[abs.length];
            for (int i = 0; i < abs.length; i++) {
                scaled[i] = abs[i] / max;
                scaledExpected[i] = expected[i] / max;
            }
            GradCheck.assertClose("saliency of " + model, scaled, scaledExpected, 1e-3);
        }
    }

    private static Tensor jitter(Tensor x, Random rnd) {
        double[] v = x.toDoubleArray();
        for (int i = 0; i < v.length; i++) {
            v[i] += 0.1 * rnd.nextDouble();
        }
        return Tensor.ofDoublesAsFloats(v, x.shape());
    }
}
