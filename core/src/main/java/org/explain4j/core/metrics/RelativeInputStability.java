package org.explain4j.core.metrics;

import java.util.List;
import java.util.Optional;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.catalog.ParamSpec;
import org.explain4j.core.catalog.Params;

/**
 * Relative input stability (Agarwal et al. 2022, "Rethinking stability for attribution-based
 * explanations"): for copies {@code x_s = x + U(lower, upper)},
 * {@code r_s = ||(e - e_s) / (e + [e == 0] eps)||_2 / D} with
 * {@code D = ||(x - x_s) / (x + [x == 0] eps)||_2} (eps when D is 0), e the given attribution and
 * e_s = e(x_s); NaN when the prediction changes (by default); score = max_s r_s, NaN if any
 * sample is NaN. {@code normalise} divides each example by its own root mean square.
 */
final class RelativeInputStability extends BaseMetric {
    static final String NAME = "relative-input-stability";

    static MetricSpec spec() {
        return new MetricSpec(NAME, Category.ROBUSTNESS, "Quantus 0.6.0 RelativeInputStability",
                "largest relative change of the explanation over the relative change of the input",
                "Adds small one-sided uniform noise, recomputes the explanation and reports the largest ratio of the "
                        + "explanation's relative change to the input's relative change. Lower is more stable.",
                stabilityParams(), false, true, true, "(N,)", Optional.of(false), RelativeInputStability::new);
    }

    /** The parameters of relative input and output stability. */
    static List<ParamSpec> stabilityParams() {
        return List.of(QuantusParams.nrSamples(200, "number of noisy inputs"),
                ParamSpec.real("lower-bound", 0.02, ParamSpec.Range.ANY, "noise U(lower-bound, upper-bound) per element"),
                ParamSpec.real("upper-bound", 0.2, ParamSpec.Range.ANY, "upper end of the noise"),
                ParamSpec.real("eps-min", 1e-6, ParamSpec.Range.positive(), "guard against division by zero"),
                QuantusParams.returnNan(true), QuantusParams.abs(false),
                ParamSpec.bool("normalise", false, "divide each example's attribution by its own root mean square"));
    }

    RelativeInputStability(Params params) {
        super(NAME, params);
    }

    @Override
    public Scores evaluate(MetricInput in) {
        return run(in, params, NAME, false);
    }

    /** RIS ({@code output = false}) or ROS ({@code output = true}). */
    static Scores run(MetricInput in, Params params, String name, boolean output) {
        Reexplaining re = Reexplaining.of(in, params, name);
        ExampleData d = re.d();
        ModelCalls calls = re.calls();
        double lower = params.real("lower-bound");
        double upper = params.real("upper-bound");
        if (upper <= lower) {
            throw Explain4jException.usage("upper-bound", "upper-bound " + upper + " must be larger than lower-bound " + lower);
        }
        double eps = params.real("eps-min");
        boolean softmax = output && params.bool("softmax");
        int n = d.size();
        int samples = params.integer("nr-samples");
        double[][] x = d.x();
        double[][] e = rms(d.a(), re.normalise(), re.abs());
        double[][] h = output ? outputs(calls, x, x.length, softmax) : null;
        double[][] r = NoisySamples.ratios(in, calls, x, samples, NoisySamples.uniform(lower, upper), re.nanOnChange(),
                (rows, count) -> {
                    double[][] es = rms(re.explain().explain(in.model(), rows, NoisySamples.repeat(d.targets(), count)),
                            re.normalise(), re.abs());
                    double[][] hs = output ? outputs(calls, rows, x.length, softmax) : null;
                    return (ex, row) -> {
                        double num = relative(e[ex], es[row], eps);
                        double den = output ? NoisySamples.distance(h[ex], hs[row]) : relative(x[ex], rows[row], eps);
                        den += den == 0 ? eps : 0;
                        return num / den;
                    };
                });
        double[] out = new double[n];
        for (int ex = 0; ex < n; ex++) {
            out[ex] = MaxSensitivity.reduceMax(r[ex], false);
        }
        return MetricResults.perExample(name, out, params, Optional.of(in.seed()), calls.evaluations());
    }

    /** {@code ||(v - vs) / (v + [v == 0] eps)||_2}. */
    static double relative(double[] v, double[] vs, double eps) {
        double s = 0;
        for (int i = 0; i < v.length; i++) {
            double q = (v[i] - vs[i]) / (v[i] + (v[i] == 0 ? eps : 0));
            s += q * q;
        }
        return Math.sqrt(s);
    }

    /** Every output of each row (row {@code r} a variant of example {@code r % examples}): logits, or softmax probabilities. */
    private static double[][] outputs(ModelCalls calls, double[][] rows, int examples, boolean softmax) {
        double[][] o = calls.outputs("outputs", rows, examples);
        if (softmax) {
            for (double[] row : o) {
                double[] p = new double[row.length];
                for (int c = 0; c < row.length; c++) {
                    p[c] = ModelCalls.select(row, c, true);
                }
                System.arraycopy(p, 0, row, 0, row.length);
            }
        }
        return o;
    }

    /** The stability metrics' preprocessing: each example by its own root mean square, then abs. */
    static double[][] rms(double[][] rows, boolean normalise, boolean abs) {
        double[][] out = new double[rows.length][];
        for (int n = 0; n < rows.length; n++) {
            double[] a = rows[n].clone();
            if (normalise) {
                double s = 0;
                for (double v : a) {
                    s += v * v;
                }
                double rms = Math.sqrt(s / a.length);
                if (rms > 0) {
                    for (int i = 0; i < a.length; i++) {
                        a[i] /= rms;
                    }
                }
            }
            if (abs) {
                for (int i = 0; i < a.length; i++) {
                    a[i] = Math.abs(a[i]);
                }
            }
            out[n] = a;
        }
        return out;
    }
}
