package org.explain4j.core.metrics;

import java.util.List;
import java.util.Optional;
import org.explain4j.core.catalog.ParamSpec;
import org.explain4j.core.catalog.Params;
import org.explain4j.core.model.Model;

/**
 * Efficient MPRT (Hedström et al. 2023), as Quantus's EfficientMPRT with its defaults: the
 * relative rise in the explanation's complexity when the model is randomised,
 * {@code (H(e_random) - H(e)) / H(e)}, H the discrete entropy of the explanation's histogram with
 * {@code n-bins} equal bins (NumPy {@code histogram}, SciPy {@code entropy}), e the method's
 * explanation on the model as given and e_random on the model after every step of
 * {@code layer-order} (bottom-up by default: fully randomised). The given attribution is not
 * scored (Quantus only uses it to choose the bins with a rule; explain4j takes n-bins).
 */
final class EfficientMprt implements Metric {
    static final String NAME = "efficient-mprt";

    static MetricSpec spec() {
        return new MetricSpec(NAME, Category.RANDOMISATION, "Quantus 0.6.0 EfficientMPRT",
                "relative rise of the explanation's entropy when the model is randomised",
                "Compares the histogram entropy of the method's explanation on the model and on the randomised model; "
                        + "an explanation that reflects the model becomes noisier: higher is better.",
                List.of(ParamSpec.seed().withDefault(42L), QuantusParams.layerOrder("bottom_up"),
                        ParamSpec.integer("n-bins", 100, ParamSpec.Range.atLeast(1), "equal-width histogram bins"),
                        QuantusParams.abs(false), QuantusParams.normalise(false)),
                false, true, true, "(N,)", Optional.of(true), EfficientMprt::new);
    }

    private final Params params;

    EfficientMprt(Params params) {
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
        Randomisable r = LayerRandomisation.of(in, NAME);
        boolean normalise = params.bool("normalise");
        boolean abs = params.bool("abs");
        int bins = params.integer("n-bins");
        List<List<String>> steps = LayerRandomisation.steps(r.layers(), params.string("layer-order"));
        double[][] e = explain.explain(in.model(), d.x(), d.targets(), normalise, abs);
        double[][] er;
        try (Model m = r.randomised(steps.get(steps.size() - 1), in.seed())) {
            er = explain.explain(m, d.x(), d.targets(), normalise, abs);
        }
        double[] out = new double[d.size()];
        for (int n = 0; n < out.length; n++) {
            double h = discreteEntropy(e[n], bins);
            out[n] = (discreteEntropy(er[n], bins) - h) / h;
        }
        return MetricResults.perExample(NAME, out, params, Optional.of(in.seed()), 0);
    }

    /** SciPy's {@code entropy} of NumPy's {@code histogram(a, bins)} counts (natural log). */
    static double discreteEntropy(double[] a, int bins) {
        long[] counts = histogram(a, bins);
        double total = 0;
        for (long c : counts) {
            total += c;
        }
        double h = 0;
        for (long c : counts) {
            if (c > 0) {
                double p = c / total;
                h -= p * Math.log(p);
            }
        }
        return h;
    }

    /** NumPy's {@code histogram} with equal-width bins over [min, max] (min - 0.5, max + 0.5 when equal). */
    static long[] histogram(double[] a, int bins) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (double v : a) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        if (lo == hi) {
            lo -= 0.5;
            hi += 0.5;
        }
        double[] edges = new double[bins + 1];
        double step = (hi - lo) / bins;
        for (int i = 0; i <= bins; i++) {
            edges[i] = i * step + lo;
        }
        edges[bins] = hi;
        double norm = bins / (hi - lo);
        long[] counts = new long[bins];
        for (double v : a) {
            int i = (int) ((v - lo) * norm);
            if (i == bins) {
                i--;
            }
            if (v < edges[i]) {
                i--;
            } else if (i != bins - 1 && v >= edges[i + 1]) {
                i++;
            }
            counts[i]++;
        }
        return counts;
    }
}
