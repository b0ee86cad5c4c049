package org.explain4j.core.metrics;

import org.explain4j.core.catalog.Params;

/**
 * What the robustness metrics that recompute explanations set up first, in this order: the
 * examples, the explainer (a usage error naming the metric when the caller gave none), the model
 * calls, and the bound {@code normalise}, {@code abs} and {@code return-nan-when-prediction-changes}.
 */
record Reexplaining(ExampleData d, ReExplain explain, ModelCalls calls, boolean normalise, boolean abs,
                    boolean nanOnChange) {
    static Reexplaining of(MetricInput in, Params params, String metric) {
        ExampleData d = ExampleData.of(in);
        ReExplain explain = ReExplain.of(in, metric);
        ModelCalls calls = ModelCalls.of(in);
        return new Reexplaining(d, explain, calls, params.bool("normalise"), params.bool("abs"),
                params.bool("return-nan-when-prediction-changes"));
    }

    /** The explanations of {@code rows} for {@code targets} on the input's model, preprocessed as bound. */
    double[][] explain(MetricInput in, double[][] rows, int[] targets) {
        return explain.explain(in.model(), rows, targets, normalise, abs);
    }
}
