package org.explain4j.core.metrics;

import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.Params;

/**
 * Faithfulness estimate (Alvarez-Melis and Jaakkola 2018; Quantus {@code FaithfulnessEstimate}):
 * features in descending attribution order, step j sets only step j's features of the original x
 * to the baseline; the score is the Pearson correlation over steps of the step's attribution sum
 * and the output drop.
 */
final class FaithfulnessEstimate extends BaseMetric {
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

    private final int step;
    private final PerturbBaseline baseline;

    FaithfulnessEstimate(Params p) {
        super(NAME, p);
        this.step = p.integer("features-in-step");
        this.baseline = PerturbBaseline.parse(p.string("perturb-baseline"), "perturb-baseline");
    }

    @Override
    public Scores evaluate(MetricInput in) {
        ExampleData d = ExampleData.of(in);
        d.requireDivides(step);
        double[][] a = preprocess(d, params.bool("normalise"), params.bool("abs"));
        boolean softmax = params.bool("softmax");
        int n = d.size();
        int f = d.features();
        int steps = ceilDiv(f, step);
        double[][] x = d.x();
        int[][] order = new int[n][];
        double[][] fill = new double[n][steps];
        for (int e = 0; e < n; e++) {
            order[e] = Attributions.descending(a[e]);
            SplittableRandom rng = baseline.random() ? MetricRandom.forExample(in.seed(), e) : null;
            for (int j = 0; j < steps; j++) {
                fill[e][j] = baseline.of(x[e], rng);
            }
        }
        ModelCalls calls = ModelCalls.of(in);
        double[] y = calls.targets(NAME + " (unperturbed)", x, d.targets(), softmax);
        double[] yp = calls.targets(NAME, n * steps, (row, dest) -> {
            int e = row / steps;
            int j = row % steps;
            System.arraycopy(x[e], 0, dest, 0, f);
            for (int k = j * step; k < Math.min(f, (j + 1) * step); k++) {
                dest[order[e][k]] = fill[e][j];
            }
        }, row -> d.target(row / steps), softmax);
        double[] scores = new double[n];
        for (int e = 0; e < n; e++) {
            double[] sums = new double[steps];
            double[] drops = new double[steps];
            for (int j = 0; j < steps; j++) {
                sums[j] = sum(a[e], order[e], j * step, Math.min(f, (j + 1) * step));
                drops[j] = y[e] - yp[e * steps + j];
            }
            scores[e] = Correlations.pearson(sums, drops);
        }
        return scores(Tensor.ofDoubles(scores, n), baseline.random(), in.seed(), Optional.empty(), calls.evaluations());
    }
}
