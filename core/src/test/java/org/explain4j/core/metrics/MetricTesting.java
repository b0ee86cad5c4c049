package org.explain4j.core.metrics;

import java.util.Map;
import java.util.Optional;
import org.explain4j.core.Tensor;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.model.FunctionModel;
import org.explain4j.core.model.Model;

/** Small helpers for the metric tests: inputs, bound metrics, linear models. */
final class MetricTesting {
    private MetricTesting() {
    }

    static Tensor rows(double[][] rows, int... exampleShape) {
        return ExampleData.tensor(rows, exampleShape);
    }

    static double[] run(String metric, Map<String, ?> params, MetricInput in) {
        MetricSpec spec = MetricCatalog.get(metric);
        return spec.factory().create(spec.bind(params)).evaluate(in).values().toDoubleArray();
    }

    static MetricInput input(Model model, Tensor x, Tensor a, int[] targets, Optional<Tensor> mask, Explainer explainer,
                             long seed, int batchSize) {
        return new MetricInput(model, x, a, targets, mask, Optional.ofNullable(explainer), seed, batchSize,
                ProgressListener.NONE);
    }

    /** A mask-only input (no model call is made by the localisation metrics). */
    static MetricInput masked(double[][] a, double[][] mask, int... exampleShape) {
        Tensor at = rows(a, exampleShape);
        double[][] w = new double[1][at.exampleSize()];
        Model m = FunctionModel.linear(w, new double[1], exampleShape);
        return input(m, at, at, new int[a.length], Optional.of(rows(mask, exampleShape)), null, 0, 64);
    }

    /** {@code y = W x} (float64 input). */
    static Model linear(double[][] w, int... exampleShape) {
        return FunctionModel.linear(w, new double[w.length], exampleShape);
    }

    /** Input x gradient of a linear model: w_t * x. */
    static Explainer inputTimesGradient(double[][] w) {
        return (model, input, targets) -> {
            int n = input.batchSize();
            int f = input.exampleSize();
            double[] x = input.toDoubleArray();
            double[] out = new double[n * f];
            for (int r = 0; r < n; r++) {
                for (int i = 0; i < f; i++) {
                    out[r * f + i] = w[targets[r]][i] * x[r * f + i];
                }
            }
            return Tensor.ofDoubles(out, input.shape());
        };
    }
}
