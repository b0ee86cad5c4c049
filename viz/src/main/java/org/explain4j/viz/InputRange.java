package org.explain4j.viz;

/**
 * How the values of an input image map to display brightness.
 *
 * <p>{@link #AUTO} picks {@link #UNIT} when every finite value lies in {@code [0, 1]};
 * {@link #BYTE} when every value lies in {@code [0, 255]} and the maximum is at least 128 (an
 * 8-bit image using its range); and {@link #MIN_MAX} otherwise: a normalised input with negative
 * values, or a small non-negative range such as scikit-learn's {@code [0, 16]} digits, which
 * would be nearly black if divided by 255. A dark 8-bit image (maximum below 128) is therefore
 * contrast-stretched; pass {@link #BYTE} (or {@link #UNIT}) when the range is known.
 */
public enum InputRange {
    /** Chosen from the values, as described above. */
    AUTO,
    /** Values in {@code [0, 1]}, shown as they are (values outside are clipped). */
    UNIT,
    /** Values in {@code [0, 255]}, divided by 255 (values outside are clipped). */
    BYTE,
    /**
     * Rescaled for display so the image's minimum is black and its maximum white, over all
     * channels together (colour balance is kept); a constant image is shown mid-grey.
     */
    MIN_MAX;

    /** The concrete range {@link #AUTO} stands for, given the image's finite minimum and maximum. */
    public InputRange resolve(double min, double max) {
        if (this != AUTO) {
            return this;
        }
        if (min >= 0.0 && max <= 1.0) {
            return UNIT;
        }
        if (min >= 0.0 && max <= 255.0 && max >= 128.0) {
            return BYTE;
        }
        return MIN_MAX;
    }
}
