package org.explain4j.core.metrics;

import java.util.List;
import java.util.Optional;
import org.explain4j.core.catalog.ParamSpec;
import org.explain4j.core.catalog.Params;

/**
 * Local Lipschitz estimate (Alvarez-Melis and Jaakkola 2018, "On the robustness of
 * interpretability methods"): for {@code nr-samples} copies {@code x_s = x + N(mean, std^2)},
 * score = max_s {@code ||a - e(x_s)||_2 / (||x - x_s||_2 + 1e-10)}, a and e(x_s) preprocessed
 * (normalise per example by default).
 */
final class LocalLipschitzEstimate extends BaseMetric {
    static final String NAME = "local-lipschitz-estimate";

    static MetricSpec spec() {
        return new MetricSpec(NAME, Category.ROBUSTNESS, "Quantus 0.6.0 LocalLipschitzEstimate",
                "largest change of the explanation per unit change of the input under Gaussian noise",
                "Adds Gaussian noise many times, recomputes the explanation and reports the largest "
                        + "||e(x) - e(x+noise)|| / ||noise||. Lower is more robust.",
                List.of(QuantusParams.nrSamples(200, "number of noisy inputs"),
                        ParamSpec.real("perturb-mean", 0.0, ParamSpec.Range.ANY, "mean of the Gaussian noise"),
                        ParamSpec.real("perturb-std", 0.1, ParamSpec.Range.atLeast(0),
                                "standard deviation of the noise (0: a constant shift by perturb-mean)"),
                        QuantusParams.returnNan(false), QuantusParams.abs(false), QuantusParams.normalise(true)),
                false, true, true, "(N,)", Optional.of(false), LocalLipschitzEstimate::new);
    }

    LocalLipschitzEstimate(Params params) {
        super(NAME, params);
    }

    @Override
    public Scores evaluate(MetricInput in) {
        Reexplaining re = Reexplaining.of(in, params, NAME);
        ExampleData d = re.d();
        int n = d.size();
        int samples = params.integer("nr-samples");
        double[][] a = preprocessed(d);
        double[][] x = d.x();
        double[][] r = NoisySamples.ratios(in, re.calls(), x, samples,
                NoisySamples.gaussian(params.real("perturb-mean"), params.real("perturb-std")), re.nanOnChange(),
                (rows, count) -> {
                    double[][] e = re.explain(in, rows, NoisySamples.repeat(d.targets(), count));
                    return (ex, row) -> NoisySamples.distance(a[ex], e[row]) / (NoisySamples.distance(x[ex], rows[row]) + 1e-10);
                });
        double[] out = new double[n];
        for (int ex = 0; ex < n; ex++) {
            out[ex] = MaxSensitivity.reduceMax(r[ex], !re.nanOnChange());
        }
        return perExample(out, Optional.of(in.seed()), re.calls().evaluations());
    }
}
