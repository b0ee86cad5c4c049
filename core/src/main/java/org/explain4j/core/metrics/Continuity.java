package org.explain4j.core.metrics;

import java.util.List;
import java.util.Optional;
import org.explain4j.core.catalog.ParamSpec;
import org.explain4j.core.catalog.Params;

/**
 * Continuity (Montavon et al. 2018, "Methods for interpreting and understanding deep neural
 * networks"), as Quantus 0.6.0 computes it: the given attribution is not used; a = e(x) and, for
 * each of {@code nr-steps} horizontal translations t (starting at -W, growing by
 * {@code dx = (2W + 1) // nr-steps} before each step; vacated columns take the example's
 * minimum), a_t = e(x_t); score = max_t {@code ||a - a_t||_1 / (||x - x_t||_2 + 1e-9)}.
 */
final class Continuity extends BaseMetric {
    static final String NAME = "continuity";

    static MetricSpec spec() {
        return new MetricSpec(NAME, Category.ROBUSTNESS, "Quantus 0.6.0 Continuity",
                "largest change of the explanation per unit change of the input under horizontal shifts",
                "Shifts the input sideways step by step (vacated columns black), recomputes the explanation, and reports "
                        + "the largest ||e(x) - e(x_t)||_1 / ||x - x_t||_2. Lower is more continuous.",
                List.of(ParamSpec.integer("nr-steps", 28, ParamSpec.Range.atLeast(1),
                                "number of translations; dx = (2W+1) // nr-steps (0 when nr-steps > 2W+1)"),
                        QuantusParams.perturbBaseline("black").withHelp("ignored, as in Quantus 0.6.0 (vacated columns are black)"),
                        QuantusParams.returnNan(false), QuantusParams.abs(true), QuantusParams.normalise(true)),
                false, true, false, "(N,)", Optional.of(false), Continuity::new);
    }

    Continuity(Params params) {
        super(NAME, params);
    }

    @Override
    public Scores evaluate(MetricInput in) {
        Reexplaining re = Reexplaining.of(in, params, NAME);
        ExampleData d = re.d();
        ModelCalls calls = re.calls();
        boolean nanOnChange = re.nanOnChange();
        int n = d.size();
        int w = d.width();
        int steps = params.integer("nr-steps");
        int dx = (2 * w + 1) / steps;
        double[][] x = d.x();
        int[] targets = d.targets();
        double[][] a = re.explain(in, x, targets);
        double[] out = new double[n];
        java.util.Arrays.fill(out, Double.NEGATIVE_INFINITY);
        int t = -w;
        for (int step = 0; step < steps; step++) {
            t += dx;
            double[][] shifted = new double[n][];
            for (int ex = 0; ex < n; ex++) {
                shifted[ex] = translate(x[ex], d.channels() * d.height(), w, t);
            }
            double[][] e = re.explain(in, shifted, targets);
            int[] p = nanOnChange ? NoisySamples.predictions(calls, shifted, n) : null;
            for (int ex = 0; ex < n; ex++) {
                double l1 = 0;
                for (int i = 0; i < a[ex].length; i++) {
                    l1 += Math.abs(a[ex][i] - e[ex][i]);
                }
                double v = l1 / (NoisySamples.distance(x[ex], shifted[ex]) + 1e-9);
                if (nanOnChange && p[ex] != targets[ex]) {
                    v = Double.NaN;
                }
                // np.max over the steps: a NaN step makes the score NaN
                out[ex] = Double.isNaN(out[ex]) || Double.isNaN(v) ? Double.NaN : Math.max(out[ex], v);
            }
        }
        return perExample(out, Optional.empty(), calls.evaluations());
    }

    /** {@code x} (rows of width w) shifted right by t columns (left when t < 0), vacated columns at x's minimum. */
    static double[] translate(double[] x, int rows, int w, int t) {
        double min = Double.POSITIVE_INFINITY;
        for (double v : x) {
            min = Math.min(min, v);
        }
        double[] out = new double[x.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < w; c++) {
                int src = c - t;
                out[r * w + c] = src >= 0 && src < w ? x[r * w + src] : min;
            }
        }
        return out;
    }
}
