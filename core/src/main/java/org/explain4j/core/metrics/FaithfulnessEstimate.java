package org.explain4j.core.metrics;

import java.util.List;
import java.util.Optional;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.Params;

/**
 * Faithfulness estimate (Alvarez-Melis and Jaakkola 2018; Quantus {@code FaithfulnessEstimate}):
 * features in descending attribution order, step j sets only step j's features of the original x
 * to the baseline; the score is the Pearson correlation over steps of the step's attribution sum
 * and the output drop.
 */
final class FaithfulnessEstimate extends FeatureStepMetric {
    static final String NAME = "faithfulness-estimate";

    static MetricSpec spec() {
        return new MetricSpec(NAME, Category.FAITHFULNESS, "Quantus 0.6.0 FaithfulnessEstimate (Alvarez-Melis & Jaakkola 2018)",
                "correlation of each feature group's attribution with the output drop when only it is removed; higher is better",
                "Features in descending attribution order, features-in-step at a time; step j sets only its own features of "
                        + "the original x to the baseline (not cumulative). Score: Pearson correlation over steps of the step's "
                        + "attribution sum and f(x)[y] - f(x_j)[y].",
                List.of(MetricParams.featuresInStep(), MetricParams.abs(false), MetricParams.normalise(true),
                        MetricParams.perturbBaseline("black"), MetricParams.softmax(false)),
                false, false, false, "(N,)", Optional.of(true), FaithfulnessEstimate::new);
    }

    FaithfulnessEstimate(Params p) {
        super(NAME, p);
    }

    @Override
    public Scores evaluate(MetricInput in) {
        ExampleData d = ExampleData.of(in);
        double[][] a = stepAttributions(d);
        boolean softmax = params.bool("softmax");
        int n = d.size();
        int f = d.features();
        int steps = steps(f);
        double[][] x = d.x();
        int[][] order = new int[n][];
        for (int e = 0; e < n; e++) {
            order[e] = Attributions.descending(a[e]);
        }
        double[][] fill = fills(x, steps, in.seed());
        ModelCalls calls = ModelCalls.of(in);
        double[] y = calls.targets(NAME + " (unperturbed)", x, d.targets(), softmax);
        double[] yp = stepOutputs(calls, d, x, order, fill, steps, 1, softmax);
        double[] scores = new double[n];
        for (int e = 0; e < n; e++) {
            double[] sums = new double[steps];
            double[] drops = new double[steps];
            for (int j = 0; j < steps; j++) {
                sums[j] = stepSum(a[e], order[e], j, f);
                drops[j] = y[e] - yp[e * steps + j];
            }
            scores[e] = Correlations.pearson(sums, drops);
        }
        return scores(Tensor.ofDoubles(scores, n), in, calls);
    }
}
