package org.explain4j.core.metrics;

import java.util.Map;
import java.util.Optional;
import org.explain4j.core.Tensor;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.model.Model;

/** Small helpers of the metric tests. */
final class MetricFixtures {
    private MetricFixtures() {
    }

    static Scores run(String metric, Map<String, ?> params, Model model, Tensor x, Tensor a, int[] targets, long seed,
                      int batchSize) {
        Metric m = MetricCatalog.get(metric).factory().create(MetricCatalog.get(metric).bind(params));
        return m.evaluate(new MetricInput(model, x, a, targets, Optional.empty(), Optional.empty(), seed, batchSize,
                ProgressListener.NONE));
    }

    static double[] values(Scores s) {
        return s.values().toDoubleArray();
    }
}
