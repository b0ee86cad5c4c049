package org.explain4j.onnx.grad.propagation;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.ModelProto;
import java.util.List;
import java.util.Random;
import org.assertj.core.data.Offset;
import org.explain4j.core.Tensor;
import org.explain4j.core.grad.PropagationRules;
import org.explain4j.core.grad.RuleSet;
import org.explain4j.onnx.grad.Attr;
import org.explain4j.onnx.grad.OnnxDifferentiableModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The rules for Resize (gradient under DeepLIFT and LRP), for the elementwise nonlinearities of an
 * STFT magnitude (Sqrt and Pow: DeepLIFT's rescale, LRP pass), and for a LayerNorm written out
 * (Sub: LRP's norm rule; Div by the input-dependent std: DeepLIFT's quotient rule, LRP's gate rule):
 * DeepLIFT is complete and LRP conserves the seeded relevance on small bias-free blocks
 * (unet_decoder's upsampling, Silero's {@code sqrt(re^2 + im^2)}, MiniLM's LayerNorm).
 */
class ResizeSqrtRulesTest {
    private static final RuleSet DEEPLIFT = PropagationRules.deepLift();

    /** Conv, Relu, Resize x2 (the given mode), Conv, Relu, Flatten, MatMul; no biases. */
    static ModelProto upsampling(Random rnd, String mode, String coordinates) {
        return Net.input(-1, 2, 4, 4).random("K1", rnd, -1, 1, 3, 2, 3, 3).random("K2", rnd, -1, 1, 2, 3, 3, 3)
                .random("W", rnd, -1, 1, 2 * 8 * 8, 4).init("scales", new long[] {4}, 1, 1, 2, 2)
                .node("Conv", List.of("x", "K1"), "c1", Attr.ints("pads", 1, 1, 1, 1)).node("Relu", "c1", "r1")
                .node("Resize", List.of("r1", "", "scales"), "u", Attr.s("mode", mode),
                        Attr.s("coordinate_transformation_mode", coordinates))
                .node("Conv", List.of("u", "K2"), "c2", Attr.ints("pads", 1, 1, 1, 1)).node("Relu", "c2", "r2")
                .node("Flatten", "r2", "f").node("MatMul", List.of("f", "W"), "y").build("y");
    }

    /** Two linear maps (real and imaginary parts), {@code sqrt(re^2 + im^2)}, a dense layer; no biases. */
    static ModelProto magnitude(Random rnd) {
        return Net.input(-1, 8).random("Wre", rnd, -1, 1, 8, 6).random("Wim", rnd, -1, 1, 8, 6)
                .random("W", rnd, -1, 1, 6, 3).init("two", new long[] {}, 2)
                .node("MatMul", List.of("x", "Wre"), "re").node("MatMul", List.of("x", "Wim"), "im")
                .node("Pow", List.of("re", "two"), "re2").node("Pow", List.of("im", "two"), "im2")
                .node("Add", List.of("re2", "im2"), "p").node("Sqrt", "p", "mag")
                .node("MatMul", List.of("mag", "W"), "y").build("y");
    }

    /** The magnitude block followed by {@code log(1 + mag)} and {@code 1 / (1 + mag)}, summed. */
    static ModelProto logMagnitude(Random rnd) {
        return Net.input(-1, 8).random("Wre", rnd, -1, 1, 8, 6).random("Wim", rnd, -1, 1, 8, 6)
                .random("W", rnd, -1, 1, 6, 3).init("two", new long[] {}, 2).init("one", new long[] {}, 1)
                .node("MatMul", List.of("x", "Wre"), "re").node("MatMul", List.of("x", "Wim"), "im")
                .node("Pow", List.of("re", "two"), "re2").node("Pow", List.of("im", "two"), "im2")
                .node("Add", List.of("re2", "im2"), "p").node("Sqrt", "p", "mag")
                .node("Add", List.of("mag", "one"), "m1").node("Log", "m1", "lg").node("Reciprocal", "m1", "rc")
                .node("Add", List.of("lg", "rc"), "h").node("MatMul", List.of("h", "W"), "y").build("y");
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"nearest, asymmetric", "linear, half_pixel", "linear, align_corners", "cubic, half_pixel",
            "cubic, align_corners"})
    void resizeBlock_deepLiftIsCompleteAndLrpConserves(String mode, String coordinates) {
        Random rnd = new Random(41);
        OnnxDifferentiableModel m = Fixtures.load(upsampling(rnd, mode, coordinates));
        try {
            Tensor x = LrpRulesTest.random(rnd, 3, 2, 4, 4);
            assertDeepLiftComplete(m, x, LrpRulesTest.random(new Random(5), 3, 2, 4, 4), mode);
            assertDeepLiftComplete(m, x, Fixtures.zerosLike(x), mode);
            assertLrpConserves(m, x, mode);
        } finally {
            Fixtures.close(m);
        }
    }

    @Test
    void resizeBlockUnderLrp_relevanceIsSpreadOverEveryUpsampledSource() {
        // a x2 nearest upsample copies each source to 4 outputs: its relevance is the sum of theirs,
        // so no source of a positive activation map is left with nothing
        Random rnd = new Random(43);
        OnnxDifferentiableModel m = Fixtures.load(upsampling(rnd, "nearest", "asymmetric"));
        try {
            Tensor x = LrpRulesTest.random(rnd, 2, 2, 4, 4);
            double[] rel = Fixtures.lrp(m, x, new int[] {0, 1}, Fixtures.composite("epsilon", "epsilon", 1e-9));
            assertThat(rel).hasSize(2 * 32);
            long nonZero = java.util.Arrays.stream(rel).filter(v -> v != 0).count();
            assertThat(nonZero).as("input positions with relevance").isGreaterThan(rel.length / 2);
        } finally {
            Fixtures.close(m);
        }
    }

    @Test
    void magnitudeBlock_deepLiftIsCompleteAndLrpConserves() {
        Random rnd = new Random(47);
        OnnxDifferentiableModel m = Fixtures.load(magnitude(rnd));
        try {
            Tensor x = LrpRulesTest.random(rnd, 4, 8);
            assertDeepLiftComplete(m, x, LrpRulesTest.random(new Random(7), 4, 8), "magnitude");
            assertDeepLiftComplete(m, x, Fixtures.zerosLike(x), "magnitude");
            assertLrpConserves(m, x, "magnitude");
        } finally {
            Fixtures.close(m);
        }
    }

    /**
     * A LayerNorm written out as MiniLM's export does: {@code (h - mean(h)) / sqrt(mean((h - mean)^2) + eps)}
     * between two dense layers (Sub, ReduceMean, Pow, Add, Sqrt, Div by a broadcast divisor); no biases.
     */
    static ModelProto decomposedLayerNorm(Random rnd) {
        return Net.input(-1, 6).random("W1", rnd, -1, 1, 6, 5).random("W2", rnd, -1, 1, 5, 3)
                .init("two", new long[] {}, 2).init("eps", new long[] {}, 1e-5)
                .node("MatMul", List.of("x", "W1"), "h")
                .node("ReduceMean", List.of("h"), "mu", Attr.ints("axes", -1), Attr.i("keepdims", 1))
                .node("Sub", List.of("h", "mu"), "d").node("Pow", List.of("d", "two"), "d2")
                .node("ReduceMean", List.of("d2"), "v", Attr.ints("axes", -1), Attr.i("keepdims", 1))
                .node("Add", List.of("v", "eps"), "ve").node("Sqrt", "ve", "sd")
                .node("Div", List.of("d", "sd"), "n").node("MatMul", List.of("n", "W2"), "y").build("y");
    }

    /** The difference of two ReLU branches, then a dense layer; no biases. */
    static ModelProto difference(Random rnd) {
        return Net.input(-1, 6).random("Wa", rnd, -1, 1, 6, 5).random("Wb", rnd, -1, 1, 6, 5)
                .random("W", rnd, -1, 1, 5, 3)
                .node("MatMul", List.of("x", "Wa"), "za").node("Relu", "za", "a")
                .node("MatMul", List.of("x", "Wb"), "zb").node("Relu", "zb", "b")
                .node("Sub", List.of("a", "b"), "d").node("MatMul", List.of("d", "W"), "y").build("y");
    }

    @Test
    void decomposedLayerNorm_deepLiftIsCompleteAndLrpConserves() {
        Random rnd = new Random(67);
        OnnxDifferentiableModel m = Fixtures.load(decomposedLayerNorm(rnd));
        try {
            Tensor x = LrpRulesTest.random(rnd, 4, 6);
            // the division by the input-dependent std: DeepLIFT's exact quotient multipliers
            assertDeepLiftComplete(m, x, LrpRulesTest.random(new Random(11), 4, 6), "decomposed LayerNorm");
            assertDeepLiftComplete(m, x, Fixtures.zerosLike(x), "decomposed LayerNorm");
            // LRP: the std is a normaliser (all relevance to h - mean), Sub and ReduceMean the norm rule
            assertLrpConserves(m, x, "decomposed LayerNorm");
        } finally {
            Fixtures.close(m);
        }
    }

    @Test
    void differenceOfTwoBranches_lrpConservesWithTheSubtrahendsNegativeShare() {
        Random rnd = new Random(71);
        OnnxDifferentiableModel m = Fixtures.load(difference(rnd));
        try {
            Tensor x = LrpRulesTest.random(rnd, 4, 6);
            assertLrpConserves(m, x, "a - b");
            assertDeepLiftComplete(m, x, Fixtures.zerosLike(x), "a - b");
        } finally {
            Fixtures.close(m);
        }
    }

    @Test
    void logMagnitudeBlock_deepLiftIsComplete() {
        Random rnd = new Random(59);
        OnnxDifferentiableModel m = Fixtures.load(logMagnitude(rnd));
        try {
            Tensor x = LrpRulesTest.random(rnd, 4, 8);
            assertDeepLiftComplete(m, x, LrpRulesTest.random(new Random(9), 4, 8), "log-magnitude");
            assertDeepLiftComplete(m, x, Fixtures.zerosLike(x), "log-magnitude");
            // and it is not the gradient times the difference (log and 1/x are not homogeneous)
            int[] targets = {0, 1, 2, 0};
            Tensor ref = Fixtures.zerosLike(x);
            double[] dl = Fixtures.deepLift(m, x, ref, targets, DEEPLIFT);
            double[] g = Fixtures.backward(m, x, Fixtures.oneHot(targets, 3, null), new int[] {4, 3}, RuleSet.gradient());
            double[] xv = x.toDoubleArray();
            double[] gx = new double[xv.length];
            for (int i = 0; i < xv.length; i++) {
                gx[i] = xv[i] * g[i];
            }
            assertThat(Fixtures.relativeError(dl, gx)).isGreaterThan(1e-2);
        } finally {
            Fixtures.close(m);
        }
    }

    @Test
    void magnitudeAtZeroEqualToItsReference_passesZeroNotNaN() {
        // a row equal to its zero reference: sqrt's derivative at 0 is infinite; the rule passes 0
        Random rnd = new Random(61);
        OnnxDifferentiableModel m = Fixtures.load(magnitude(rnd));
        try {
            Tensor x = Tensor.concat(List.of(LrpRulesTest.random(rnd, 1, 8), Tensor.zeros(org.explain4j.core.DType.FLOAT32,
                    1, 8)));
            double[] dl = Fixtures.deepLift(m, x, Fixtures.zerosLike(x), new int[] {0, 0}, DEEPLIFT);
            for (int i = 0; i < dl.length; i++) {
                assertThat(Double.isFinite(dl[i])).as("attribution %d is finite", i).isTrue();
            }
            for (int i = 8; i < 16; i++) {
                assertThat(dl[i]).isZero();
            }
            assertThat(Fixtures.sum(dl, 0, 8)).isNotZero();
        } finally {
            Fixtures.close(m);
        }
    }

    private static void assertDeepLiftComplete(OnnxDifferentiableModel m, Tensor x, Tensor ref, String what) {
        Tensor fx = m.forward(x);
        Tensor fr = m.forward(ref);
        int classes = fx.dim(1);
        int n = x.dim(0);
        int[] targets = new int[n];
        for (int i = 0; i < n; i++) {
            targets[i] = i % classes;
        }
        double[] a = Fixtures.deepLift(m, x, ref, targets, DEEPLIFT);
        int per = x.exampleSize();
        for (int e = 0; e < n; e++) {
            double delta = fx.getDouble(e * classes + targets[e]) - fr.getDouble(e * classes + targets[e]);
            assertThat(Fixtures.sum(a, e * per, (e + 1) * per)).as("%s, example %d: DeepLIFT sum vs f(x) - f(ref)", what, e)
                    .isCloseTo(delta, Offset.offset(1e-4 * Math.max(1, Math.abs(delta))));
        }
    }

    private static void assertLrpConserves(OnnxDifferentiableModel m, Tensor x, String what) {
        Tensor out = m.forward(x);
        int classes = out.dim(1);
        int n = x.dim(0);
        int[] targets = new int[n];
        for (int i = 0; i < n; i++) {
            targets[i] = (i + 1) % classes;
        }
        double[] rel = Fixtures.lrp(m, x, targets, Fixtures.composite("epsilon", "epsilon", 1e-9));
        int per = x.exampleSize();
        for (int e = 0; e < n; e++) {
            double logit = out.getDouble(e * classes + targets[e]);
            assertThat(Fixtures.sum(rel, e * per, (e + 1) * per)).as("%s, example %d: LRP relevance sum vs the logit", what, e)
                    .isCloseTo(logit, Offset.offset(1e-4 * Math.max(1, Math.abs(logit))));
        }
    }
}
