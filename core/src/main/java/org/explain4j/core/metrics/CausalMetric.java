package org.explain4j.core.metrics;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.ParamSpec;
import org.explain4j.core.catalog.Params;
import org.explain4j.core.io.Npy;

/**
 * Deletion and insertion (Petsiuk et al. 2018, RISE {@code CausalMetric}): in descending attribution
 * order, {@code step} features at a time move from the input to a substrate (deletion) or from the
 * substrate to the input (insertion); the curve of the target's probability c_0..c_n and its
 * normalised area {@code (sum c - c_0/2 - c_n/2) / n}. Deletion: lower is better; insertion:
 * higher is better.
 */
final class CausalMetric extends BaseMetric {
    static final String DELETION = "deletion";
    static final String INSERTION = "insertion";

    static MetricSpec spec(boolean insertion) {
        String name = insertion ? INSERTION : DELETION;
        String what = insertion
                ? "Starts from the substrate (default: the blurred input) and restores"
                : "Starts from the input and replaces";
        return new MetricSpec(name, Category.FAITHFULNESS, "RISE CausalMetric (Petsiuk et al. 2018, eclique/RISE evaluation.py)",
                insertion ? "area under the target probability as the most important features are restored; higher is better"
                        : "area under the target probability as the most important features are removed; lower is better",
                what + " the features in descending attribution order, step at a time, with the "
                        + (insertion ? "input's values" : "substrate's (default zeros)")
                        + "; the curve c_0..c_n holds the target's probability (logit with softmax false), c_0 the start; "
                        + "score = (sum c - c_0/2 - c_n/2) / n. The curves are returned with the scores.",
                List.of(ParamSpec.integer("step", 1, ParamSpec.Range.atLeast(1), "features moved per step"),
                        MetricParams.text("substrate", insertion ? "blur" : "zeros",
                                "zeros, blur (the input blurred with the Gaussian kernel; images) or a .npy of the input's shape or (1, ...)"),
                        ParamSpec.integer("blur-klen", 11, ParamSpec.Range.atLeast(1), "side of the blur kernel"),
                        ParamSpec.real("blur-sigma", 5.0, ParamSpec.Range.positive(), "standard deviation of the blur kernel"),
                        MetricParams.softmax(true)),
                false, false, false, "(N,); curves (N, n+1)", Optional.of(insertion),
                p -> new CausalMetric(name, p, insertion));
    }

    private final boolean insertion;

    CausalMetric(String name, Params p, boolean insertion) {
        super(name, p);
        this.insertion = insertion;
    }

    @Override
    public Scores evaluate(MetricInput in) {
        ExampleData d = ExampleData.of(in);
        int n = d.size();
        int f = d.features();
        int step = params.integer("step");
        if (step > f) {
            throw Explain4jException.usage("step", "step " + step + " is larger than the number of features (" + f + ")");
        }
        double[][] x = d.x();
        double[][] substrate = substrate(in, d);
        int steps = ceilDiv(f, step);
        int points = steps + 1;
        int[][] order = new int[n][];
        for (int e = 0; e < n; e++) {
            order[e] = Attributions.descending(d.a()[e]);
        }
        double[][] start = insertion ? substrate : x;
        double[][] finish = insertion ? x : substrate;
        CumulativeRows rows = new CumulativeRows(start, points, (e, j, cur) -> {
            if (j == 0) {
                return;
            }
            for (int k = (j - 1) * step; k < Math.min(f, j * step); k++) {
                cur[order[e][k]] = finish[e][order[e][k]];
            }
        });
        ModelCalls calls = ModelCalls.of(in);
        double[] c = calls.targets(name, rows.rows(), rows, row -> row / points, d::target, params.bool("softmax"));
        double[] auc = new double[n];
        for (int e = 0; e < n; e++) {
            double s = 0;
            for (int j = 0; j < points; j++) {
                s += c[e * points + j];
            }
            auc[e] = (s - c[e * points] / 2 - c[e * points + steps] / 2) / steps;
        }
        return scores(Tensor.ofDoubles(auc, n), false, in.seed(), Optional.of(Tensor.ofDoubles(c, n, points)),
                calls.evaluations());
    }

    private double[][] substrate(MetricInput in, ExampleData d) {
        String s = params.string("substrate").trim();
        int n = d.size();
        int f = d.features();
        switch (s.toLowerCase(Locale.ROOT)) {
            case "zeros":
                return new double[n][f];
            case "blur": {
                if (!d.isImage()) {
                    throw Explain4jException.usage("substrate", "substrate blur needs images (N, C, H, W); the input's "
                            + "examples have shape " + Tensor.shapeString(d.exampleShape()) + "; use zeros or a .npy");
                }
                double[][] k = kernel(params.integer("blur-klen"), params.real("blur-sigma"));
                double[][] out = new double[n][];
                for (int e = 0; e < n; e++) {
                    out[e] = blur(d.x()[e], d.channels(), d.height(), d.width(), k);
                }
                return out;
            }
            default: {
                if (!s.toLowerCase(Locale.ROOT).endsWith(".npy")) {
                    throw Explain4jException.usage("substrate", "substrate '" + s + "' must be zeros, blur or a .npy file");
                }
                Tensor t = Npy.read(Path.of(s), "substrate");
                int[] want = in.input().shape();
                int[] one = want.clone();
                one[0] = 1;
                if (!Arrays.equals(t.shape(), want) && !Arrays.equals(t.shape(), one)) {
                    throw Explain4jException.shape("substrate", "substrate has shape " + Tensor.shapeString(t.shape())
                            + "; pass the input's shape " + Tensor.shapeString(want) + " or " + Tensor.shapeString(one));
                }
                if (t.firstNonFinite() >= 0) {
                    throw Explain4jException.usage("substrate", "substrate holds a non-finite value");
                }
                double[][] rows = ExampleData.rows(t);
                double[][] out = new double[n][];
                for (int e = 0; e < n; e++) {
                    out[e] = rows[rows.length == 1 ? 0 : e].clone();
                }
                return out;
            }
        }
    }

    /**
     * RISE's {@code gkern(klen, nsig)}: a klen x klen dirac at the centre smoothed by SciPy's
     * {@code gaussian_filter(sigma)} (truncate 4, mode reflect), i.e. the outer product of one
     * 1-D reflected Gaussian filter applied to the 1-D dirac.
     */
    static double[][] kernel(int klen, double sigma) {
        int r = (int) (4.0 * sigma + 0.5);
        double[] g = new double[2 * r + 1];
        double sum = 0;
        for (int j = -r; j <= r; j++) {
            g[j + r] = Math.exp(-0.5 * j * j / (sigma * sigma));
            sum += g[j + r];
        }
        for (int j = 0; j < g.length; j++) {
            g[j] /= sum;
        }
        double[] dirac = new double[klen];
        dirac[klen / 2] = 1.0;
        double[] v = new double[klen];
        for (int i = 0; i < klen; i++) {
            double s = 0;
            for (int j = -r; j <= r; j++) {
                s += g[j + r] * dirac[reflect(i + j, klen)];
            }
            v[i] = s;
        }
        double[][] k = new double[klen][klen];
        for (int i = 0; i < klen; i++) {
            for (int j = 0; j < klen; j++) {
                k[i][j] = v[i] * v[j];
            }
        }
        return k;
    }

    /** SciPy's 'reflect' extension (d c b a | a b c d | d c b a), repeated as far as needed. */
    static int reflect(int i, int n) {
        int period = 2 * n;
        int m = Math.floorMod(i, period);
        return m < n ? m : period - 1 - m;
    }

    /** Each channel of {@code x} (C, H, W) convolved with {@code k}, zero padding klen/2 (same size for odd klen). */
    static double[] blur(double[] x, int c, int h, int w, double[][] k) {
        int klen = k.length;
        int pad = klen / 2;
        int oh = h + 2 * pad - klen + 1;
        int ow = w + 2 * pad - klen + 1;
        if (oh != h || ow != w) {
            throw Explain4jException.usage("blur-klen", "blur-klen must be odd (got " + klen + ")");
        }
        double[] out = new double[c * h * w];
        for (int ch = 0; ch < c; ch++) {
            for (int i = 0; i < h; i++) {
                for (int j = 0; j < w; j++) {
                    double s = 0;
                    for (int a = 0; a < klen; a++) {
                        int si = i + a - pad;
                        if (si < 0 || si >= h) {
                            continue;
                        }
                        for (int b = 0; b < klen; b++) {
                            int sj = j + b - pad;
                            if (sj >= 0 && sj < w) {
                                s += k[a][b] * x[(ch * h + si) * w + sj];
                            }
                        }
                    }
                    out[(ch * h + i) * w + j] = s;
                }
            }
        }
        return out;
    }
}
