package org.explain4j.viz;

import org.explain4j.core.Explain4jException;

/**
 * The colour scale one picture was drawn with: the values shown ({@link SignMode}), the value
 * that maps to full colour ({@code limit}), and how that limit was chosen, so that a picture can
 * state its scale (see {@link #describe()}).
 *
 * <p>A value {@code v} is shown as {@code mode.apply(v) / limit}, clipped to {@code [-1, 1]}
 * (signed) or {@code [0, 1]} (other modes). A limit of 0 (an all-zero map) shows every value as
 * zero, without dividing by it.
 *
 * @param mode            which part of the values is shown, and the colour map
 * @param limit           the magnitude drawn at full colour; 0 for an all-zero map
 * @param clipPercentile  the percentile of magnitudes that gave {@code limit} (100 = the maximum)
 * @param sharing         whether the limit is this image's own or shared across a set
 */
public record Scale(SignMode mode, double limit, double clipPercentile, ScaleSharing sharing) {
    public Scale {
        Checks.notNull(mode, "mode");
        Checks.notNull(sharing, "sharing");
        if (!(limit >= 0.0) || Double.isInfinite(limit)) {
            throw Explain4jException.usage("limit", "a scale limit must be finite and non-negative (got " + limit + ")");
        }
        Checks.inRange(clipPercentile, 0.0, 100.0, "clipPercentile");
    }

    /** A scale of the given limit, as if chosen by the maximum, for one image. */
    public static Scale of(SignMode mode, double limit) {
        return new Scale(mode, limit, 100.0, ScaleSharing.PER_IMAGE);
    }

    /** Whether the map had no non-zero values, so everything is drawn as zero. */
    public boolean isZero() {
        return limit == 0.0;
    }

    /**
     * The value as drawn: {@code mode.apply(v) / limit} clipped to {@code [-1, 1]} for signed and
     * {@code [0, 1]} for the other modes; 0 for NaN and for a zero scale.
     */
    public double normalize(double v) {
        double x = mode.apply(v);
        if (limit == 0.0 || Double.isNaN(x)) {
            return 0.0;
        }
        double r = x / limit;
        return Math.max(mode.isDiverging() ? -1.0 : 0.0, Math.min(1.0, r));
    }

    /** The colour-map position of {@code v}: {@code (normalize(v) + 1) / 2} for signed, else {@code normalize(v)}. */
    public double position(double v) {
        double n = normalize(v);
        return mode.isDiverging() ? (n + 1.0) / 2.0 : n;
    }

    /** The colour of {@code v} as packed {@code 0xRRGGBB}. */
    public int rgb(double v) {
        return mode.colorMap().rgb(position(v));
    }

    /** The colour map this scale draws with. */
    public ColorMap colorMap() {
        return mode.colorMap();
    }

    /** The value range drawn, e.g. {@code ±0.37} (signed), {@code 0–0.37}, or {@code -0.37–0} (negative). */
    public String range() {
        String l = Numbers.format(limit, 2);
        return switch (mode) {
            case SIGNED -> "\u00b1" + l;
            case NEGATIVE -> (limit == 0.0 ? "0" : "-" + l) + "\u20130";
            default -> "0\u2013" + l;
        };
    }

    /** How the limit was chosen, e.g. {@code 99.5th pct}, {@code max} or {@code all zero}. */
    public String basis() {
        return isZero() ? "all zero" : Numbers.percentileLabel(clipPercentile);
    }

    /** One line for a caption, e.g. {@code signed, per-image scale ±0.37 (99.5th pct)}. */
    public String describe() {
        return mode.label() + ", " + sharing.label() + " scale " + range() + " (" + basis() + ")";
    }
}
