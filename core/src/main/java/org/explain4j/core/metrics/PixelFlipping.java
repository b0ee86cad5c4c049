package org.explain4j.core.metrics;

import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.ParamSpec;
import org.explain4j.core.catalog.Params;

/**
 * Pixel flipping (Bach et al. 2015; Quantus {@code PixelFlipping}): features in descending
 * attribution order are set to the baseline of the current input cumulatively,
 * {@code features-in-step} at a time; the curve of target outputs after each step (the
 * unperturbed prediction is not part of it), or its trapezoid area per example.
 */
final class PixelFlipping extends FeatureStepMetric {
    static final String NAME = "pixel-flipping";

    static MetricSpec spec() {
        return new MetricSpec(NAME, Category.FAITHFULNESS, "Quantus 0.6.0 PixelFlipping (Bach et al. 2015)",
                "output curve as the most important features are removed first; a faster fall is better",
                "Features in descending attribution order are set to the baseline of the current input, features-in-step at "
                        + "a time, cumulatively; the curve holds f(x_j)[y] after each step j = 1..ceil(F/f). With "
                        + "return-auc-per-sample: its trapezoid area (dx = 1), lower is better.",
                List.of(MetricParams.featuresInStep(), MetricParams.abs(false), MetricParams.normalise(true),
                        MetricParams.perturbBaseline("black"),
                        ParamSpec.bool("return-auc-per-sample", false, "return the curve's area per example instead of the curve"),
                        MetricParams.softmax(true)),
                false, false, false, "(N, ceil(F/f)); (N,) with return-auc-per-sample", Optional.empty(), PixelFlipping::new);
    }

    PixelFlipping(Params p) {
        super(NAME, p);
    }

    @Override
    public Scores evaluate(MetricInput in) {
        ExampleData d = ExampleData.of(in);
        double[][] a = stepAttributions(d);
        int n = d.size();
        int steps = steps(d.features());
        ModelCalls calls = ModelCalls.of(in);
        double[] p = removalCurve(calls, NAME, d, a, n, steps, step, baseline, in.seed(), params.bool("softmax"));
        if (params.bool("return-auc-per-sample")) {
            double[] auc = new double[n];
            for (int e = 0; e < n; e++) {
                double s = 0;
                for (int j = 1; j < steps; j++) {
                    s += (p[e * steps + j - 1] + p[e * steps + j]) / 2.0;
                }
                auc[e] = s;
            }
            return scores(Tensor.ofDoubles(auc, n), in, calls);
        }
        return scores(Tensor.ofDoubles(p, n, steps), in, calls);
    }

    /**
     * The target outputs, row {@code e * steps + j}, of the first {@code n} examples after
     * cumulatively setting steps 0..j of their descending order to the baseline of the current
     * input (pixel-flipping, sensitivity-n).
     */
    static double[] removalCurve(ModelCalls calls, String task, ExampleData d, double[][] a, int n, int steps, int step,
                                 PerturbBaseline baseline, long seed, boolean softmax) {
        int f = d.features();
        double[][] x = d.x();
        int[][] order = new int[n][];
        SplittableRandom[] rng = new SplittableRandom[n];
        for (int e = 0; e < n; e++) {
            order[e] = Attributions.descending(a[e]);
            rng[e] = baseline.stream(seed, e);
        }
        double[][] start = java.util.Arrays.copyOf(x, n);
        PerturbBaseline.Running[] running = new PerturbBaseline.Running[1];
        CumulativeRows rows = new CumulativeRows(start, steps, (e, j, cur) -> {
            if (j == 0) {
                running[0] = baseline.running(cur);
            }
            double v = running[0].value(rng[e]);
            for (int k = j * step; k < Math.min(f, (j + 1) * step); k++) {
                running[0].set(order[e][k], v);
            }
        });
        return calls.targets(task, rows.rows(), rows, row -> row / steps, d::target, softmax);
    }
}
