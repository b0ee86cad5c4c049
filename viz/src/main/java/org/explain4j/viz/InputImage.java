package org.explain4j.viz;

import java.awt.image.BufferedImage;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;

/**
 * A model input prepared for display: grayscale (1 channel) or RGB (3 channels, CHW order), with
 * values mapped to {@code [0, 1]} according to an {@link InputRange}. Immutable.
 */
public final class InputImage {
    private static final double[] LUMA = {0.299, 0.587, 0.114};

    private final Plane[] channels;
    private final InputRange range;

    private InputImage(Plane[] channels, InputRange range) {
        this.channels = channels;
        this.range = range;
    }

    /** One example of shape {@code (H, W)}, {@code (C, H, W)} or {@code (1, C, H, W)} with {@code C} 1 or 3. */
    public static InputImage of(Tensor example, InputRange range) {
        Checks.notNull(example, "example");
        int[] s = example.shape();
        if (s.length == 2) {
            return build(example.toDoubleArray(), 0, 1, s[0], s[1], range);
        }
        if (s.length == 3 || s.length == 4 && s[0] == 1) {
            int o = s.length - 3;
            return build(example.toDoubleArray(), 0, s[o], s[o + 1], s[o + 2], range);
        }
        throw Explain4jException.shape("input", "expected one image of shape (H, W), (C, H, W) or (1, C, H, W) but got "
                + Tensor.shapeString(s) + "; use InputImage.ofBatchExample for a batch");
    }

    /** Example {@code n} of a batch of shape {@code (N, H, W)} or {@code (N, C, H, W)} with {@code C} 1 or 3. */
    public static InputImage ofBatchExample(Tensor batch, int n, InputRange range) {
        Checks.notNull(batch, "batch");
        int[] s = batch.shape();
        if (s.length != 3 && s.length != 4) {
            throw Explain4jException.shape("input", "expected a batch of shape (N, H, W) or (N, C, H, W) but got "
                    + Tensor.shapeString(s));
        }
        if (n < 0 || n >= s[0]) {
            throw Explain4jException.shape("example", "example " + n + " is outside a batch of " + s[0]);
        }
        int c = s.length == 4 ? s[1] : 1;
        int h = s[s.length - 2];
        int w = s[s.length - 1];
        return build(batch.toDoubleArray(), n * c * h * w, c, h, w, range);
    }

    private static InputImage build(double[] data, int offset, int c, int h, int w, InputRange range) {
        Checks.notNull(range, "range");
        if (c != 1 && c != 3) {
            throw Explain4jException.shape("input", "an input image needs 1 (grayscale) or 3 (RGB, CHW order) channels but has "
                    + c + "; pass one example in (C, H, W) order");
        }
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (int i = offset; i < offset + c * h * w; i++) {
            if (Double.isFinite(data[i])) {
                min = Math.min(min, data[i]);
                max = Math.max(max, data[i]);
            }
        }
        if (min > max) {
            min = 0.0;
            max = 0.0;
        }
        InputRange used = range.resolve(min, max);
        Plane[] planes = new Plane[c];
        for (int ch = 0; ch < c; ch++) {
            double[] v = new double[h * w];
            for (int i = 0; i < v.length; i++) {
                v[i] = toUnit(data[offset + ch * h * w + i], used, min, max);
            }
            planes[ch] = Plane.of(h, w, v);
        }
        return new InputImage(planes, used);
    }

    private static double toUnit(double v, InputRange range, double min, double max) {
        if (!Double.isFinite(v)) {
            return 0.0;
        }
        double u = switch (range) {
            case BYTE -> v / 255.0;
            case MIN_MAX -> max > min ? (v - min) / (max - min) : 0.5;
            default -> v;
        };
        return Math.max(0.0, Math.min(1.0, u));
    }

    public int height() {
        return channels[0].height();
    }

    public int width() {
        return channels[0].width();
    }

    /** 1 for grayscale, 3 for RGB. */
    public int channels() {
        return channels.length;
    }

    /** The range the values were read in: the one given, or what {@link InputRange#AUTO} chose. */
    public InputRange range() {
        return range;
    }

    /** The brightness in {@code [0, 1]}: the grey value, or Rec. 601 luma of an RGB image. */
    public Plane luminance() {
        if (channels.length == 1) {
            return channels[0];
        }
        double[] out = new double[height() * width()];
        for (int c = 0; c < 3; c++) {
            double[] v = channels[c].values();
            for (int i = 0; i < out.length; i++) {
                out[i] += LUMA[c] * v[i];
            }
        }
        return Plane.of(height(), width(), out);
    }

    /** The image drawn at {@code width x height}. */
    public BufferedImage render(int width, int height, Interpolation interpolation) {
        Plane[] p = new Plane[3];
        for (int c = 0; c < 3; c++) {
            p[c] = channels[channels.length == 1 ? 0 : c].resize(height, width, interpolation);
        }
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                img.setRGB(x, y, byteOf(p[0].get(y, x)) << 16 | byteOf(p[1].get(y, x)) << 8 | byteOf(p[2].get(y, x)));
            }
        }
        return img;
    }

    static int byteOf(double unit) {
        return (int) Math.round(Math.max(0.0, Math.min(1.0, unit)) * 255.0);
    }
}
