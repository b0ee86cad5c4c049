package org.explain4j.core.metrics;

import java.util.List;
import java.util.Optional;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.ParamSpec;
import org.explain4j.core.catalog.Params;

/**
 * Sensitivity-N (Ancona et al. 2018) as Quantus 0.6.0 computes it ({@code SensitivityN}): features
 * removed cumulatively in descending order as in pixel flipping; for each of the first K steps the
 * Pearson correlation, across the examples, of the output drop (cumulative removal) and the step's
 * own attribution sum. Only the first 64 examples are used (Quantus's first batch).
 */
final class SensitivityN extends FeatureStepMetric {
    static final String NAME = "sensitivity-n";
    static final int FIRST_BATCH = 64;

    static MetricSpec spec() {
        return new MetricSpec(NAME, Category.FAITHFULNESS, "Quantus 0.6.0 SensitivityN (Ancona et al. 2018)",
                "per removal step, correlation across examples of attribution sums and output drops; higher is better",
                "Features in descending order are removed cumulatively (features-in-step at a time, baseline of the current "
                        + "input); for each step j < K = int(n-max-percentage * H*W // f) the Pearson correlation across the "
                        + "examples (the first 64) of f(x)[y] - f(x_j)[y] and the attribution sum of step j's features. "
                        + "return-aggregate (default) gives their mean.",
                List.of(ParamSpec.real("n-max-percentage", 0.8, new ParamSpec.Range(0.0, false, 1.0, true),
                                "fraction of the features per channel the steps cover"),
                        MetricParams.featuresInStep(), MetricParams.abs(false), MetricParams.normalise(true),
                        MetricParams.perturbBaseline("black"), MetricParams.softmax(true), MetricParams.returnAggregate(true)),
                false, false, false, "(K,) across examples; (1,) with return-aggregate", Optional.of(true), SensitivityN::new);
    }

    SensitivityN(Params p) {
        super(NAME, p);
    }

    @Override
    public Scores evaluate(MetricInput in) {
        ExampleData d = ExampleData.of(in);
        double[][] a = stepAttributions(d);
        int k = (int) Math.floor(params.real("n-max-percentage") * d.spatial() / step);
        if (k < 1) {
            throw Explain4jException.usage("n-max-percentage", "n-max-percentage " + params.real("n-max-percentage")
                    + " covers no step of " + step + " features out of " + d.spatial());
        }
        int steps = Math.min(k, steps(d.features()));
        int n = Math.min(d.size(), FIRST_BATCH);
        boolean softmax = params.bool("softmax");
        ModelCalls calls = ModelCalls.of(in);
        double[][] x = java.util.Arrays.copyOf(d.x(), n);
        double[] y = calls.targets(NAME + " (unperturbed)", x, java.util.Arrays.copyOf(d.targets(), n), softmax);
        double[] p = PixelFlipping.removalCurve(calls, NAME, d, a, n, steps, step, baseline, in.seed(), softmax);
        int f = d.features();
        int[][] orders = new int[n][];
        for (int e = 0; e < n; e++) {
            orders[e] = Attributions.descending(a[e]);
        }
        double[] out = new double[steps];
        for (int j = 0; j < steps; j++) {
            double[] drops = new double[n];
            double[] sums = new double[n];
            for (int e = 0; e < n; e++) {
                drops[e] = y[e] - p[e * steps + j];
                sums[e] = stepSum(a[e], orders[e], j, f);
            }
            out[j] = Correlations.pearson(sums, drops);
        }
        Tensor values = params.bool("return-aggregate") ? Tensor.ofDoubles(new double[] {FaithfulnessCorrelation.mean(out)}, 1)
                : Tensor.ofDoubles(out, steps);
        return scores(values, in, calls);
    }
}
