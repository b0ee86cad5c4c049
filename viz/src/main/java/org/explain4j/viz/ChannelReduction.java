package org.explain4j.viz;

/**
 * How the channels of a {@code (C, H, W)} attribution become one {@code (H, W)} map.
 *
 * <p>{@link #SUM} keeps signs, so a pixel whose red and blue channels pull in opposite
 * directions shows their net effect; it is the natural choice for signed pictures and keeps
 * completeness (the map still sums to the attribution total). {@link #SUM_OF_ABSOLUTES} counts
 * every channel's contribution regardless of sign, which suits magnitude (absolute) pictures but
 * does not cancel opposing channels.
 */
public enum ChannelReduction {
    /** {@code sum_c a[c, y, x]}. */
    SUM,
    /** {@code sum_c |a[c, y, x]|}. */
    SUM_OF_ABSOLUTES;

    /** {@link #SUM_OF_ABSOLUTES} for {@link SignMode#ABSOLUTE}, {@link #SUM} otherwise. */
    public static ChannelReduction defaultFor(SignMode mode) {
        return mode == SignMode.ABSOLUTE ? SUM_OF_ABSOLUTES : SUM;
    }

    double combine(double acc, double v) {
        return acc + (this == SUM ? v : Math.abs(v));
    }
}
