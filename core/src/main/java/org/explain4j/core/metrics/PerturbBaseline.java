package org.explain4j.core.metrics;

import java.util.Locale;
import java.util.SplittableRandom;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.catalog.Params;

/**
 * Quantus's {@code perturb_baseline} (golden/metrics README, "Baselines"): the value written into
 * perturbed features, computed per example from the flattened array being perturbed at that
 * moment: {@code black} = its minimum, {@code white} = its maximum, {@code mean} = its mean, a
 * number = that number, {@code uniform} = one U(0, 1) draw per example per perturbation call,
 * shared by every feature replaced in that call. Whether the array is the original input
 * (non-cumulative metrics) or the current, already perturbed one (cumulative metrics) is the
 * caller's choice.
 */
public final class PerturbBaseline {
    /** The kinds of baseline. */
    public enum Kind { BLACK, WHITE, MEAN, UNIFORM, VALUE }

    /** The names accepted besides a number, for help texts. */
    public static final String NAMES = "black, white, mean, uniform or a number";

    private final Kind kind;
    private final double value;

    private PerturbBaseline(Kind kind, double value) {
        this.kind = kind;
        this.value = value;
    }

    public static PerturbBaseline of(Kind kind) {
        if (kind == Kind.VALUE) {
            throw new IllegalArgumentException("a VALUE baseline needs its number: use value(x)");
        }
        return new PerturbBaseline(kind, Double.NaN);
    }

    public static PerturbBaseline value(double v) {
        if (!Double.isFinite(v)) {
            throw Explain4jException.usage("perturb-baseline", "perturb-baseline must be a finite number (got " + v + ")");
        }
        return new PerturbBaseline(Kind.VALUE, v);
    }

    /** The metric's bound {@code perturb-baseline} parameter, parsed (errors name it). */
    static PerturbBaseline of(Params params) {
        return parse(params.string("perturb-baseline"), "perturb-baseline");
    }

    /**
     * Parses {@code black}, {@code white}, {@code mean}, {@code uniform} or a number; anything
     * else is a usage error naming {@code flag}.
     */
    public static PerturbBaseline parse(String text, String flag) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        switch (t) {
            case "black":
                return of(Kind.BLACK);
            case "white":
                return of(Kind.WHITE);
            case "mean":
                return of(Kind.MEAN);
            case "uniform":
                return of(Kind.UNIFORM);
            default:
                try {
                    double v = Double.parseDouble(t);
                    if (Double.isFinite(v)) {
                        return new PerturbBaseline(Kind.VALUE, v);
                    }
                } catch (NumberFormatException e) {
                    // fall through to the error
                }
                throw Explain4jException.usage(flag, flag + " '" + text + "' must be " + NAMES);
        }
    }

    public Kind kind() {
        return kind;
    }

    /** True when the baseline draws random numbers ({@code uniform}). */
    public boolean random() {
        return kind == Kind.UNIFORM;
    }

    /** Example {@code example}'s stream for {@code seed} when the baseline draws ({@code uniform}), else null. */
    public SplittableRandom stream(long seed, int example) {
        return random() ? MetricRandom.forExample(seed, example) : null;
    }

    /** The baseline over the whole of {@code array} (one example, flattened). */
    public double of(double[] array, SplittableRandom rng) {
        return of(array, 0, array.length, rng);
    }

    /**
     * The baseline over {@code array[from, to)}; {@code rng} is only drawn from for
     * {@code uniform} (one draw per call) and may be null otherwise.
     */
    public double of(double[] array, int from, int to, SplittableRandom rng) {
        switch (kind) {
            case BLACK: {
                double m = Double.POSITIVE_INFINITY;
                for (int i = from; i < to; i++) {
                    m = Math.min(m, array[i]);
                }
                return m;
            }
            case WHITE: {
                double m = Double.NEGATIVE_INFINITY;
                for (int i = from; i < to; i++) {
                    m = Math.max(m, array[i]);
                }
                return m;
            }
            case MEAN: {
                double s = 0;
                for (int i = from; i < to; i++) {
                    s += array[i];
                }
                return s / (to - from);
            }
            case UNIFORM:
                if (rng == null) {
                    throw new IllegalStateException("the uniform baseline needs a random stream");
                }
                return rng.nextDouble();
            default:
                return value;
        }
    }

    /** As written on a command line. */
    public String describe() {
        return kind == Kind.VALUE ? String.valueOf(value) : kind.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        return describe();
    }

    /**
     * The baseline of an array that a cumulative metric keeps changing, updated per replaced
     * element instead of recomputed over the whole array at every step (equal values: min and max
     * exact, the mean from a running sum).
     */
    public Running running(double[] array) {
        return new Running(array);
    }

    /** See {@link #running(double[])}. */
    public final class Running {
        private final double[] array;
        private double min;
        private double max;
        private double sum;
        private boolean stale;

        private Running(double[] array) {
            this.array = array;
            recompute();
        }

        private void recompute() {
            min = Double.POSITIVE_INFINITY;
            max = Double.NEGATIVE_INFINITY;
            sum = 0;
            for (double v : array) {
                min = Math.min(min, v);
                max = Math.max(max, v);
                sum += v;
            }
            stale = false;
        }

        /** The baseline of the array now ({@code rng}: one draw for {@code uniform}). */
        public double value(SplittableRandom rng) {
            if (stale && (kind == Kind.BLACK || kind == Kind.WHITE)) {
                recompute();
            }
            return switch (kind) {
                case BLACK -> min;
                case WHITE -> max;
                case MEAN -> sum / array.length;
                case UNIFORM -> {
                    if (rng == null) {
                        throw new IllegalStateException("the uniform baseline needs a random stream");
                    }
                    yield rng.nextDouble();
                }
                case VALUE -> value;
            };
        }

        /** Writes {@code v} at {@code i} of the array and updates the baseline. */
        public void set(int i, double v) {
            double old = array[i];
            array[i] = v;
            sum += v - old;
            if ((old == min && v > old) || (old == max && v < old)) {
                stale = true;
            }
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
    }
}
