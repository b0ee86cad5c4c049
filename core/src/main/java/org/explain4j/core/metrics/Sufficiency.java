package org.explain4j.core.metrics;

import java.util.List;
import java.util.Optional;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.ParamSpec;
import org.explain4j.core.catalog.Params;

/**
 * Sufficiency (Dasgupta et al. 2022; Quantus {@code Sufficiency}): among the examples whose
 * attributions are within {@code threshold} of example i (distance scaled by its maximum over the
 * batch), the fraction with the same predicted class as i; 0 when none is.
 */
final class Sufficiency extends BaseMetric {
    static final String NAME = "sufficiency";

    static MetricSpec spec() {
        return new MetricSpec(NAME, Category.FAITHFULNESS, "Quantus 0.6.0 Sufficiency (Dasgupta et al. 2022)",
                "fraction of examples with similar explanations that share the prediction; higher is better",
                "D = pairwise distances of the flattened attributions (seuclidean: variances of the stacked [a; a]), divided "
                        + "by its largest entry; j is similar to i when D_ij <= threshold (i != j). Score_i: the fraction of "
                        + "similar examples whose predicted class equals i's, 0 without any. Compares examples of the batch.",
                List.of(ParamSpec.real("threshold", 0.6, ParamSpec.Range.between(0, 1), "largest scaled distance of a similar pair"),
                        ParamSpec.choice("distance-func", "seuclidean", List.of("seuclidean", "euclidean"),
                                "distance between attributions (SciPy cdist metric)"),
                        MetricParams.abs(true), MetricParams.normalise(true), MetricParams.softmax(true)),
                false, false, false, "(N,)", Optional.of(true), Sufficiency::new);
    }

    Sufficiency(Params p) {
        super(NAME, p);
    }

    @Override
    public Scores evaluate(MetricInput in) {
        ExampleData d = ExampleData.of(in);
        double[][] a = preprocessed(d);
        int n = d.size();
        int f = d.features();
        double[] var = new double[f];
        if (params.string("distance-func").equals("seuclidean")) {
            // var(ddof=1) of the 2N stacked rows [a; a]: mean is the rows' mean, sum of squares doubled.
            for (int i = 0; i < f; i++) {
                double m = 0;
                for (double[] r : a) {
                    m += r[i];
                }
                m /= n;
                double ss = 0;
                for (double[] r : a) {
                    ss += (r[i] - m) * (r[i] - m);
                }
                var[i] = 2 * ss / (2 * n - 1);
            }
        } else {
            java.util.Arrays.fill(var, 1.0);
        }
        double[][] dist = new double[n][n];
        double max = 0;
        boolean nan = false;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int k = 0; k < f; k++) {
                    double t = a[i][k] - a[j][k];
                    s += t * t / var[k];
                }
                dist[i][j] = Math.sqrt(s);
                nan |= Double.isNaN(dist[i][j]);
                max = Math.max(max, Math.abs(dist[i][j]));
            }
        }
        ModelCalls calls = ModelCalls.of(in);
        double[][] outs = calls.outputs(NAME, d.x(), n);
        int[] pred = new int[n];
        for (int e = 0; e < n; e++) {
            ModelCalls.select(outs[e], d.target(e), false);
            pred[e] = ModelCalls.argmax(outs[e]);
        }
        double threshold = params.real("threshold");
        double[] scores = new double[n];
        for (int i = 0; i < n; i++) {
            int similar = 0;
            int same = 0;
            for (int j = 0; j < n; j++) {
                if (i == j) {
                    continue;
                }
                double dij = nan ? Double.NaN : dist[i][j] / max;
                if (dij <= threshold) {
                    similar++;
                    if (pred[j] == pred[i]) {
                        same++;
                    }
                }
            }
            scores[i] = similar == 0 ? 0.0 : (double) same / similar;
        }
        return scores(Tensor.ofDoubles(scores, n), false, in.seed(), Optional.empty(), calls.evaluations());
    }
}
