package org.explain4j.core.metrics;

import java.util.List;
import java.util.Optional;
import org.explain4j.core.catalog.ParamSpec;
import org.explain4j.core.catalog.Params;

/**
 * Non-sensitivity (Nguyen and Rodriguez Martinez 2020, "On quantitative aspects of model
 * interpretability"): for each feature i (in index order) x_i = the original x with i at the
 * baseline; insensitive_i = {@code |f(x_i)[y] - f(x)[y]| < eps}; zero_i = {@code a_i < eps}; score
 * = the number of features where exactly one holds. With {@code features-in-step} f > 1 (which
 * Quantus 0.6.0 cannot run), each step of f consecutive features is set to the baseline together
 * and its verdict applies to all of them.
 */
final class NonSensitivity extends FeatureStepMetric {
    static final String NAME = "non-sensitivity";

    static MetricSpec spec() {
        return new MetricSpec(NAME, Category.AXIOMATIC, "Quantus 0.6.0 NonSensitivity",
                "number of features where zero attribution and no model effect disagree",
                "Counts the features that get (near) zero attribution although removing them changes the output, or "
                        + "non-zero attribution although removing them changes nothing. Lower is better.",
                List.of(ParamSpec.real("eps", 1e-5, ParamSpec.Range.ANY, "threshold for 'zero' attribution and 'no change'"),
                        ParamSpec.integer("features-in-step", 1, ParamSpec.Range.atLeast(1), "features set to the baseline together"),
                        QuantusParams.perturbBaseline("black"), QuantusParams.abs(true), QuantusParams.normalise(true),
                        QuantusParams.softmax(true)),
                false, false, false, "(N,) count", Optional.of(false), NonSensitivity::new);
    }

    NonSensitivity(Params params) {
        super(NAME, params);
    }

    @Override
    public Scores evaluate(MetricInput in) {
        ExampleData d = ExampleData.of(in);
        double[][] a = stepAttributions(d);
        ModelCalls calls = ModelCalls.of(in);
        boolean softmax = params.bool("softmax");
        double eps = params.real("eps");
        int n = d.size();
        int features = d.features();
        int steps = steps(features);
        double[][] x = d.x();
        double[] base = calls.targets(NAME, x, d.targets(), softmax);
        // index order: step s is features [s * step, (s + 1) * step)
        int[] identity = new int[features];
        for (int i = 0; i < features; i++) {
            identity[i] = i;
        }
        int[][] order = new int[n][];
        java.util.Arrays.fill(order, identity);
        double[] f = stepOutputs(calls, d, x, order, fills(x, steps, in.seed()), steps, 1, softmax);
        double[] out = new double[n];
        for (int ex = 0; ex < n; ex++) {
            int count = 0;
            for (int i = 0; i < features; i++) {
                boolean insensitive = Math.abs(f[ex * steps + i / step] - base[ex]) < eps;
                boolean zero = a[ex][i] < eps;
                if (insensitive ^ zero) {
                    count++;
                }
            }
            out[ex] = count;
        }
        return perExample(out, baseline.random() ? Optional.of(in.seed()) : Optional.empty(), calls.evaluations());
    }
}
