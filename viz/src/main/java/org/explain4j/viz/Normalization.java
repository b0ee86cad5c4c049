package org.explain4j.viz;

import java.util.ArrayList;
import java.util.List;

/**
 * How attribution values become colours: which part of them is shown, the percentile of
 * magnitudes drawn at full colour (larger values are clipped, so one outlier cannot wash out the
 * picture), and whether each image gets its own scale.
 *
 * <p>The limit of an image is the {@code clipPercentile}-th percentile of
 * {@code |mode.apply(v)|} over its finite values (linear interpolation between order
 * statistics). When that is 0 but some magnitude is not (fewer non-zero values than the clipped
 * share), the maximum is used instead, so a sparse map is still visible. An all-zero map gets
 * limit 0 and is drawn as zero.
 *
 * @param mode            which part of the values is shown (default {@link SignMode#SIGNED})
 * @param clipPercentile  percentile of magnitudes drawn at full colour, in {@code (0, 100]} (default 99.5)
 * @param sharing         per image or shared across a set (default {@link ScaleSharing#PER_IMAGE})
 */
public record Normalization(SignMode mode, double clipPercentile, ScaleSharing sharing) {
    /** The default clip percentile. */
    public static final double DEFAULT_CLIP_PERCENTILE = 99.5;

    public Normalization {
        Checks.notNull(mode, "mode");
        Checks.notNull(sharing, "sharing");
        Checks.inRange(clipPercentile, Double.MIN_VALUE, 100.0, "clipPercentile");
    }

    /** Signed, per image, clipped at the 99.5th percentile of |values|. */
    public static Normalization defaults() {
        return new Normalization(SignMode.SIGNED, DEFAULT_CLIP_PERCENTILE, ScaleSharing.PER_IMAGE);
    }

    public Normalization withMode(SignMode m) {
        return new Normalization(m, clipPercentile, sharing);
    }

    public Normalization withClipPercentile(double p) {
        return new Normalization(mode, p, sharing);
    }

    public Normalization withSharing(ScaleSharing s) {
        return new Normalization(mode, clipPercentile, s);
    }

    /** The scale of one image on its own. */
    public Scale scaleFor(double[] values) {
        Checks.notNull(values, "values");
        return new Scale(mode, limit(values), clipPercentile, ScaleSharing.PER_IMAGE);
    }

    /**
     * One scale per image: each image's own ({@link ScaleSharing#PER_IMAGE}) or one limit computed
     * over all the images' values together ({@link ScaleSharing#SHARED}).
     */
    public List<Scale> scalesFor(List<double[]> images) {
        List<double[]> all = Checks.copyOf(images, "images");
        List<Scale> out = new ArrayList<>(all.size());
        if (sharing == ScaleSharing.PER_IMAGE) {
            for (double[] v : all) {
                out.add(scaleFor(v));
            }
            return List.copyOf(out);
        }
        int n = all.stream().mapToInt(v -> v.length).sum();
        double[] joined = new double[n];
        int at = 0;
        for (double[] v : all) {
            System.arraycopy(v, 0, joined, at, v.length);
            at += v.length;
        }
        Scale shared = new Scale(mode, limit(joined), clipPercentile, ScaleSharing.SHARED);
        for (int i = 0; i < all.size(); i++) {
            out.add(shared);
        }
        return List.copyOf(out);
    }

    /** One line for a legend, e.g. {@code signed values, per-image scale, clipped at the 99.5th pct of |values|}. */
    public String describe() {
        String what = switch (mode) {
            case SIGNED, ABSOLUTE -> "|values|";
            case POSITIVE -> "positive values";
            case NEGATIVE -> "negative values";
        };
        String clip = clipPercentile >= 100.0 ? "full colour at the max of " + what
                : "clipped at the " + Numbers.percentileLabel(clipPercentile) + " of " + what;
        return mode.label() + " values, " + sharing.label() + " scale, " + clip;
    }

    private double limit(double[] values) {
        double[] m = new double[values.length];
        double max = 0.0;
        for (int i = 0; i < m.length; i++) {
            m[i] = Math.abs(mode.apply(values[i]));
            if (Double.isFinite(m[i])) {
                max = Math.max(max, m[i]);
            }
        }
        double p = Numbers.percentile(m, clipPercentile);
        return p > 0.0 ? p : max;
    }
}
