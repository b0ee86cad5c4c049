package org.explain4j.core.metrics;

import java.util.Optional;
import org.explain4j.core.catalog.Params;

/**
 * A metric that scores each example from its preprocessed attribution alone (the complexity
 * metrics): no model call, no random draw, one value per example.
 */
abstract class AttributionScoreMetric extends BaseMetric {
    AttributionScoreMetric(String name, Params params) {
        super(name, params);
    }

    /** The score of one example's preprocessed attribution. */
    abstract double score(double[] a);

    @Override
    public final Scores evaluate(MetricInput in) {
        ExampleData d = ExampleData.of(in);
        double[][] a = preprocessed(d);
        double[] out = new double[d.size()];
        for (int n = 0; n < out.length; n++) {
            out[n] = score(a[n]);
        }
        return perExample(out, Optional.empty(), 0);
    }
}
