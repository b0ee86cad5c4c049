package org.explain4j.core.metrics;

import java.util.Arrays;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;

/**
 * A metric's checked input as per-example rows (flattened in C order) and Quantus's view of one
 * example's shape: images {@code (C, H, W)}; a tabular example {@code (F)} is {@code (1, 1, F)}
 * (one channel, F features), a sequence {@code (C, L)} is {@code (C, 1, L)}. {@link #spatial()} is
 * Quantus's {@code prod(x.shape[2:])} (H*W, or F): what {@code features_in_step} must divide.
 */
public final class ExampleData {
    private final int n;
    private final int[] exampleShape;
    private final int channels;
    private final int height;
    private final int width;
    private final double[][] x;
    private final double[][] a;
    private final int[] targets;

    private ExampleData(int n, int[] exampleShape, int channels, int height, int width, double[][] x, double[][] a,
                        int[] targets) {
        this.n = n;
        this.exampleShape = exampleShape;
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.x = x;
        this.a = a;
        this.targets = targets;
    }

    /**
     * Checks {@code in}: input and attribution of the same shape, finite, one target per example
     * (from 0 to the model's last output: {@link #requireTargetsInRange}), a mask of the input's
     * shape when there is one.
     */
    public static ExampleData of(MetricInput in) {
        Tensor input = in.input();
        Tensor attribution = in.attribution();
        if (input.rank() < 2) {
            throw Explain4jException.shape("input", "input has shape " + Tensor.shapeString(input.shape())
                    + "; metrics take a batch (N, F) or (N, C, H, W)");
        }
        if (input.batchSize() == 0) {
            throw Explain4jException.shape("input", "input is an empty batch; pass at least one example");
        }
        if (!Arrays.equals(input.shape(), attribution.shape())) {
            throw Explain4jException.shape("attribution", "attribution has shape " + Tensor.shapeString(attribution.shape())
                    + " but the input has shape " + Tensor.shapeString(input.shape()) + "; pass one attribution per input element");
        }
        requireFinite(input, "input");
        requireFinite(attribution, "attribution");
        in.mask().ifPresent(m -> {
            if (!Arrays.equals(input.shape(), m.shape())) {
                throw Explain4jException.shape("mask", "mask has shape " + Tensor.shapeString(m.shape())
                        + " but the input has shape " + Tensor.shapeString(input.shape()) + "; pass a 0/1 mask of the input's shape");
            }
            requireFinite(m, "mask");
        });
        int n = input.batchSize();
        int[] targets = in.targets();
        if (targets.length != n) {
            throw Explain4jException.target("target", "target gives " + targets.length + " classes for " + n
                    + " examples; pass one class for all or one per example");
        }
        for (int t : targets) {
            if (t < 0) {
                throw Explain4jException.target("target", "target " + t + " is negative; pass a class index");
            }
        }
        requireTargetsInRange(in.model(), input, targets);
        int[] es = input.exampleShape();
        int c;
        int h;
        int w;
        if (es.length == 1) {
            c = 1;
            h = 1;
            w = es[0];
        } else if (es.length == 2) {
            c = es[0];
            h = 1;
            w = es[1];
        } else {
            c = es[0];
            w = es[es.length - 1];
            int hh = 1;
            for (int i = 1; i < es.length - 1; i++) {
                hh *= es[i];
            }
            h = hh;
        }
        return new ExampleData(n, es, c, h, w, rows(input), rows(attribution), targets);
    }

    /**
     * Refuses a target beyond the model's outputs before any metric runs: a metric that never calls
     * the model (sparseness, the localisation metrics) would otherwise score it. The number of
     * outputs is the declared one, else that of one forward pass on the first example (not counted
     * as the metric's evaluation).
     */
    static void requireTargetsInRange(org.explain4j.core.model.Model model, Tensor input, int[] targets) {
        int classes = model.signature().outputSize();
        for (int t : targets) {
            if (classes < 0) {
                // only counted: no output column is explained here, so none is checked for NaN or
                // infinity (a masked logit of -inf in a column no metric reads is allowed)
                classes = new org.explain4j.core.engine.EvaluationEngine(model, 1)
                        .explaining(org.explain4j.core.model.ModelOutputs.NONE).forward(input.slice(0, 1)).dim(1);
            }
            org.explain4j.core.Target.requireInRange("target", t, classes);
        }
    }

    private static void requireFinite(Tensor t, String name) {
        int i = t.firstNonFinite();
        if (i >= 0) {
            throw new Explain4jException(org.explain4j.core.ErrorKind.NON_FINITE, name, name + " holds a non-finite value ("
                    + t.getDouble(i) + ") at index " + t.indexString(i) + "; pass finite values");
        }
    }

    /** One row per example, flattened in C order. */
    public static double[][] rows(Tensor t) {
        int n = t.batchSize();
        int size = t.exampleSize();
        double[] all = t.toDoubleArray();
        double[][] out = new double[n][size];
        for (int i = 0; i < n; i++) {
            System.arraycopy(all, i * size, out[i], 0, size);
        }
        return out;
    }

    /** Rows back into a float64 tensor of shape {@code (N, ...)} (the rows' lengths must be equal). */
    public static Tensor tensor(double[][] rows, int... exampleShape) {
        int size = rows.length == 0 ? 0 : rows[0].length;
        double[] all = new double[rows.length * size];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, all, i * size, size);
        }
        int[] shape = new int[exampleShape.length + 1];
        shape[0] = rows.length;
        System.arraycopy(exampleShape, 0, shape, 1, exampleShape.length);
        return Tensor.ofDoubles(all, shape);
    }

    public int size() {
        return n;
    }

    /** Elements per example (C*H*W, or F). */
    public int features() {
        return x.length == 0 ? 0 : x[0].length;
    }

    /** Quantus's {@code prod(x.shape[2:])}: H*W for images, F for a tabular batch. */
    public int spatial() {
        return height * width;
    }

    public int channels() {
        return channels;
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    /** True for image batches {@code (N, C, H, W)}. */
    public boolean isImage() {
        return exampleShape.length == 3;
    }

    public int[] exampleShape() {
        return exampleShape.clone();
    }

    /** The input rows (the arrays themselves: callers copy before changing them). */
    public double[][] x() {
        return x;
    }

    /** The attribution rows as given (not preprocessed). */
    public double[][] a() {
        return a;
    }

    public int[] targets() {
        return targets.clone();
    }

    public int target(int example) {
        return targets[example];
    }

    /** Refuses a non-image batch for metrics defined on images only. */
    public void requireImage(String metric) {
        if (!isImage()) {
            throw Explain4jException.shape("input", metric + " works on images (N, C, H, W); the input's examples have shape "
                    + Tensor.shapeString(exampleShape));
        }
    }

    /** Refuses a {@code features-in-step} that does not divide H*W (Quantus asserts it). */
    public void requireDivides(int featuresInStep) {
        if (featuresInStep > spatial() || spatial() % featuresInStep != 0) {
            throw Explain4jException.usage("features-in-step", "features-in-step " + featuresInStep
                    + " must divide the number of features per channel (" + spatial() + ")");
        }
    }
}
