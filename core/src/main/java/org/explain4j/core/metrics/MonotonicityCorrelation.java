package org.explain4j.core.metrics;

import java.util.List;
import java.util.Optional;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.ParamSpec;
import org.explain4j.core.catalog.Params;

/**
 * Monotonicity correlation (Nguyen and Rodriguez Martinez 2020; Quantus
 * {@code MonotonicityCorrelation}): features in ascending order; for each step (not cumulative)
 * the mean squared output change over {@code nr-samples} baseline replacements, scaled by
 * {@code 1/|f(x)[y]|^2}; the score is the Spearman correlation of the step's attribution sum and
 * that variance.
 */
final class MonotonicityCorrelation extends FeatureStepMetric {
    static final String NAME = "monotonicity-correlation";

    static MetricSpec spec() {
        return new MetricSpec(NAME, Category.FAITHFULNESS,
                "Quantus 0.6.0 MonotonicityCorrelation (Nguyen & Rodriguez Martinez 2020)",
                "Spearman correlation of feature importance with the output's sensitivity to removing it; higher is better",
                "Features in ascending attribution order, features-in-step at a time; for each step (not cumulative) "
                        + "nr-samples times set its features of x to the baseline; v_j = mean (f(x_j)[y] - f(x)[y])^2 / f(x)[y]^2 "
                        + "(no scaling when |f(x)[y]| < eps). Score: Spearman(attribution sums, v).",
                List.of(ParamSpec.real("eps", 1e-5, ParamSpec.Range.atLeast(0), "below this |f(x)[y]| the variance is not scaled"),
                        ParamSpec.integer("nr-samples", 100, ParamSpec.Range.atLeast(1), "replacements per step").budget(),
                        MetricParams.featuresInStep(), MetricParams.abs(true), MetricParams.normalise(true),
                        MetricParams.perturbBaseline("uniform"), MetricParams.softmax(true)),
                false, false, true, "(N,)", Optional.of(true), MonotonicityCorrelation::new);
    }

    private final int samples;

    MonotonicityCorrelation(Params p) {
        super(NAME, p);
        this.samples = p.integer("nr-samples");
    }

    @Override
    public Scores evaluate(MetricInput in) {
        ExampleData d = ExampleData.of(in);
        double[][] a = stepAttributions(d);
        boolean softmax = params.bool("softmax");
        double eps = params.real("eps");
        int n = d.size();
        int f = d.features();
        int steps = steps(f);
        // A deterministic baseline gives nr-samples identical replacements: evaluate one, average them all.
        int drawn = baseline.random() ? samples : 1;
        double[][] x = d.x();
        int[][] order = new int[n][];
        for (int e = 0; e < n; e++) {
            order[e] = Attributions.ascending(a[e]);
        }
        double[][] fill = fills(x, steps * drawn, in.seed());
        ModelCalls calls = ModelCalls.of(in);
        double[] y = calls.targets(NAME + " (unperturbed)", x, d.targets(), softmax);
        int per = steps * drawn;
        double[] yp = stepOutputs(calls, d, x, order, fill, steps, drawn, softmax);
        double[] scores = new double[n];
        for (int e = 0; e < n; e++) {
            double inv = Math.abs(y[e]) >= eps ? 1.0 / (Math.abs(y[e]) * Math.abs(y[e])) : 1.0;
            double[] sums = new double[steps];
            double[] vars = new double[steps];
            for (int j = 0; j < steps; j++) {
                double s = 0;
                for (int t = 0; t < samples; t++) {
                    double dy = yp[e * per + j * drawn + (drawn == 1 ? 0 : t)] - y[e];
                    s += dy * dy;
                }
                vars[j] = s / samples * inv;
                sums[j] = stepSum(a[e], order[e], j, f);
            }
            scores[e] = Correlations.spearman(sums, vars);
        }
        return scores(Tensor.ofDoubles(scores, n), in, calls);
    }
}
