package org.explain4j.viz;

import java.awt.Color;

/**
 * A colour ramp over {@code t} in {@code [0, 1]}: piecewise-linear interpolation in sRGB between
 * evenly spaced ColorBrewer stops (Brewer, colorbrewer2.org), the same construction as
 * matplotlib's {@code RdBu_r}, {@code Reds} and {@code Blues}. The ColorBrewer ramps are designed
 * to change lightness monotonically on each side, so equal steps of {@code t} read as comparable
 * steps of intensity, and they stay legible to the common forms of colour blindness.
 *
 * <p>Immutable. {@code t} outside {@code [0, 1]} is clamped; NaN maps to the colour at the
 * neutral point (the centre of a diverging map, the start of a sequential one).
 */
public final class ColorMap {
    private static final ColorMap DIVERGING = new ColorMap("RdBu (blue-white-red)", true, new int[] {
        0x053061, 0x2166ac, 0x4393c3, 0x92c5de, 0xd1e5f0, 0xf7f7f7,
        0xfddbc7, 0xf4a582, 0xd6604d, 0xb2182b, 0x67001f});
    private static final ColorMap REDS = new ColorMap("Reds", false, new int[] {
        0xfff5f0, 0xfee0d2, 0xfcbba1, 0xfc9272, 0xfb6a4a, 0xef3b2c, 0xcb181d, 0xa50f15, 0x67000d});
    private static final ColorMap BLUES = new ColorMap("Blues", false, new int[] {
        0xf7fbff, 0xdeebf7, 0xc6dbef, 0x9ecae1, 0x6baed6, 0x4292c6, 0x2171b5, 0x08519c, 0x08306b});

    private final String name;
    private final boolean diverging;
    private final int[] stops;

    private ColorMap(String name, boolean diverging, int[] stops) {
        this.name = name;
        this.diverging = diverging;
        this.stops = stops;
    }

    /**
     * The diverging map for signed values: dark blue at {@code t = 0} (most negative), the neutral
     * near-white {@code #f7f7f7} at {@code t = 0.5} (zero), dark red at {@code t = 1} (most positive).
     */
    public static ColorMap diverging() {
        return DIVERGING;
    }

    /** The sequential map for magnitudes: near-white at {@code t = 0}, dark red at {@code t = 1}. */
    public static ColorMap sequentialRed() {
        return REDS;
    }

    /** The sequential map for negative-only magnitudes: near-white at {@code t = 0}, dark blue at {@code t = 1}. */
    public static ColorMap sequentialBlue() {
        return BLUES;
    }

    /** A human-readable name, e.g. {@code Reds}. */
    public String name() {
        return name;
    }

    /** Whether the map is centred on a neutral colour at {@code t = 0.5}. */
    public boolean isDiverging() {
        return diverging;
    }

    /** The position of the neutral colour: 0.5 for a diverging map, 0 for a sequential one. */
    public double neutralPosition() {
        return diverging ? 0.5 : 0.0;
    }

    /** The colour at {@code t} as packed {@code 0xRRGGBB}. */
    public int rgb(double t) {
        double u = Double.isNaN(t) ? neutralPosition() : Math.max(0.0, Math.min(1.0, t));
        double x = u * (stops.length - 1);
        int i = Math.min((int) Math.floor(x), stops.length - 2);
        double f = x - i;
        int a = stops[i];
        int b = stops[i + 1];
        return mix(a >> 16, b >> 16, f) << 16 | mix(a >> 8, b >> 8, f) << 8 | mix(a, b, f);
    }

    /** The colour at {@code t}. */
    public Color color(double t) {
        return new Color(rgb(t));
    }

    /** The colour at {@code t} as a CSS hex string, e.g. {@code #f7f7f7}. */
    public String hex(double t) {
        return String.format("#%06x", rgb(t));
    }

    private static int mix(int a, int b, double f) {
        int ca = a & 0xff;
        int cb = b & 0xff;
        return (int) Math.round(ca + (cb - ca) * f);
    }

    @Override
    public String toString() {
        return "ColorMap[" + name + "]";
    }
}
