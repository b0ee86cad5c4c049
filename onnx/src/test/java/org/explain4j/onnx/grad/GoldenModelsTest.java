package org.explain4j.onnx.grad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.explain4j.core.Tensor;
import org.explain4j.core.grad.BackwardRequest;
import org.explain4j.core.grad.BackwardResult;
import org.explain4j.core.io.Npy;
import org.explain4j.onnx.OnnxModel;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Input gradients of whole exported PyTorch models: the committed models (the bundled digits CNN,
 * the fixture MLP, residual CNN) against central finite differences, so they run without
 * ../shared; and the golden models' saliency against Captum's, which needs ../shared/golden
 * (skipped without it, a failure with {@code -Dexplain4j.requireGolden=true}).
 */
class GoldenModelsTest {
    private static final Path REPO = Path.of("..");

    @ParameterizedTest(name = "{0}")
    @CsvSource({"examples/digits/digits_cnn.onnx, examples/digits/digits_x.npy, 1e-4, 0.1, 2e-2",
                "fixtures/models/mlp_softmax.onnx, fixtures/models/mlp_softmax_x.npy, 1e-3, 0, 2e-2",
                "fixtures/models/mlp_opset17.onnx, fixtures/models/mlp_opset17_x.npy, 1e-3, 0, 2e-2",
                // float32 differences over BatchNorm, ReLU kinks and a residual sum: noisier, looser
                "fixtures/models/residual_cnn.onnx, fixtures/models/residual_cnn_x.npy, 2e-3, 0, 5e-2"})
    void committedModel_inputGradientMatchesCentralFiniteDifferences(String model, String input, double h,
                                                                     double jitter, double tol) {
        Tensor x = jitter(Npy.read(REPO.resolve(input)), jitter, new Random(7));
        try (OnnxModel onnx = OnnxModel.load(REPO.resolve(model));
             OnnxDifferentiableModel m = new OnnxDifferentiableModel(onnx)) {
            // digit images have flat regions where pooling windows tie, so finite differences need a
            // jittered input, and a small step, since ReLU and MaxPool kinks are dense
            Tensor out = m.forward(x);
            Tensor seed = GradCheck.random(new Random(17), out.dtype(), -1, 1, out.shape());
            BackwardResult r = m.backward(x, seed, BackwardRequest.gradientOfInput());
            double[] numeric = GradCheck.numeric(m::forward, x, seed, h);
            double[] analytic = r.inputGradient().orElseThrow().toDoubleArray();
            // relative to the gradient's own size, so that a small gradient is checked as strictly as a large one
            double scale = maxAbs(numeric);
            assertThat(scale).as("%s: the finite-difference gradient is not all zeros", model).isGreaterThan(1e-3);
            GradCheck.assertClose(model + ": input gradient / max|finite differences|", divide(analytic, scale),
                    divide(numeric, scale), tol);
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"tabular_mlp.onnx, tabular_x.npy, tabular.saliency.expected.npy, 0 1 2 1",
                "digits_cnn.onnx, digits_x.npy, digits.saliency.expected.npy, 0 1 2 3"})
    void goldenModel_absoluteInputGradientMatchesCaptumSaliency(String model, String input, String saliency,
                                                                String targets) {
        Path golden = goldenFolder();
        Tensor x = Npy.read(golden.resolve(input));
        try (OnnxModel onnx = OnnxModel.load(golden.resolve(model));
             OnnxDifferentiableModel m = new OnnxDifferentiableModel(onnx)) {
            // saliency = |d logit[target] / d x| per example
            Tensor out = m.forward(x);
            String[] t = targets.trim().split(" ");
            double[] seed = new double[out.size()];
            for (int n = 0; n < t.length; n++) {
                seed[n * out.dim(1) + Integer.parseInt(t[n])] = 1;
            }
            double[] abs = m.backward(x, Tensor.ofDoublesAsFloats(seed, out.shape()), BackwardRequest.gradientOfInput())
                    .inputGradient().orElseThrow().toDoubleArray();
            for (int i = 0; i < abs.length; i++) {
                abs[i] = Math.abs(abs[i]);
            }
            double[] expected = Npy.read(golden.resolve(saliency)).toDoubleArray();
            double max = maxAbs(expected);
            assertThat(max).as("the reference saliency is not all zeros").isPositive();
            GradCheck.assertClose("saliency of " + model + " / max|Captum's|", divide(abs, max), divide(expected, max), 1e-3);
        }
    }

    /** The golden folder; the test is skipped without it, or fails when -Dexplain4j.requireGolden=true. */
    static Path goldenFolder() {
        Path golden = Path.of(System.getProperty("explain4j.shared", "../../shared"), "golden");
        boolean present = Files.isRegularFile(golden.resolve("manifest.json"));
        String why = "expected the golden models in " + golden.toAbsolutePath().normalize()
                + " (system property explain4j.shared), but it has no manifest.json";
        if (!present && Boolean.parseBoolean(System.getProperty("explain4j.requireGolden", "false").trim())) {
            fail(why + "; -Dexplain4j.requireGolden=true makes that a failure");
        }
        assumeTrue(present, why + "; skipped (CI sets -Dexplain4j.requireGolden=true)");
        return golden;
    }

    private static double maxAbs(double[] v) {
        double m = 0;
        for (double d : v) {
            m = Math.max(m, Math.abs(d));
        }
        return m;
    }

    private static double[] divide(double[] v, double s) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i] / s;
        }
        return out;
    }

    private static Tensor jitter(Tensor x, double amount, Random rnd) {
        double[] v = x.toDoubleArray();
        for (int i = 0; i < v.length; i++) {
            v[i] += amount * rnd.nextDouble();
        }
        return Tensor.ofDoublesAsFloats(v, x.shape());
    }
}
