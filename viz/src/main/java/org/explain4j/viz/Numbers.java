package org.explain4j.viz;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Arrays;
import java.util.Locale;

/** Number formatting and percentiles for captions and scales. */
final class Numbers {
    private Numbers() {
    }

    /**
     * {@code v} rounded to {@code significant} digits, in plain notation between 1e-3 and 1e5 and
     * in scientific notation ({@code 1.2e-05}) outside; {@code 0} for zero. Locale-independent.
     */
    static String format(double v, int significant) {
        if (v == 0.0) {
            return "0";
        }
        if (!Double.isFinite(v)) {
            return Double.toString(v);
        }
        double a = Math.abs(v);
        if (a >= 1e-3 && a < 1e5) {
            BigDecimal d = new BigDecimal(v).round(new MathContext(significant)).stripTrailingZeros();
            return d.scale() < 0 ? d.setScale(0).toPlainString() : d.toPlainString();
        }
        return String.format(Locale.ROOT, "%." + (significant - 1) + "e", v);
    }

    /** The percentile label of a caption: {@code 99.5th pct}, {@code 1st pct}, or {@code max} for 100. */
    static String percentileLabel(double p) {
        if (p >= 100.0) {
            return "max";
        }
        String n = format(p, 6);
        String suffix = "th";
        if (p == Math.rint(p)) {
            long k = (long) p;
            if (k % 100 < 11 || k % 100 > 13) {
                suffix = switch ((int) (k % 10)) {
                    case 1 -> "st";
                    case 2 -> "nd";
                    case 3 -> "rd";
                    default -> "th";
                };
            }
        }
        return n + suffix + " pct";
    }

    /**
     * The {@code p}-th percentile ({@code 0 <= p <= 100}) of the finite values in {@code values},
     * interpolating linearly between order statistics (NumPy's default); 0 when there are none.
     */
    static double percentile(double[] values, double p) {
        double[] v = Arrays.stream(values).filter(Double::isFinite).sorted().toArray();
        if (v.length == 0) {
            return 0.0;
        }
        double rank = p / 100.0 * (v.length - 1);
        int lo = (int) Math.floor(rank);
        int hi = (int) Math.ceil(rank);
        return v[lo] + (v[hi] - v[lo]) * (rank - lo);
    }
}
