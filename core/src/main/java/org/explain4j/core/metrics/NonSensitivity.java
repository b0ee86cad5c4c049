package org.explain4j.core.metrics;

import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
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
final class NonSensitivity extends BaseMetric {
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

    private final PerturbBaseline baseline;

    NonSensitivity(Params params) {
        super(NAME, params);
        this.baseline = PerturbBaseline.of(params);
    }

    @Override
    public Scores evaluate(MetricInput in) {
        ExampleData d = ExampleData.of(in);
        int fis = params.integer("features-in-step");
        d.requireDivides(fis);
        ModelCalls calls = ModelCalls.of(in);
        boolean softmax = params.bool("softmax");
        double eps = params.real("eps");
        double[][] a = preprocessed(d);
        int n = d.size();
        int features = d.features();
        int steps = (features + fis - 1) / fis;
        double[] base = calls.targets("non-sensitivity", d.x(), d.targets(), softmax);
        double[][] value = new double[n][steps];
        for (int ex = 0; ex < n; ex++) {
            SplittableRandom rng = baseline.stream(in.seed(), ex);
            for (int s = 0; s < steps; s++) {
                value[ex][s] = baseline.of(d.x()[ex], rng);
            }
        }
        double[] f = calls.targets("non-sensitivity", n * steps, (row, dest) -> {
            int ex = row / steps;
            int s = row % steps;
            System.arraycopy(d.x()[ex], 0, dest, 0, features);
            for (int i = s * fis; i < Math.min(features, (s + 1) * fis); i++) {
                dest[i] = value[ex][s];
            }
        }, row -> d.target(row / steps), softmax);
        double[] out = new double[n];
        for (int ex = 0; ex < n; ex++) {
            int count = 0;
            for (int i = 0; i < features; i++) {
                boolean insensitive = Math.abs(f[ex * steps + i / fis] - base[ex]) < eps;
                boolean zero = a[ex][i] < eps;
                if (insensitive ^ zero) {
                    count++;
                }
            }
            out[ex] = count;
        }
        return MetricResults.perExample(NAME, out, params,
                baseline.random() ? Optional.of(in.seed()) : Optional.empty(), calls.evaluations());
    }
}
