package org.explain4j.onnx.grad.propagation;

import static org.assertj.core.api.Assumptions.assumeThat;

import ai.onnx.proto.OnnxMl.ModelProto;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.explain4j.core.DType;
import org.explain4j.core.Tensor;
import org.explain4j.core.grad.BackwardRequest;
import org.explain4j.core.grad.Canonizer;
import org.explain4j.core.grad.Composite;
import org.explain4j.core.grad.Composites;
import org.explain4j.core.grad.RuleSet;
import org.explain4j.onnx.OnnxModel;
import org.explain4j.onnx.grad.OnnxDifferentiableModel;

/** Loading models and running propagation passes the way the core methods will. */
final class Fixtures {
    private Fixtures() {
    }

    /** The canonizers of the LRP composites and DeepLIFT. */
    static final List<Canonizer> MERGE = List.of(Canonizer.MERGE_BATCH_NORM);

    /**
     * A file of ../shared/golden: the test is skipped when it is not there, or fails when the
     * system property {@code explain4j.requireGolden} is {@code true}.
     */
    static Path golden(String file) {
        boolean required = Boolean.getBoolean("explain4j.requireGolden");
        String shared = System.getProperty("explain4j.shared");
        Path p = shared == null ? null : Path.of(shared, "golden", file);
        boolean present = p != null && Files.exists(p);
        if (required && !present) {
            throw new AssertionError("explain4j.requireGolden is true but the golden file " + (p == null
                    ? file + " cannot be found (system property explain4j.shared is not set)" : p + " is missing"));
        }
        assumeThat(shared).as("system property explain4j.shared").isNotNull();
        assumeThat(present).as(p + " exists").isTrue();
        return p;
    }

    /** A built-in composite's rule set with parameters given as (option name, value) pairs, e.g. ("gamma", 0.5). */
    static RuleSet composite(String name, Object... params) {
        Map<Composite.Parameter, Double> given = new java.util.EnumMap<>(Composite.Parameter.class);
        for (int i = 0; i < params.length; i += 2) {
            given.put(Composite.parameter((String) params[i]), ((Number) params[i + 1]).doubleValue());
        }
        return Composites.byName(name).rules(given);
    }

    /** A model of fixtures/models. */
    static Path fixture(String file) {
        Path p = Path.of("..", "fixtures", "models", file);
        if (!Files.exists(p)) {
            throw new AssertionError("the committed fixture " + p.toAbsolutePath().normalize() + " is missing; "
                    + "regenerate it with fixtures/make_fixtures.py");
        }
        return p;
    }

    /** A differentiable model with every propagation rule, on a model file. */
    static OnnxDifferentiableModel load(Path path) {
        return new OnnxDifferentiableModel(OnnxModel.load(path), PropagationRegistry.standard());
    }

    /** A differentiable model with every propagation rule, on a model proto (through a temporary file). */
    static OnnxDifferentiableModel load(ModelProto model) {
        try {
            Path f = Files.createTempFile("explain4j-propagation", ".onnx");
            try {
                Files.write(f, model.toByteArray());
                return load(f);
            } finally {
                Files.deleteIfExists(f);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Closes the differentiable model and the model it wraps. */
    static void close(OnnxDifferentiableModel m) {
        m.close();
        m.model().close();
    }

    /** The input VJP of {@code seed} under {@code rules}. */
    static double[] backward(OnnxDifferentiableModel m, Tensor x, double[] seed, int[] seedShape, RuleSet rules) {
        Tensor s = x.dtype() == DType.FLOAT64 ? Tensor.ofDoubles(seed, seedShape)
                : Tensor.ofDoublesAsFloats(seed, seedShape);
        return m.backward(x, s, BackwardRequest.gradientOfInput()
                .withRules(rules)).inputGradient().orElseThrow().toDoubleArray();
    }

    /** One-hot rows of the targets, {@code [N, C]}, each scaled by {@code scale[n]} (null for 1). */
    static double[] oneHot(int[] targets, int classes, double[] scale) {
        double[] s = new double[targets.length * classes];
        for (int n = 0; n < targets.length; n++) {
            s[n * classes + targets[n]] = scale == null ? 1 : scale[n];
        }
        return s;
    }

    /**
     * LRP as the core method computes it: the seed is the target logit's value at the target, and
     * the relevance is the input VJP.
     */
    static double[] lrp(OnnxDifferentiableModel m, Tensor x, int[] targets, RuleSet rules) {
        Tensor out = m.forward(x);
        int classes = out.dim(1);
        double[] value = new double[targets.length];
        for (int n = 0; n < targets.length; n++) {
            value[n] = out.getDouble(n * classes + targets[n]);
        }
        return backward(m, x, oneHot(targets, classes, value), out.shape(), rules);
    }

    /**
     * DeepLIFT as the core method computes it: the batch {@code [x; ref]}, the seed
     * {@code [one-hot; 0]}, the attribution {@code (x - ref) * grad[:N]}.
     */
    static double[] deepLift(OnnxDifferentiableModel m, Tensor x, Tensor ref, int[] targets, RuleSet rules) {
        int n = x.dim(0);
        Tensor batch = Tensor.concat(List.of(x, ref));
        Tensor out = m.forward(x);
        int classes = out.dim(1);
        double[] seed = new double[2 * n * classes];
        System.arraycopy(oneHot(targets, classes, null), 0, seed, 0, n * classes);
        double[] g = backward(m, batch, seed, new int[] {2 * n, classes}, rules);
        double[] xv = x.toDoubleArray();
        double[] rv = ref.toDoubleArray();
        double[] a = new double[xv.length];
        for (int i = 0; i < a.length; i++) {
            a[i] = (xv[i] - rv[i]) * g[i];
        }
        return a;
    }

    /** {@code rows} copies of a one-row tensor {@code (1, ...)}. */
    static Tensor repeat(Tensor row, int rows) {
        return Tensor.concat(java.util.Collections.nCopies(rows, row));
    }

    /** {@code max|a - e| / max|e|}. */
    static double relativeError(double[] actual, double[] expected) {
        double err = 0;
        double max = 0;
        for (int i = 0; i < expected.length; i++) {
            err = Math.max(err, Math.abs(actual[i] - expected[i]));
            max = Math.max(max, Math.abs(expected[i]));
        }
        return err / max;
    }

    static double sum(double[] v, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) {
            s += v[i];
        }
        return s;
    }

    static Tensor zerosLike(Tensor x) {
        return Tensor.zeros(x.dtype(), x.shape());
    }

    static Map<String, Double> params(Object... kv) {
        java.util.Map<String, Double> m = new java.util.HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], ((Number) kv[i + 1]).doubleValue());
        }
        return m;
    }
}
