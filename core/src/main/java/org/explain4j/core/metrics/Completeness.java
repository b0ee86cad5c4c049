package org.explain4j.core.metrics;

import java.util.List;
import java.util.Optional;
import org.explain4j.core.catalog.Params;

/**
 * Completeness (Sundararajan et al. 2017, "Axiomatic attribution for deep networks"), as
 * explain4j defines it (not Quantus 0.6.0's exact float equality): the signed gap
 * {@code sum(a) - (f(x)[y] - f(x_b)[y])} per example, x_b = every feature at
 * {@code perturb-baseline} of the original x. 0 for a complete attribution.
 */
final class Completeness extends BaseMetric {
    static final String NAME = "completeness";

    static MetricSpec spec() {
        return new MetricSpec(NAME, Category.AXIOMATIC, "Quantus 0.6.0 Completeness (signed gap instead of an equality)",
                "gap between the attribution's sum and the output change from the baseline: 0 is complete",
                "sum(a) - (f(x) - f(baseline)) for the target class: how much relevance is missing (negative) or extra "
                        + "(positive). Closer to 0 is better.",
                List.of(QuantusParams.perturbBaseline("black"), QuantusParams.abs(false), QuantusParams.normalise(true),
                        QuantusParams.softmax(false)),
                false, false, false, "(N,) signed gap", Optional.empty(), Completeness::new);
    }

    private final PerturbBaseline baseline;

    Completeness(Params params) {
        super(NAME, params);
        this.baseline = PerturbBaseline.of(params);
    }

    @Override
    public Scores evaluate(MetricInput in) {
        ExampleData d = ExampleData.of(in);
        ModelCalls calls = ModelCalls.of(in);
        double[][] a = preprocessed(d);
        int n = d.size();
        double[][] rows = new double[2 * n][];
        for (int ex = 0; ex < n; ex++) {
            rows[ex] = d.x()[ex];
            double b = baseline.of(d.x()[ex], MetricRandom.forExample(in.seed(), ex));
            rows[n + ex] = new double[d.features()];
            java.util.Arrays.fill(rows[n + ex], b);
        }
        // row n + ex (the baseline) belongs to example ex, as row ex does
        double[] f = calls.targets("completeness", rows, d.targets(), params.bool("softmax"));
        double[] out = new double[n];
        for (int ex = 0; ex < n; ex++) {
            double sum = 0;
            for (double v : a[ex]) {
                sum += v;
            }
            out[ex] = sum - (f[ex] - f[n + ex]);
        }
        return MetricResults.perExample(NAME, out, params,
                baseline.random() ? Optional.of(in.seed()) : Optional.empty(), calls.evaluations());
    }
}
