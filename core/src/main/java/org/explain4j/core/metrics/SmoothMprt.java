package org.explain4j.core.metrics;

import java.util.List;
import java.util.SplittableRandom;
import org.explain4j.core.DType;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.catalog.ParamSpec;
import org.explain4j.core.catalog.Params;

/**
 * Smooth MPRT (Hedström et al. 2023, "Sanity checks revisited: an exploration to repair the
 * model parameter randomisation test"), as Quantus's SmoothMPRT: {@link Mprt} where every
 * recomputed explanation is denoised, the mean of the method's explanations of
 * {@code nr-samples} inputs {@code x + N(0, std^2)} with
 * {@code std = noise-magnitude * (max x - min x)} per example, the last sample noise-free.
 * Bottom-up by default. The given attribution is compared as given (preprocessed).
 */
final class SmoothMprt implements Metric {
    static final String NAME = "smooth-mprt";

    static MetricSpec spec() {
        return new MetricSpec(NAME, Category.RANDOMISATION, "Quantus 0.6.0 SmoothMPRT",
                "MPRT with explanations denoised by averaging over noisy inputs",
                "As mprt, but each recomputed explanation is the mean over noisy copies of the input, which removes "
                        + "the gradient noise that makes plain MPRT unreliable. Lower similarity after randomisation is better.",
                List.of(ParamSpec.seed().withDefault(42L), QuantusParams.layerOrder("bottom_up"),
                        QuantusParams.nrSamples(50, "noisy inputs per denoised explanation (the last one noise-free)"),
                        ParamSpec.real("noise-magnitude", 0.1, ParamSpec.Range.atLeast(0),
                                "noise std as a share of each example's value range"),
                        ParamSpec.bool("return-average-correlation", false,
                                "one value per example: the mean of all columns, the original included (as Quantus)"),
                        ParamSpec.bool("return-last-correlation", false, "one value per example: the last column"),
                        ParamSpec.bool("skip-layers", false, "compute only the original and the fully randomised columns"),
                        QuantusParams.abs(true), QuantusParams.normalise(true)),
                false, true, true, "(N, L+1); (N,) with return-last-correlation or return-average-correlation",
                java.util.Optional.of(false), SmoothMprt::new);
    }

    private final Params params;

    SmoothMprt(Params params) {
        this.params = params;
        if (params.bool("return-average-correlation") && params.bool("return-last-correlation")) {
            throw Explain4jException.usage("return-last-correlation",
                    "return-last-correlation and return-average-correlation cannot both be true");
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Scores evaluate(MetricInput in) {
        ExampleData d = ExampleData.of(in);
        ReExplain explain = ReExplain.of(in, NAME);
        boolean normalise = params.bool("normalise");
        boolean abs = params.bool("abs");
        int samples = params.integer("nr-samples");
        double magnitude = params.real("noise-magnitude");
        boolean f32 = in.model().signature().inputType() == DType.FLOAT32;
        int n = d.size();
        int size = d.features();
        double[] std = new double[n];
        for (int ex = 0; ex < n; ex++) {
            double lo = Double.POSITIVE_INFINITY;
            double hi = Double.NEGATIVE_INFINITY;
            for (double v : d.x()[ex]) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
            std[ex] = magnitude * (hi - lo);
        }
        double[][] columns = Mprt.similarities(in, d, params, (model, column) -> {
            double[][] sum = new double[n][size];
            SplittableRandom[] rng = new SplittableRandom[n];
            for (int ex = 0; ex < n; ex++) {
                rng[ex] = MetricRandom.forExample(in.seed(), ex, column);
            }
            int per = Math.max(1, in.batchSize() / n);
            for (int first = 0; first < samples; first += per) {
                int count = Math.min(per, samples - first);
                double[][] rows = new double[count * n][];
                for (int k = 0; k < count; k++) {
                    boolean clean = first + k == samples - 1;
                    for (int ex = 0; ex < n; ex++) {
                        double[] r = d.x()[ex].clone();
                        if (!clean) {
                            for (int i = 0; i < size; i++) {
                                double v = r[i] + std[ex] * MetricRandom.gaussian(rng[ex]);
                                r[i] = f32 ? (float) v : v;
                            }
                        }
                        rows[k * n + ex] = r;
                    }
                }
                double[][] e = explain.explain(model, rows, NoisySamples.repeat(d.targets(), count));
                for (int k = 0; k < count; k++) {
                    for (int ex = 0; ex < n; ex++) {
                        for (int i = 0; i < size; i++) {
                            sum[ex][i] += e[k * n + ex][i] / samples;
                        }
                    }
                }
            }
            return Attributions.preprocess(sum, normalise, abs);
        });
        return Mprt.result(NAME, columns, params, in.seed());
    }
}
