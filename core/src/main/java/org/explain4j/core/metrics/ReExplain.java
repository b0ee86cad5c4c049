package org.explain4j.core.metrics;

import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.core.model.Model;

/**
 * The re-explaining metrics' calls to {@link MetricInput#explainer()}: rows of inputs (and their
 * target classes) explained in chunks of at most the batch size, so memory stays flat however
 * many perturbed copies a metric asks for. The chosen methods are deterministic per example, so
 * chunking never changes a value.
 */
final class ReExplain {
    private final Explainer explainer;
    private final int batchSize;
    private final int[] exampleShape;

    private ReExplain(Explainer explainer, int batchSize, int[] exampleShape) {
        this.explainer = explainer;
        this.batchSize = batchSize;
        this.exampleShape = exampleShape;
    }

    /** The explainer of {@code in}; a usage error naming {@code method} when the caller gave none. */
    static ReExplain of(MetricInput in, String metric) {
        Explainer e = in.explainer().orElseThrow(() -> Explain4jException.usage("method", metric
                + " recomputes explanations: choose the method with --method (e.g. saliency)"));
        return new ReExplain(e, Math.max(1, in.batchSize()), in.input().exampleShape());
    }

    /** The explanations of {@code rows} (flattened inputs) for {@code targets} on {@code model}, flattened. */
    double[][] explain(Model model, double[][] rows, int[] targets) {
        int n = rows.length;
        int size = rows.length == 0 ? 0 : rows[0].length;
        double[][] out = new double[n][];
        for (int from = 0; from < n; from += batchSize) {
            int to = Math.min(n, from + batchSize);
            double[] flat = new double[(to - from) * size];
            for (int r = from; r < to; r++) {
                System.arraycopy(rows[r], 0, flat, (r - from) * size, size);
            }
            int[] shape = new int[exampleShape.length + 1];
            shape[0] = to - from;
            System.arraycopy(exampleShape, 0, shape, 1, exampleShape.length);
            Tensor input = model.signature().inputType() == org.explain4j.core.DType.FLOAT64
                    ? Tensor.ofDoubles(flat, shape) : Tensor.ofDoublesAsFloats(flat, shape);
            Tensor e = explainer.explain(model, input, java.util.Arrays.copyOfRange(targets, from, to));
            if (e.size() != flat.length) {
                throw Explain4jException.shape("method", "the method returned " + e.describe() + " for an input of shape "
                        + Tensor.shapeString(shape) + "; metrics need one attribution per input element");
            }
            double[][] part = ExampleData.rows(e.reshape(shape));
            System.arraycopy(part, 0, out, from, to - from);
        }
        return out;
    }

    /** As {@link #explain}, then the metric's preprocessing (normalise per example, then abs). */
    double[][] explain(Model model, double[][] rows, int[] targets, boolean normalise, boolean abs) {
        return Attributions.preprocess(explain(model, rows, targets), normalise, abs);
    }
}
