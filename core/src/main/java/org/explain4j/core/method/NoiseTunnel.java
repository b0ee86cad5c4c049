package org.explain4j.core.method;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import org.explain4j.core.Attribution;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.model.FedInputs;

/**
 * Noise tunnel (Smilkov et al., 2017, "SmoothGrad: removing noise by adding noise", equation 3;
 * Adebayo et al., 2018 for VarGrad): runs any method on {@code samples} copies of the input with
 * Gaussian noise of standard deviation {@code noiseStdDev} added, and returns the mean of the
 * attributions ({@code smoothgrad}), the mean of their squares ({@code smoothgrad_sq}) or their
 * variance ({@code vargrad}). All noisy copies go to the inner method as one batch, which cuts
 * them into model calls of bounded size. The noise of sample {@code s} is drawn from the seed
 * and is the same for every example, so a batch equals one-by-one runs.
 */
public final class NoiseTunnel implements AttributionMethod {
    /** How the noisy attributions are combined. */
    public enum NoiseType {
        SMOOTHGRAD, SMOOTHGRAD_SQ, VARGRAD;

        /** Parses {@code smoothgrad}, {@code smoothgrad_sq} or {@code vargrad}. */
        public static NoiseType parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
            } catch (IllegalArgumentException e) {
                throw Explain4jException.usage("noise-type", "noise-type '" + s + "' is not one of smoothgrad, smoothgrad_sq, vargrad");
            }
        }
    }

    /** Options; see {@link #defaults()}. */
    public record Options(NoiseType type, int samples, double noiseStdDev, long seed) {
        public Options {
            if (type == null) {
                throw new IllegalArgumentException("type is required");
            }
            if (samples < 1) {
                throw Explain4jException.usage("samples", "samples must be at least 1 (got " + samples + ")");
            }
            if (!(noiseStdDev >= 0) || Double.isInfinite(noiseStdDev)) {
                throw Explain4jException.usage("noise-std", "noise-std must be zero or positive (got " + noiseStdDev + ")");
            }
        }

        /** SmoothGrad with 5 samples of standard deviation 1 (Captum's defaults), seed 0. */
        public static Options defaults() {
            return new Options(NoiseType.SMOOTHGRAD, 5, 1.0, 0L);
        }

        public Options withType(NoiseType t) {
            return new Options(t, samples, noiseStdDev, seed);
        }

        public Options withSamples(int n) {
            return new Options(type, n, noiseStdDev, seed);
        }

        public Options withNoiseStdDev(double s) {
            return new Options(type, samples, s, seed);
        }

        public Options withSeed(long s) {
            return new Options(type, samples, noiseStdDev, s);
        }
    }

    private final AttributionMethod inner;
    private final Options options;

    public NoiseTunnel(AttributionMethod inner, Options options) {
        this.inner = inner;
        this.options = options;
    }

    @Override
    public String name() {
        return "smoothgrad";
    }

    @Override
    public Attribution attribute(Tensor input, Target target) {
        return attribute(input, FedInputs.none(), target);
    }

    @Override
    public Attribution attribute(Tensor input, FedInputs fed, Target target) {
        if (!input.dtype().isFloating()) {
            throw Explain4jException.dtype("input", "smoothgrad adds noise to the input, which is " + input.dtype().label());
        }
        int n = input.batchSize();
        int d = input.exampleSize();
        int samples = options.samples();
        // 1. Draw one noise vector per sample (shared by all examples) and stack the noisy copies.
        SplittableRandom rnd = new SplittableRandom(options.seed());
        double[] x = input.toDoubleArray();
        double[] noisy = new double[samples * n * d];
        for (int s = 0; s < samples; s++) {
            double[] noise = new double[d];
            for (int e = 0; e < d; e++) {
                noise[e] = options.noiseStdDev() * gaussian(rnd);
            }
            for (int i = 0; i < n; i++) {
                for (int e = 0; e < d; e++) {
                    noisy[(s * n + i) * d + e] = x[i * d + e] + noise[e];
                }
            }
        }
        int[] shape = input.shape();
        shape[0] = samples * n;
        Tensor stacked = input.dtype() == org.explain4j.core.DType.FLOAT64 ? Tensor.ofDoubles(noisy, shape)
                : Tensor.ofDoublesAsFloats(noisy, shape);
        // 2. Run the inner method once over all noisy copies.
        int[] exampleOfRow = new int[samples * n];
        for (int r = 0; r < exampleOfRow.length; r++) {
            exampleOfRow[r] = r % n;
        }
        Attribution a = inner.attribute(stacked, fed.forExamples(exampleOfRow, n), expand(target, n, samples));
        // 3. Combine per example.
        Tensor v = a.values();
        int per = v.exampleSize();
        double[] mean = new double[n * per];
        double[] sq = new double[n * per];
        for (int s = 0; s < samples; s++) {
            for (int i = 0; i < n * per; i++) {
                double val = v.getDouble(s * n * per + i);
                mean[i] += val / samples;
                sq[i] += val * val / samples;
            }
        }
        double[] out = switch (options.type()) {
            case SMOOTHGRAD -> mean;
            case SMOOTHGRAD_SQ -> sq;
            case VARGRAD -> {
                double[] var = new double[n * per];
                for (int i = 0; i < var.length; i++) {
                    var[i] = sq[i] - mean[i] * mean[i];
                }
                yield var;
            }
        };
        int[] outShape = v.shape();
        outShape[0] = n;
        Map<String, Object> opts = new LinkedHashMap<>();
        opts.put("inner", inner.name());
        opts.put("noise_type", options.type().name().toLowerCase(Locale.ROOT));
        opts.put("samples", samples);
        opts.put("noise_std", options.noiseStdDev());
        opts.put("inner_options", a.options());
        return new Attribution(name(), Tensor.ofDoublesAsFloats(out, outShape), target, opts, OptionalLong.of(options.seed()),
                new org.explain4j.core.Diagnostics(a.diagnostics().modelEvaluations(), a.diagnostics().elapsed(),
                        Optional.empty(), Optional.empty()), a.provenance(), a.input());
    }

    /** The target for {@code samples} stacked copies of a batch of {@code n}. */
    static Target expand(Target t, int n, int samples) {
        if (t instanceof Target.PerExample p) {
            int[] idx = p.indices();
            if (idx.length != n) {
                throw Explain4jException.target("target", "target has " + idx.length
                        + " class indices but the input batch has " + n + " examples; pass one index for all or one per example");
            }
            int[] out = new int[n * samples];
            for (int s = 0; s < samples; s++) {
                System.arraycopy(idx, 0, out, s * n, n);
            }
            return new Target.PerExample(out);
        }
        return t;
    }

    /** A standard normal draw (Box-Muller), from the given stream only. */
    static double gaussian(SplittableRandom rnd) {
        double u1 = rnd.nextDouble();
        double u2 = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
    }
}
