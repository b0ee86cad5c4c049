package org.explain4j.core.metrics;

import java.util.SplittableRandom;
import org.explain4j.core.DType;

/**
 * Perturbed copies of every example for the robustness metrics, produced in groups of samples so
 * that one group fills about one batch. Example n's noise comes from its own stream
 * ({@link MetricRandom#forExample}), drawn sample after sample, element after element, so the
 * values depend on the seed and the example only, never on the batch size.
 */
final class NoisySamples {
    /** One noise value. */
    @FunctionalInterface
    interface Noise {
        double draw(SplittableRandom rng);
    }

    /** Receives samples {@code [first, first + count)}: row {@code k * N + n} is sample first+k of example n. */
    @FunctionalInterface
    interface Group {
        void accept(int first, int count, double[][] rows);
    }

    private NoisySamples() {
    }

    /**
     * Calls {@code group} for {@code samples} noisy copies {@code x + noise} of every example; values are
     * rounded to float32 when the model takes float32 (the perturbed input the model sees).
     */
    static void run(MetricInput in, double[][] x, int samples, Noise noise, Group group) {
        int n = x.length;
        boolean f32 = in.model().signature().inputType() == DType.FLOAT32;
        SplittableRandom[] rng = new SplittableRandom[n];
        for (int e = 0; e < n; e++) {
            rng[e] = MetricRandom.forExample(in.seed(), e);
        }
        int per = Math.max(1, in.batchSize() / Math.max(1, n));
        for (int first = 0; first < samples; first += per) {
            int count = Math.min(per, samples - first);
            double[][] rows = new double[count * n][];
            for (int k = 0; k < count; k++) {
                for (int e = 0; e < n; e++) {
                    double[] r = x[e].clone();
                    for (int i = 0; i < r.length; i++) {
                        double v = r[i] + noise.draw(rng[e]);
                        r[i] = f32 ? (float) v : v;
                    }
                    rows[k * n + e] = r;
                }
            }
            group.accept(first, count, rows);
        }
    }

    /** One group's ratio of example {@code example} to its noisy copy in row {@code row} ({@code k * N + example}). */
    @FunctionalInterface
    interface Ratio {
        double of(int example, int row);
    }

    /** Prepares a group's {@link Ratio} (explaining its rows, say); called once per group. */
    @FunctionalInterface
    interface GroupRatio {
        Ratio of(double[][] rows, int count);
    }

    /**
     * {@code r[n][s]}: the ratio of example n to its noisy sample s ({@link #run}); with
     * {@code nanOnChange}, NaN where the sample's predicted class differs from the example's. Per
     * group, {@code ratio} is prepared before the group's predictions are made.
     */
    static double[][] ratios(MetricInput in, ModelCalls calls, double[][] x, int samples, Noise noise, boolean nanOnChange,
                             GroupRatio ratio) {
        int n = x.length;
        int[] predicted = nanOnChange ? predictions(calls, x, n) : null;
        double[][] r = new double[n][samples];
        run(in, x, samples, noise, (first, count, rows) -> {
            Ratio group = ratio.of(rows, count);
            int[] p = nanOnChange ? predictions(calls, rows, n) : null;
            for (int k = 0; k < count; k++) {
                for (int ex = 0; ex < n; ex++) {
                    int row = k * n + ex;
                    double v = group.of(ex, row);
                    r[ex][first + k] = nanOnChange && p[row] != predicted[ex] ? Double.NaN : v;
                }
            }
        });
        return r;
    }

    /** {@code targets} repeated {@code count} times (the targets of a group's rows). */
    static int[] repeat(int[] targets, int count) {
        int[] out = new int[targets.length * count];
        for (int k = 0; k < count; k++) {
            System.arraycopy(targets, 0, out, k * targets.length, targets.length);
        }
        return out;
    }

    /** The predicted class (argmax of the outputs) of each row (row {@code r} a variant of example {@code r % examples}). */
    static int[] predictions(ModelCalls calls, double[][] rows, int examples) {
        double[][] out = calls.outputs("predictions", rows, examples);
        int[] p = new int[rows.length];
        for (int r = 0; r < rows.length; r++) {
            p[r] = ModelCalls.argmax(out[r]);
        }
        return p;
    }

    /** Euclidean norm of {@code a - b}. */
    static double distance(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - b[i];
            s += d * d;
        }
        return Math.sqrt(s);
    }

    /** Euclidean norm of {@code a}. */
    static double norm(double[] a) {
        double s = 0;
        for (double v : a) {
            s += v * v;
        }
        return Math.sqrt(s);
    }

    /** A uniform draw in {@code [lo, hi)}. */
    static Noise uniform(double lo, double hi) {
        return rng -> lo + (hi - lo) * rng.nextDouble();
    }

    /** A normal draw. */
    static Noise gaussian(double mean, double std) {
        return rng -> mean + std * MetricRandom.gaussian(rng);
    }
}
