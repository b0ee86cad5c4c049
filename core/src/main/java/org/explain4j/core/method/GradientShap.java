package org.explain4j.core.method;

import org.explain4j.core.engine.BatchSize;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import org.explain4j.core.Attribution;
import org.explain4j.core.Baseline;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.model.FedInputs;
import org.explain4j.core.engine.EvaluationEngine;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.grad.DifferentiableModel;
import org.explain4j.core.grad.RuleSet;

/**
 * GradientSHAP (Lundberg and Lee, 2017; Captum's GradientShap): the expected value of
 * {@code (x + noise - b) * dF(b + a (x + noise - b)) / dx} over baselines {@code b} drawn from a
 * distribution, {@code a} uniform on [0, 1] and Gaussian noise of standard deviation
 * {@code noiseStdDev}, estimated with {@code samples} seeded draws. The draws are shared by all
 * examples. The gap {@code sum(attr) - (F(x) - mean_b F(b))} is reported.
 */
public final class GradientShap implements AttributionMethod {
    /** Options; see {@link #defaults()}. */
    public record Options(Baseline baseline, int samples, double noiseStdDev, long seed, int batchSize) {
        public Options {
            if (baseline == null) {
                throw new IllegalArgumentException("baseline is required");
            }
            if (samples < 1) {
                throw Explain4jException.usage("samples", "samples must be at least 1 (got " + samples + ")");
            }
            if (!(noiseStdDev >= 0) || Double.isInfinite(noiseStdDev)) {
                throw Explain4jException.usage("noise-std", "noise-std must be zero or positive (got " + noiseStdDev + ")");
            }
            BatchSize.check(batchSize);
        }

        /** Zero baseline, 5 samples, no noise (Captum's defaults), seed 0. */
        public static Options defaults() {
            return new Options(Baseline.zeros(), 5, 0.0, 0L, BatchSize.AUTO);
        }

        public Options withBaseline(Baseline b) {
            return new Options(b, samples, noiseStdDev, seed, batchSize);
        }

        public Options withSamples(int n) {
            return new Options(baseline, n, noiseStdDev, seed, batchSize);
        }

        public Options withNoiseStdDev(double s) {
            return new Options(baseline, samples, s, seed, batchSize);
        }

        public Options withSeed(long s) {
            return new Options(baseline, samples, noiseStdDev, s, batchSize);
        }

        public Options withBatchSize(int n) {
            return new Options(baseline, samples, noiseStdDev, seed, n);
        }
    }

    private final DifferentiableModel model;
    private final Options options;
    private final ProgressListener progress;

    public GradientShap(DifferentiableModel model, Options options, ProgressListener progress) {
        this.model = model;
        this.options = options;
        this.progress = progress;
    }

    public GradientShap(DifferentiableModel model, Options options) {
        this(model, options, ProgressListener.NONE);
    }

    @Override
    public String name() {
        return "gradient-shap";
    }

    @Override
    public Attribution attribute(Tensor input, Target target) {
        return attribute(input, FedInputs.none(), target);
    }

    @Override
    public Attribution attribute(Tensor input, FedInputs fed, Target target) {
        // 1. Validate and run once; resolve the baseline rows.
        MethodRun run = new MethodRun(model, options.batchSize(), progress, input, fed, target);
        run.requireFloatingInput(name());
        double[][] x = InputGradients.rows(input);
        double[][][] refs = options.baseline().rowsFor(input);
        int n = input.batchSize();
        int d = input.exampleSize();
        int samples = options.samples();
        // 2. Draw (baseline row, alpha, noise) per sample from the seed.
        SplittableRandom rnd = new SplittableRandom(options.seed());
        int k = refs[0].length;
        int[] which = new int[samples];
        double[] alpha = new double[samples];
        double[][] noise = new double[samples][d];
        for (int s = 0; s < samples; s++) {
            which[s] = rnd.nextInt(k);
            alpha[s] = rnd.nextDouble();
            for (int e = 0; e < d; e++) {
                noise[s][e] = options.noiseStdDev() * NoiseTunnel.gaussian(rnd);
            }
        }
        // 3. Average (x + noise - b) * gradient at b + a (x + noise - b).
        double[][] attr = InputGradients.weightedSum(run, name(), RuleSet.gradient(), n * samples, r -> r / samples,
                (r, dest) -> {
                    int i = r / samples;
                    int s = r % samples;
                    double[] b = refs[i][which[s]];
                    for (int e = 0; e < d; e++) {
                        dest[e] = b[e] + alpha[s] * (x[i][e] + noise[s][e] - b[e]);
                    }
                }, (r, e) -> {
                    int i = r / samples;
                    int s = r % samples;
                    return (x[i][e] + noise[s][e] - refs[i][which[s]][e]) / samples;
                });
        // 4. Gap against the mean output over the baseline rows.
        double[] fx = run.explained();
        double[] fb = new double[n];
        run.engine().evaluate("baseline", n * k, input.exampleShape(), r -> r / k,
                (r, dest) -> System.arraycopy(refs[r / k][r % k], 0, dest, 0, d),
                (r, out) -> fb[r / k] += run.explained(r / k, out) / k);
        double[] gap = new double[n];
        for (int i = 0; i < n; i++) {
            double sum = 0;
            for (double v : attr[i]) {
                sum += v;
            }
            gap[i] = sum - (fx[i] - fb[i]);
        }
        Map<String, Object> opts = new LinkedHashMap<>();
        opts.put("baseline", options.baseline().describe());
        opts.put("samples", samples);
        opts.put("noise_std", options.noiseStdDev());
        opts.put("batch_size", run.batchSize());
        return run.finish(name(), run.valuesOfInputShape(attr), target, opts, OptionalLong.of(options.seed()),
                Optional.of(gap), Optional.empty());
    }
}
