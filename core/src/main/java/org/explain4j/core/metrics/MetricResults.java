package org.explain4j.core.metrics;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.explain4j.core.catalog.Params;

/** Builds a metric's {@link Scores} from plain arrays (one value per example, or one row per example). */
final class MetricResults {
    private MetricResults() {
    }

    /** One score per example, shape {@code (N,)}. */
    static Scores perExample(String metric, double[] values, Params params, Optional<Long> seed, long evaluations) {
        return new Scores(metric, org.explain4j.core.Tensor.ofDoubles(values, values.length), parameters(params), seed,
                Optional.empty(), evaluations);
    }

    /** One row per example, shape {@code (N, K)}. */
    static Scores perExampleRows(String metric, double[][] rows, Params params, Optional<Long> seed, long evaluations) {
        int k = rows.length == 0 ? 0 : rows[0].length;
        return new Scores(metric, ExampleData.tensor(rows, k), parameters(params), seed, Optional.empty(), evaluations);
    }

    /** The bound parameters as recorded (int lists as lists). */
    static Map<String, Object> parameters(Params params) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : params.values().entrySet()) {
            Object v = e.getValue();
            if (v instanceof int[] a) {
                v = java.util.Arrays.stream(a).boxed().toList();
            }
            out.put(e.getKey(), v);
        }
        return out;
    }
}
