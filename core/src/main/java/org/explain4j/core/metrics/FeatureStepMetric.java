package org.explain4j.core.metrics;

import java.util.Optional;
import java.util.SplittableRandom;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.Params;

/**
 * A metric that perturbs the features {@code features-in-step} at a time in an order (of the
 * attribution, or the index order), setting them to a {@code perturb-baseline} value (faithfulness
 * estimate, monotonicity, monotonicity correlation, pixel flipping, sensitivity-n, non-sensitivity).
 * Step j covers positions {@code [j * step, min(F, (j + 1) * step))} of the order.
 */
abstract class FeatureStepMetric extends BaseMetric {
    final int step;
    final PerturbBaseline baseline;

    FeatureStepMetric(String name, Params p) {
        super(name, p);
        this.step = p.integer("features-in-step");
        this.baseline = PerturbBaseline.of(p);
    }

    /** The preprocessed attributions, after checking that the step divides the features of {@code d}. */
    double[][] stepAttributions(ExampleData d) {
        d.requireDivides(step);
        return preprocessed(d);
    }

    /** The number of steps over {@code features} features. */
    int steps(int features) {
        return ceilDiv(features, step);
    }

    /** The end (exclusive) of step {@code j}'s positions in an order of {@code features} features. */
    int stepEnd(int j, int features) {
        return Math.min(features, (j + 1) * step);
    }

    /** The attribution sum of step {@code j}'s features ({@code order}'s positions of that step). */
    double stepSum(double[] a, int[] order, int j, int features) {
        return sum(a, order, j * step, stepEnd(j, features));
    }

    /**
     * {@code count} baseline values per example, drawn in order from the example's own stream
     * (one draw each for {@code uniform}; the same value repeated otherwise).
     */
    double[][] fills(double[][] x, int count, long seed) {
        double[][] fill = new double[x.length][count];
        for (int e = 0; e < x.length; e++) {
            SplittableRandom rng = baseline.stream(seed, e);
            for (int k = 0; k < count; k++) {
                fill[e][k] = baseline.of(x[e], rng);
            }
        }
        return fill;
    }

    /**
     * The target outputs of single-step (not cumulative) perturbations: row
     * {@code e * steps * draws + j * draws + t} is {@code x[e]} with only step j's features of
     * {@code order[e]} set to {@code fill[e][j * draws + t]}.
     */
    double[] stepOutputs(ModelCalls calls, ExampleData d, double[][] x, int[][] order, double[][] fill, int steps,
                         int draws, boolean softmax) {
        int f = d.features();
        int per = steps * draws;
        return calls.targets(name, x.length * per, (row, dest) -> {
            int e = row / per;
            int k = row % per;
            int j = k / draws;
            System.arraycopy(x[e], 0, dest, 0, f);
            for (int i = j * step; i < stepEnd(j, f); i++) {
                dest[order[e][i]] = fill[e][k];
            }
        }, row -> row / per, d::target, softmax);
    }

    /** The scores, with the seed recorded when the baseline draws random values. */
    Scores scores(Tensor values, MetricInput in, ModelCalls calls) {
        return scores(values, baseline.random(), in.seed(), Optional.empty(), calls.evaluations());
    }
}
