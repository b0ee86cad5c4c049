package org.explain4j.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.explain4j.core.Attribution;
import org.explain4j.core.Baseline;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.io.Npy;
import org.explain4j.core.method.DeepLift;
import org.explain4j.onnx.grad.OnnxDifferentiableModel;
import org.explain4j.onnx.grad.propagation.PropagationRegistry;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * DeepLIFT through a LayerNorm with BERT's epsilon 1e-12 against references that are (nearly)
 * constant along the normalised axis (motifs {@code layernorm_fused}: one LayerNormalization node,
 * and {@code layernorm_written}: ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div; references in
 * {@code <name>_reference.npy}: zeros, all 0.3, 1e-4 noise around 0). The reference's standard
 * deviation is then 1e-6 or about 1e-4, so the former product rule on {@code c (1 / s)} had
 * multipliers of size {@code 1 / s_ref} whose contributions cancelled in float32 (gaps in the
 * NOTES); the quotient split {@code 2 / (s + s_ref)}, {@code -(y + y_ref) / (s + s_ref)} keeps them
 * bounded by the outputs.
 */
class LayerNormDeepLiftTest {

    /** Per example and for each of the three outputs, the attributions sum to {@code f(x) - f(ref)} within 1e-4 of it. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"layernorm_fused", "layernorm_written"})
    void nearConstantReference_deepLiftSumsToTheOutputDifference(String name) {
        Path model = Motifs.MODELS.resolve(name + ".onnx");
        Tensor x = Npy.read(Motifs.MODELS.resolve(name + "_x.npy"));
        Tensor ref = Npy.read(Motifs.MODELS.resolve(name + "_reference.npy"));
        try (OnnxModel base = OnnxModel.load(model);
             OnnxDifferentiableModel m = new OnnxDifferentiableModel(base, PropagationRegistry.standard())) {
            Tensor fx = base.forward(x);
            Tensor fr = base.forward(ref);
            int classes = fx.dim(1);
            int per = x.exampleSize();
            for (int k = 0; k < classes; k++) {
                Attribution a = new DeepLift(m, DeepLift.Options.defaults().withBaseline(Baseline.of(ref)))
                        .attribute(x, Target.of(k, k, k));
                for (int n = 0; n < x.dim(0); n++) {
                    double delta = fx.getDouble(n * classes + k) - fr.getDouble(n * classes + k);
                    double sum = 0;
                    for (int i = n * per; i < (n + 1) * per; i++) {
                        sum += a.values().getDouble(i);
                    }
                    assertThat(Math.abs(delta)).as("%s example %d output %d: the output moves", name, n, k)
                            .isGreaterThan(1e-2);
                    assertThat(Math.abs(sum - delta))
                            .as("%s example %d output %d: attribution sum %s vs f(x) - f(ref) %s", name, n, k, sum, delta)
                            .isLessThan(1e-4 * Math.abs(delta));
                }
            }
        }
    }
}
