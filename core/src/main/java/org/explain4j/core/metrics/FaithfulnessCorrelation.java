package org.explain4j.core.metrics;

import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.ParamSpec;
import org.explain4j.core.catalog.Params;

/**
 * Faithfulness correlation (Bhatt et al. 2020; Quantus {@code FaithfulnessCorrelation}): for
 * {@code nr-runs} random subsets S of {@code subset-size} features, the Pearson correlation of
 * {@code sum_S a} with the output drop {@code f(x)[y] - f(x_S)[y]}, x_S being x with S at the
 * baseline of the original x.
 */
final class FaithfulnessCorrelation extends BaseMetric {
    static final String NAME = "faithfulness-correlation";

    static MetricSpec spec() {
        return new MetricSpec(NAME, Category.FAITHFULNESS, "Quantus 0.6.0 FaithfulnessCorrelation (Bhatt et al. 2020)",
                "correlation of attribution sums with output drops over random feature subsets; higher is better",
                "For nr-runs random subsets S of subset-size features, x_S sets S to the baseline of x; the score is the "
                        + "Pearson correlation over runs of sum_S a and f(x)[y] - f(x_S)[y]. 1: removing what the attribution "
                        + "calls important lowers the output in proportion.",
                List.of(ParamSpec.integer("nr-runs", 100, ParamSpec.Range.atLeast(2), "random subsets per example").budget(),
                        ParamSpec.integer("subset-size", 224, ParamSpec.Range.atLeast(1),
                                "features per subset (must be below H*W, or F)"),
                        MetricParams.abs(false), MetricParams.normalise(true), MetricParams.perturbBaseline("black"),
                        MetricParams.softmax(false), MetricParams.returnAggregate(true)),
                false, false, true, "(N,); (1,) with return-aggregate", Optional.of(true), FaithfulnessCorrelation::new);
    }

    private final int runs;
    private final int subset;
    private final PerturbBaseline baseline;

    FaithfulnessCorrelation(Params p) {
        super(NAME, p);
        this.runs = p.integer("nr-runs");
        this.subset = p.integer("subset-size");
        this.baseline = PerturbBaseline.of(p);
    }

    @Override
    public Scores evaluate(MetricInput in) {
        ExampleData d = ExampleData.of(in);
        if (subset >= d.spatial()) {
            throw Explain4jException.usage("subset-size", "subset-size " + subset + " must be below the number of features per channel ("
                    + d.spatial() + ")");
        }
        double[][] a = preprocessed(d);
        boolean softmax = params.bool("softmax");
        int n = d.size();
        int f = d.features();
        ModelCalls calls = ModelCalls.of(in);
        double[][] x = d.x();
        double[] y = calls.targets(NAME + " (unperturbed)", x, d.targets(), softmax);
        // Draw every subset (and uniform baseline) up front, per example: the stream never depends on batching.
        int[][][] subsets = new int[n][runs][];
        double[][] fill = new double[n][runs];
        for (int e = 0; e < n; e++) {
            SplittableRandom rng = MetricRandom.forExample(in.seed(), e);
            for (int r = 0; r < runs; r++) {
                subsets[e][r] = MetricRandom.sampleWithoutReplacement(rng, f, subset);
                fill[e][r] = baseline.of(x[e], rng);
            }
        }
        double[] yp = calls.targets(NAME, n * runs, (row, dest) -> {
            int e = row / runs;
            int r = row % runs;
            System.arraycopy(x[e], 0, dest, 0, f);
            for (int i : subsets[e][r]) {
                dest[i] = fill[e][r];
            }
        }, row -> row / runs, d::target, softmax);
        double[] scores = new double[n];
        for (int e = 0; e < n; e++) {
            double[] sums = new double[runs];
            double[] drops = new double[runs];
            for (int r = 0; r < runs; r++) {
                double s = 0;
                for (int i : subsets[e][r]) {
                    s += a[e][i];
                }
                sums[r] = s;
                drops[r] = y[e] - yp[e * runs + r];
            }
            scores[e] = Correlations.pearson(sums, drops);
        }
        Tensor values = params.bool("return-aggregate") ? Tensor.ofDoubles(new double[] {mean(scores)}, 1)
                : Tensor.ofDoubles(scores, n);
        return scores(values, true, in.seed(), Optional.empty(), calls.evaluations());
    }

    static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s / v.length;
    }
}
