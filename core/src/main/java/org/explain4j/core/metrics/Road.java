package org.explain4j.core.metrics;

import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.ParamSpec;
import org.explain4j.core.catalog.Params;

/**
 * ROAD, RemOve And Debias (Rong et al. 2022; Quantus {@code ROAD}), images: for each percentage p
 * the {@code int(a_size * p / 100)} most relevant pixels (MoRF; {@code order lerf}: least relevant)
 * are replaced by noisy linear imputation from their 8-neighbours; 1 when the model still predicts
 * the target, else 0.
 */
final class Road extends BaseMetric {
    static final String NAME = "road";
    static final double EDGE = 1.0 / 6.0;
    static final double DIAGONAL = 1.0 / 12.0;
    /** Unknown pixels up to which the system is solved densely (Cholesky); above, by conjugate gradients. */
    static final int DENSE_LIMIT = 1200;

    static MetricSpec spec() {
        int[] def = new int[50];
        for (int i = 0; i < def.length; i++) {
            def[i] = 2 * i + 1;
        }
        return new MetricSpec(NAME, Category.FAITHFULNESS, "Quantus 0.6.0 ROAD (Rong et al. 2022)",
                "whether the prediction survives imputing the top p% pixels; for MoRF, 0s early are better",
                "For each p in percentages the int(a_size * p / 100) most relevant pixels (order morf; lerf: least relevant) "
                        + "are replaced by noisy linear imputation (each unknown pixel the weighted mean of its 8-neighbours, "
                        + "1/6 edges, 1/12 diagonals, solved jointly, plus noise * N(0, 1)); 1 when argmax f(x_p) is the target.",
                List.of(MetricParams.ints("percentages", def, ParamSpec.Range.between(0, 100), "percentages of pixels to impute"),
                        ParamSpec.real("noise", 0.01, ParamSpec.Range.atLeast(0), "standard deviation of the imputation noise"),
                        ParamSpec.choice("order", "morf", List.of("morf", "lerf"),
                                "impute the most relevant pixels first (morf) or the least relevant (lerf)"),
                        MetricParams.abs(false), MetricParams.normalise(true), MetricParams.softmax(true)),
                false, false, true, "(N, len(percentages)) 0/1", Optional.empty(), Road::new);
    }

    Road(Params p) {
        super(NAME, p);
    }

    @Override
    public Scores evaluate(MetricInput in) {
        ExampleData d = ExampleData.of(in);
        d.requireImage(NAME);
        double[][] a = preprocessed(d);
        int[] pct = params.ints("percentages");
        double noise = params.real("noise");
        boolean lerf = params.string("order").equals("lerf");
        int n = d.size();
        int c = d.channels();
        int hw = d.spatial();
        double[][] x = d.x();
        int[][] order = new int[n][];
        for (int e = 0; e < n; e++) {
            // A pixel's relevance is its attribution summed over channels (a_size = H*W pixels; C = 1 is Quantus's case).
            double[] pix = new double[hw];
            for (int ch = 0; ch < c; ch++) {
                for (int i = 0; i < hw; i++) {
                    pix[i] += a[e][ch * hw + i];
                }
            }
            order[e] = lerf ? Attributions.ascending(pix) : Attributions.descending(pix);
        }
        for (int p : pct) {
            if ((int) ((long) hw * p / 100) >= hw) {
                throw Explain4jException.usage("percentages", "percentages " + p + " imputes every pixel; "
                        + "noisy linear imputation needs at least one known pixel (use at most "
                        + (100 * (hw - 1) / hw) + ")");
            }
        }
        int m = pct.length;
        ModelCalls calls = ModelCalls.of(in);
        double[][] outs = calls.outputs(NAME, n * m, row -> row / m, (row, dest) -> {
            int e = row / m;
            int j = row % m;
            int k = (int) ((long) hw * pct[j] / 100);
            int[] unknown = java.util.Arrays.copyOf(order[e], k);
            SplittableRandom rng = MetricRandom.forExample(in.seed(), e, j);
            double[] imputed = impute(x[e], c, d.height(), d.width(), unknown, noise, rng);
            System.arraycopy(imputed, 0, dest, 0, dest.length);
        });
        double[] scores = new double[n * m];
        for (int r = 0; r < n * m; r++) {
            int t = d.target(r / m);
            ModelCalls.select(outs[r], t, false);
            scores[r] = ModelCalls.argmax(outs[r]) == t ? 1.0 : 0.0;
        }
        return scores(Tensor.ofDoubles(scores, n, m), noise > 0, in.seed(), Optional.empty(), calls.evaluations());
    }

    /**
     * Noisy linear imputation: the pixels {@code unknown} (indices into H*W) of every channel of
     * {@code x} (C, H, W) get the solution of {@code sum_n w_n (v_u - v_n) = 0} over their in-image
     * 8-neighbours, then {@code + noise * N(0, 1)}.
     */
    static double[] impute(double[] x, int c, int h, int w, int[] unknown, double noise, SplittableRandom rng) {
        double[] out = x.clone();
        int k = unknown.length;
        if (k == 0) {
            return out;
        }
        int hw = h * w;
        int[] var = new int[hw];
        java.util.Arrays.fill(var, -1);
        for (int i = 0; i < k; i++) {
            var[unknown[i]] = i;
        }
        int[][] offsets = {{-1, -1}, {-1, 0}, {-1, 1}, {0, -1}, {0, 1}, {1, -1}, {1, 0}, {1, 1}};
        // M = -A: M_uu = sum of in-image neighbour weights, M_un = -w_n; M v = -b = sum w_n x_n over known neighbours.
        // Stored sparsely: at most 8 off-diagonal entries per unknown pixel.
        double[] diag = new double[k];
        int[][] nbr = new int[k][];
        double[][] nbrW = new double[k][];
        double[][] rhs = new double[c][k];
        int[] tmpN = new int[8];
        double[] tmpW = new double[8];
        for (int u = 0; u < k; u++) {
            int pi = unknown[u] / w;
            int pj = unknown[u] % w;
            int m = 0;
            for (int[] o : offsets) {
                int ni = pi + o[0];
                int nj = pj + o[1];
                if (ni < 0 || ni >= h || nj < 0 || nj >= w) {
                    continue;
                }
                double wt = o[0] != 0 && o[1] != 0 ? DIAGONAL : EDGE;
                int q = ni * w + nj;
                diag[u] += wt;
                if (var[q] >= 0) {
                    tmpN[m] = var[q];
                    tmpW[m++] = wt;
                } else {
                    for (int ch = 0; ch < c; ch++) {
                        rhs[ch][u] += wt * x[ch * hw + q];
                    }
                }
            }
            nbr[u] = java.util.Arrays.copyOf(tmpN, m);
            nbrW[u] = java.util.Arrays.copyOf(tmpW, m);
        }
        double[][] sol;
        if (k <= DENSE_LIMIT) {
            double[][] mat = new double[k][k];
            for (int u = 0; u < k; u++) {
                mat[u][u] = diag[u];
                for (int t = 0; t < nbr[u].length; t++) {
                    mat[u][nbr[u][t]] -= nbrW[u][t];
                }
            }
            sol = Linear.solveSymmetric(mat, rhs);
        } else {
            sol = new double[c][];
            for (int ch = 0; ch < c; ch++) {
                sol[ch] = Linear.conjugateGradient(diag, nbr, nbrW, rhs[ch]);
            }
        }
        for (int ch = 0; ch < c; ch++) {
            for (int u = 0; u < k; u++) {
                double v = sol[ch][u];
                if (noise > 0) {
                    v += noise * MetricRandom.gaussian(rng);
                }
                out[ch * hw + unknown[u]] = v;
            }
        }
        return out;
    }
}
