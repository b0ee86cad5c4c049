package org.explain4j.core.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.catalog.ParamSpec;
import org.explain4j.core.catalog.Params;

/**
 * Max-sensitivity (Yeh et al. 2019, "On the (in)fidelity and sensitivity of explanations").
 * Quantus: for {@code nr-samples} noisy copies {@code x_s = x + U(-lower, lower)} (or
 * {@code U(lower, upper)}), {@code r_s = ||e(x_s) - a||_2 / ||a||_2} with a the given attribution;
 * score = max over samples. Captum ({@code reference captum}, {@code sensitivity_max}): both
 * explanations recomputed, {@code x_s = x + U(-radius, radius)},
 * {@code r_s = ||e(x_s) - e(x)|| / ||e(x)||} (denominator 1 when 0).
 */
final class MaxSensitivity extends BaseMetric {
    static final String NAME = "max-sensitivity";

    static MetricSpec spec() {
        List<ParamSpec> p = new ArrayList<>();
        p.add(ParamSpec.choice("reference", "quantus", List.of("quantus", "captum"),
                "quantus: Quantus's MaxSensitivity; captum: Captum's sensitivity_max"));
        p.addAll(quantusParams().stream().map(q -> q.when("reference", "quantus")).toList());
        p.add(ParamSpec.integer("n-perturb-samples", 10, ParamSpec.Range.atLeast(1), "number of perturbed inputs").budget()
                .when("reference", "captum"));
        p.add(ParamSpec.real("perturb-radius", 0.02, ParamSpec.Range.atLeast(0), "noise U(-radius, radius) per element")
                .when("reference", "captum"));
        p.add(ParamSpec.choice("norm-ord", "fro", List.of("fro", "1", "inf"), "norm of the explanation difference")
                .when("reference", "captum"));
        return new MetricSpec(NAME, Category.ROBUSTNESS, "Quantus 0.6.0 MaxSensitivity; Captum sensitivity_max",
                "largest relative change of the explanation under small input noise",
                "Adds small uniform noise to the input many times, recomputes the explanation with the chosen method and "
                        + "reports the largest ||e(x+noise) - e(x)|| / ||e(x)||. Lower is more robust.",
                p, false, true, true, "(N,)", Optional.of(false), MaxSensitivity::new);
    }

    /** The parameters of Quantus's MaxSensitivity and AvgSensitivity. */
    static List<ParamSpec> quantusParams() {
        return List.of(QuantusParams.nrSamples(200, "number of noisy inputs"),
                ParamSpec.real("lower-bound", 0.2, ParamSpec.Range.atLeast(0),
                        "noise U(-lower-bound, lower-bound), or U(lower-bound, upper-bound) when upper-bound is set"),
                ParamSpec.optionalReal("upper-bound", ParamSpec.Range.ANY, "upper end of the noise (unset: symmetric noise)"),
                QuantusParams.returnNan(false), QuantusParams.abs(false), QuantusParams.normalise(false));
    }

    MaxSensitivity(Params params) {
        super(NAME, params);
    }

    @Override
    public Scores evaluate(MetricInput in) {
        if (params.string("reference").equals("captum")) {
            return captum(in);
        }
        return quantus(in, params, NAME, true);
    }

    /** Quantus's sensitivity: the max ({@code max}) or mean of {@code r_s} per example. */
    static Scores quantus(MetricInput in, Params params, String name, boolean max) {
        Reexplaining re = Reexplaining.of(in, params, name);
        ExampleData d = re.d();
        double lower = params.real("lower-bound");
        NoisySamples.Noise noise;
        if (params.optionalReal("upper-bound").isPresent()) {
            double upper = params.optionalReal("upper-bound").getAsDouble();
            if (upper <= lower) {
                throw Explain4jException.usage("upper-bound", "upper-bound " + upper + " must be larger than lower-bound "
                        + lower);
            }
            noise = NoisySamples.uniform(lower, upper);
        } else {
            noise = NoisySamples.uniform(-lower, lower);
        }
        int n = d.size();
        int samples = params.integer("nr-samples");
        double[][] a = Attributions.preprocess(d.a(), re.normalise(), re.abs());
        double[][] r = NoisySamples.ratios(in, re.calls(), d.x(), samples, noise, re.nanOnChange(), (rows, count) -> {
            double[][] e = re.explain(in, rows, NoisySamples.repeat(d.targets(), count));
            return (ex, row) -> NoisySamples.distance(e[row], a[ex]) / NoisySamples.norm(a[ex]);
        });
        double[] out = new double[n];
        for (int ex = 0; ex < n; ex++) {
            // Quantus: nanmax / nanmean, except with return-nan-when-prediction-changes (max / mean: one NaN gives NaN)
            out[ex] = max ? reduceMax(r[ex], !re.nanOnChange()) : reduceMean(r[ex], !re.nanOnChange());
        }
        return MetricResults.perExample(name, out, params, Optional.of(in.seed()), re.calls().evaluations());
    }

    private Scores captum(MetricInput in) {
        ExampleData d = ExampleData.of(in);
        ReExplain explain = ReExplain.of(in, NAME);
        int n = d.size();
        double radius = params.real("perturb-radius");
        String ord = params.string("norm-ord");
        double[][] e0 = explain.explain(in.model(), d.x(), d.targets());
        double[] out = new double[n];
        java.util.Arrays.fill(out, Double.NEGATIVE_INFINITY);
        NoisySamples.run(in, d.x(), params.integer("n-perturb-samples"), NoisySamples.uniform(-radius, radius),
                (first, count, rows) -> {
                    double[][] e = explain.explain(in.model(), rows, NoisySamples.repeat(d.targets(), count));
                    for (int k = 0; k < count; k++) {
                        for (int ex = 0; ex < n; ex++) {
                            double[] diff = e[k * n + ex].clone();
                            for (int i = 0; i < diff.length; i++) {
                                diff[i] -= e0[ex][i];
                            }
                            double den = norm(e0[ex], ord);
                            out[ex] = Math.max(out[ex], norm(diff, ord) / (den == 0 ? 1 : den));
                        }
                    }
                });
        return perExample(out, Optional.of(in.seed()), 0);
    }

    private static double norm(double[] v, String ord) {
        double s = 0;
        for (double x : v) {
            switch (ord) {
                case "1" -> s += Math.abs(x);
                case "inf" -> s = Math.max(s, Math.abs(x));
                default -> s += x * x;
            }
        }
        return ord.equals("fro") ? Math.sqrt(s) : s;
    }

    static double reduceMax(double[] v, boolean skipNan) {
        double m = Double.NEGATIVE_INFINITY;
        boolean any = false;
        for (double x : v) {
            if (Double.isNaN(x)) {
                if (!skipNan) {
                    return Double.NaN;
                }
                continue;
            }
            any = true;
            m = Math.max(m, x);
        }
        return any ? m : Double.NaN;
    }

    static double reduceMean(double[] v, boolean skipNan) {
        double s = 0;
        int c = 0;
        for (double x : v) {
            if (Double.isNaN(x)) {
                if (!skipNan) {
                    return Double.NaN;
                }
                continue;
            }
            s += x;
            c++;
        }
        return c == 0 ? Double.NaN : s / c;
    }
}
