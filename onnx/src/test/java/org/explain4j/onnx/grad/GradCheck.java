package org.explain4j.onnx.grad;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.ModelProto;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.explain4j.core.DType;
import org.explain4j.core.Tensor;
import org.explain4j.core.grad.BackwardRequest;
import org.explain4j.core.grad.BackwardResult;
import org.explain4j.onnx.OnnxModel;

/** Checks vector-Jacobian products against central finite differences. */
final class GradCheck {
    private GradCheck() {
    }

    /** Loads a model proto as an {@link OnnxDifferentiableModel} (through a temporary file). */
    static OnnxDifferentiableModel load(ModelProto model) {
        try {
            Path f = Files.createTempFile("explain4j-grad", ".onnx");
            try {
                Files.write(f, model.toByteArray());
                return new OnnxDifferentiableModel(OnnxModel.load(f));
            } finally {
                Files.deleteIfExists(f);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Random values in [lo, hi) of the given type and shape. */
    static Tensor random(Random rnd, DType type, double lo, double hi, int... shape) {
        int n = (int) Tensor.sizeOf(shape);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = lo + (hi - lo) * rnd.nextDouble();
        }
        return type == DType.FLOAT32 ? Tensor.ofDoublesAsFloats(v, shape) : Tensor.ofDoubles(v, shape);
    }

    /** Distinct values (a shuffled grid spaced by {@code gap}), so no max-pooling window has near-ties. */
    static Tensor distinct(Random rnd, double gap, int... shape) {
        int n = (int) Tensor.sizeOf(shape);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = (i - n / 2.0) * gap;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            double t = v[i];
            v[i] = v[j];
            v[j] = t;
        }
        return Tensor.ofDoublesAsFloats(v, shape);
    }

    /** {@code sum(seed * f(x))}. */
    static double dot(Tensor seed, Tensor out) {
        double[] s = seed.toDoubleArray();
        double[] o = out.toDoubleArray();
        double sum = 0;
        for (int i = 0; i < s.length; i++) {
            sum += s[i] * o[i];
        }
        return sum;
    }

    /** The finite-difference gradient of {@code sum(seed * f(x))} with respect to every element of x. */
    static double[] numeric(Function<Tensor, Tensor> f, Tensor x, Tensor seed, double h) {
        double[] base = x.toDoubleArray();
        double[] grad = new double[base.length];
        for (int i = 0; i < base.length; i++) {
            double[] plus = base.clone();
            double[] minus = base.clone();
            plus[i] += h;
            minus[i] -= h;
            double fp = dot(seed, f.apply(like(x, plus)));
            double fm = dot(seed, f.apply(like(x, minus)));
            grad[i] = (fp - fm) / (2 * h);
        }
        return grad;
    }

    static Tensor like(Tensor x, double[] v) {
        return x.dtype() == DType.FLOAT32 ? Tensor.ofDoublesAsFloats(v, x.shape()) : Tensor.ofDoubles(v, x.shape());
    }

    /** Asserts {@code max|actual - expected| <= tol * max(1, max|expected|)}. */
    static void assertClose(String what, double[] actual, double[] expected, double tol) {
        assertThat(actual).as(what + ": length").hasSameSizeAs(expected);
        double scale = 1;
        for (double e : expected) {
            scale = Math.max(scale, Math.abs(e));
        }
        double worst = 0;
        int at = -1;
        for (int i = 0; i < actual.length; i++) {
            double d = Math.abs(actual[i] - expected[i]);
            if (d > worst || Double.isNaN(d)) {
                worst = Double.isNaN(d) ? Double.POSITIVE_INFINITY : d;
                at = i;
            }
        }
        String detail = at < 0 ? "" : " (worst at " + at + ": " + actual[at] + " vs " + expected[at] + ")";
        assertThat(worst).as(what + detail).isLessThanOrEqualTo(tol * scale);
    }

    /**
     * Builds the backward graph of {@code model} for the input gradient and checks it against
     * finite differences of the forward pass at {@code x}, with a random seed.
     */
    static void checkInputGradient(ModelProto model, Tensor x, double h, double tol) {
        try (OnnxDifferentiableModel m = load(model)) {
            checkInputGradient(m, x, h, tol, new Random(17));
            m.model().close();
        }
    }

    static void checkInputGradient(OnnxDifferentiableModel m, Tensor x, double h, double tol, Random rnd) {
        Tensor out = m.forward(x);
        Tensor seed = random(rnd, out.dtype(), -1, 1, out.shape());
        BackwardResult r = m.backward(x, seed, BackwardRequest.gradientOfInput());
        assertClose("forward output", r.output().toDoubleArray(), out.toDoubleArray(), 1e-6);
        assertThat(r.inputGradient()).isPresent();
        assertThat(r.inputGradient().get().shape()).isEqualTo(x.shape());
        double[] expected = numeric(m::forward, x, seed, h);
        assertClose("input gradient", r.inputGradient().get().toDoubleArray(), expected, tol);
    }

    /**
     * Checks the VJP with respect to an intermediate tensor: captured (no feed) against finite
     * differences computed by feeding the tensor a perturbed activation.
     */
    static void checkLayerGradient(OnnxDifferentiableModel m, Tensor x, String layer, double h, double tol) {
        Tensor out = m.forward(x);
        Tensor seed = random(new Random(5), out.dtype(), -1, 1, out.shape());
        BackwardRequest capture = BackwardRequest.gradientOfInput().withInputGradient(false)
                .withCaptures(java.util.List.of(layer));
        BackwardResult r = m.backward(x, seed, capture);
        Tensor act = r.activations().get(layer);
        Function<Tensor, Tensor> fed = v -> m.backward(x, seed, BackwardRequest.gradientOfInput()
                .withInputGradient(false).withFeeds(Map.of(layer, v))).output();
        assertClose("output with the layer fed its own activation", fed.apply(act).toDoubleArray(),
                out.toDoubleArray(), 1e-6);
        double[] expected = numeric(fed, act, seed, h);
        assertClose("gradient at " + layer, r.gradients().get(layer).toDoubleArray(), expected, tol);
    }
}
