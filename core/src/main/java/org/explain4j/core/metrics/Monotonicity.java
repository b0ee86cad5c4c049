package org.explain4j.core.metrics;

import java.util.List;
import java.util.Optional;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.Params;

/**
 * Monotonicity (Arya et al. 2019, AIX360 {@code monotonicity_metric}; explain4j's patched form of
 * Quantus {@code Monotonicity}): from the all-baseline input, the original values are written back
 * in ascending attribution order, {@code features-in-step} at a time; 1 when the target's output
 * never decreases along the way, else 0. Quantus 0.6.0 writes the baseline again instead, so its
 * input never changes.
 */
final class Monotonicity extends FeatureStepMetric {
    static final String NAME = "monotonicity";

    static MetricSpec spec() {
        return new MetricSpec(NAME, Category.FAITHFULNESS,
                "Arya et al. 2019 (AIX360 monotonicity_metric); Quantus 0.6.0 Monotonicity patched to re-insert the original features",
                "1 when restoring features from least to most important never lowers the output, else 0",
                "Start from x with every feature at the baseline of x; in ascending attribution order, step j writes the "
                        + "original values of its features back (cumulative, ending at x) and records f(x_j)[y]. Score 1 when "
                        + "these outputs never decrease, else 0.",
                List.of(MetricParams.featuresInStep(), MetricParams.abs(true), MetricParams.normalise(true),
                        MetricParams.perturbBaseline("black"), MetricParams.softmax(true)),
                false, false, false, "(N,) 0/1", Optional.of(true), Monotonicity::new);
    }

    Monotonicity(Params p) {
        super(NAME, p);
    }

    @Override
    public Scores evaluate(MetricInput in) {
        ExampleData d = ExampleData.of(in);
        double[][] a = stepAttributions(d);
        int n = d.size();
        int f = d.features();
        int steps = steps(f);
        double[][] x = d.x();
        int[][] order = new int[n][];
        double[][] start = new double[n][f];
        for (int e = 0; e < n; e++) {
            order[e] = Attributions.ascending(a[e]);
            double v = baseline.of(x[e], baseline.stream(in.seed(), e));
            java.util.Arrays.fill(start[e], v);
        }
        ModelCalls calls = ModelCalls.of(in);
        CumulativeRows rows = new CumulativeRows(start, steps, (e, j, cur) -> {
            for (int k = j * step; k < stepEnd(j, f); k++) {
                cur[order[e][k]] = x[e][order[e][k]];
            }
        });
        double[] p = calls.targets(NAME, rows.rows(), rows, row -> row / steps, d::target, params.bool("softmax"));
        double[] scores = new double[n];
        for (int e = 0; e < n; e++) {
            boolean ok = true;
            for (int j = 1; j < steps; j++) {
                if (!(p[e * steps + j] - p[e * steps + j - 1] >= 0)) {
                    ok = false;
                    break;
                }
            }
            scores[e] = ok ? 1.0 : 0.0;
        }
        return scores(Tensor.ofDoubles(scores, n), in, calls);
    }
}
