package org.explain4j.core.metrics;

import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.catalog.ParamSpec;
import org.explain4j.core.catalog.Params;

/**
 * Random logit (Sixt et al. 2020, "When explanations lie: why many modified BP attributions
 * fail"): the structural similarity (SSIM) of the attribution for the target class and the
 * method's explanation for another class, per example; both preprocessed (normalise per example
 * by default). The other class is {@code off-class} when given, else uniform over the
 * {@code num-classes - 1} other classes (drawn from the seed). An explanation that is specific to
 * the class it explains scores low.
 */
final class RandomLogit implements Metric {
    static final String NAME = "random-logit";

    static MetricSpec spec() {
        return new MetricSpec(NAME, Category.RANDOMISATION, "Quantus 0.6.0 RandomLogit",
                "similarity (SSIM) between the explanation of the target and of a random other class",
                "Explains a random non-target class with the same method and compares it with the given attribution "
                        + "(SSIM, 1 = identical). Class-specific explanations score low: lower is better.",
                List.of(ParamSpec.seed().withDefault(42L), ParamSpec.integer("num-classes", 1000, ParamSpec.Range.atLeast(2), "number of classes of the model"),
                        QuantusParams.classes("off-class", "the other class per example (default: drawn from the seed)"),
                        QuantusParams.abs(false), QuantusParams.normalise(true)),
                false, true, true, "(N,)", Optional.of(false), RandomLogit::new);
    }

    private final Params params;

    RandomLogit(Params params) {
        this.params = params;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Scores evaluate(MetricInput in) {
        ExampleData d = ExampleData.of(in);
        ReExplain explain = ReExplain.of(in, NAME);
        int classes = params.integer("num-classes");
        int n = d.size();
        int[] off = new int[n];
        Optional<int[]> given = params.optionalInts("off-class");
        if (given.isPresent()) {
            int[] g = given.get();
            if (g.length != n && g.length != 1) {
                throw Explain4jException.usage("off-class", "off-class gives " + g.length + " classes for " + n
                        + " examples; pass one per example");
            }
            for (int ex = 0; ex < n; ex++) {
                off[ex] = g[g.length == 1 ? 0 : ex];
                if (off[ex] == d.target(ex) || off[ex] >= classes) {
                    throw Explain4jException.usage("off-class", "off-class " + off[ex] + " of example " + ex
                            + " must differ from its target " + d.target(ex) + " and be below num-classes " + classes);
                }
            }
        } else {
            for (int ex = 0; ex < n; ex++) {
                if (d.target(ex) >= classes) {
                    throw Explain4jException.usage("num-classes", "num-classes " + classes + " is not above target "
                            + d.target(ex));
                }
                SplittableRandom rng = MetricRandom.forExample(in.seed(), ex);
                int k = rng.nextInt(classes - 1);
                off[ex] = k < d.target(ex) ? k : k + 1;
            }
        }
        boolean normalise = params.bool("normalise");
        boolean abs = params.bool("abs");
        double[][] a = Attributions.preprocess(d.a(), normalise, abs);
        double[][] e = explain.explain(in.model(), d.x(), off, normalise, abs);
        double[] out = new double[n];
        for (int ex = 0; ex < n; ex++) {
            out[ex] = ssim(a[ex], e[ex]);
        }
        return MetricResults.perExample(NAME, out, params, Optional.of(in.seed()), 0);
    }

    /**
     * scikit-image 0.19's {@code structural_similarity} of two 1-D signals: window 7, uniform
     * filter with reflected borders, K1 0.01, K2 0.03, sample covariance, data range = max - min over
     * both; the mean of the SSIM map without 3 entries at each end.
     */
    static double ssim(double[] x, double[] y) {
        int win = 7;
        if (x.length < win) {
            throw Explain4jException.shape("attribution", "random-logit's SSIM needs at least 7 elements per example (got "
                    + x.length + ")");
        }
        double max = Double.NEGATIVE_INFINITY;
        double min = Double.POSITIVE_INFINITY;
        for (int i = 0; i < x.length; i++) {
            max = Math.max(max, Math.max(x[i], y[i]));
            min = Math.min(min, Math.min(x[i], y[i]));
        }
        double range = Math.abs(max - min);
        double c1 = Math.pow(0.01 * range, 2);
        double c2 = Math.pow(0.03 * range, 2);
        double[] xx = new double[x.length];
        double[] yy = new double[x.length];
        double[] xy = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            xx[i] = x[i] * x[i];
            yy[i] = y[i] * y[i];
            xy[i] = x[i] * y[i];
        }
        double[] ux = uniform(x, win);
        double[] uy = uniform(y, win);
        double[] uxx = uniform(xx, win);
        double[] uyy = uniform(yy, win);
        double[] uxy = uniform(xy, win);
        double cov = win / (win - 1.0);
        int pad = (win - 1) / 2;
        double sum = 0;
        for (int i = pad; i < x.length - pad; i++) {
            double vx = cov * (uxx[i] - ux[i] * ux[i]);
            double vy = cov * (uyy[i] - uy[i] * uy[i]);
            double vxy = cov * (uxy[i] - ux[i] * uy[i]);
            double num = (2 * ux[i] * uy[i] + c1) * (2 * vxy + c2);
            double den = (ux[i] * ux[i] + uy[i] * uy[i] + c1) * (vx + vy + c2);
            sum += num / den;
        }
        return sum / (x.length - 2 * pad);
    }

    /** SciPy's {@code uniform_filter1d(v, size)} with mode 'reflect' (d c b a | a b c d | d c b a). */
    static double[] uniform(double[] v, int size) {
        int n = v.length;
        int left = size / 2;
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int k = i - left; k < i - left + size; k++) {
                s += v[reflect(k, n)];
            }
            out[i] = s / size;
        }
        return out;
    }

    private static int reflect(int k, int n) {
        int period = 2 * n;
        int m = ((k % period) + period) % period;
        return m < n ? m : period - 1 - m;
    }
}
