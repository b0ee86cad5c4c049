package org.explain4j.viz;

import java.util.Arrays;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;

/**
 * One immutable {@code (H, W)} map of values in row-major order: an attribution with its
 * channels combined, or a layer map, ready to be resized and coloured.
 */
public final class Plane {
    private final int height;
    private final int width;
    private final double[] values;

    private Plane(int height, int width, double[] values) {
        this.height = height;
        this.width = width;
        this.values = values;
    }

    /** A plane holding a copy of {@code values} (row-major, {@code height * width} of them). */
    public static Plane of(int height, int width, double[] values) {
        Checks.atLeast(height, 1, "height");
        Checks.atLeast(width, 1, "width");
        Checks.notNull(values, "values");
        if (values.length != height * width) {
            throw Explain4jException.shape("values", "a " + height + "x" + width + " plane needs "
                    + height * width + " values but " + values.length + " were given");
        }
        return new Plane(height, width, values.clone());
    }

    /**
     * The map of one example: {@code (H, W)}, {@code (C, H, W)} or {@code (1, C, H, W)}; channels
     * are combined by {@code reduction}.
     */
    public static Plane of(Tensor example, ChannelReduction reduction) {
        Checks.notNull(example, "example");
        Checks.notNull(reduction, "reduction");
        int[] s = example.shape();
        if (s.length == 2) {
            return of(s[0], s[1], example.toDoubleArray());
        }
        if (s.length == 3) {
            return reduce(example.toDoubleArray(), 0, s[0], s[1], s[2], reduction);
        }
        if (s.length == 4 && s[0] == 1) {
            return reduce(example.toDoubleArray(), 0, s[1], s[2], s[3], reduction);
        }
        throw Explain4jException.shape("attribution", "expected one example of shape (H, W), (C, H, W) or (1, C, H, W) but got "
                + Tensor.shapeString(s) + "; use Plane.ofBatchExample for a batch");
    }

    /**
     * The map of example {@code n} of a batch of shape {@code (N, H, W)} or {@code (N, C, H, W)};
     * channels are combined by {@code reduction}.
     */
    public static Plane ofBatchExample(Tensor batch, int n, ChannelReduction reduction) {
        Checks.notNull(batch, "batch");
        Checks.notNull(reduction, "reduction");
        int[] s = batch.shape();
        if (s.length != 3 && s.length != 4) {
            throw Explain4jException.shape("attribution", "expected a batch of shape (N, H, W) or (N, C, H, W) but got "
                    + Tensor.shapeString(s));
        }
        if (n < 0 || n >= s[0]) {
            throw Explain4jException.shape("example", "example " + n + " is outside a batch of " + s[0]);
        }
        int c = s.length == 4 ? s[1] : 1;
        int h = s[s.length - 2];
        int w = s[s.length - 1];
        return reduce(batch.toDoubleArray(), n * c * h * w, c, h, w, reduction);
    }

    private static Plane reduce(double[] data, int offset, int c, int h, int w, ChannelReduction r) {
        if (c < 1 || h < 1 || w < 1) {
            throw Explain4jException.shape("attribution", "an attribution map needs at least one channel, row and column");
        }
        double[] out = new double[h * w];
        for (int ch = 0; ch < c; ch++) {
            int base = offset + ch * h * w;
            for (int i = 0; i < out.length; i++) {
                out[i] = r.combine(out[i], data[base + i]);
            }
        }
        return new Plane(h, w, out);
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    /** The value at row {@code y}, column {@code x}. */
    public double get(int y, int x) {
        return values[y * width + x];
    }

    /** A copy of the values, row-major. */
    public double[] values() {
        return values.clone();
    }

    /** This plane resampled to {@code height x width}; the same plane when the size already matches. */
    public Plane resize(int newHeight, int newWidth, Interpolation interpolation) {
        Checks.atLeast(newHeight, 1, "height");
        Checks.atLeast(newWidth, 1, "width");
        Checks.notNull(interpolation, "interpolation");
        if (newHeight == height && newWidth == width) {
            return this;
        }
        double[] out = new double[newHeight * newWidth];
        double sy = (double) height / newHeight;
        double sx = (double) width / newWidth;
        for (int y = 0; y < newHeight; y++) {
            for (int x = 0; x < newWidth; x++) {
                out[y * newWidth + x] = interpolation == Interpolation.NEAREST
                        ? get(Math.min((int) Math.floor(y * sy), height - 1), Math.min((int) Math.floor(x * sx), width - 1))
                        : bilinear((y + 0.5) * sy - 0.5, (x + 0.5) * sx - 0.5);
            }
        }
        return new Plane(newHeight, newWidth, out);
    }

    private double bilinear(double fy, double fx) {
        double y = Math.max(0.0, Math.min(height - 1, fy));
        double x = Math.max(0.0, Math.min(width - 1, fx));
        int y0 = (int) Math.floor(y);
        int x0 = (int) Math.floor(x);
        int y1 = Math.min(y0 + 1, height - 1);
        int x1 = Math.min(x0 + 1, width - 1);
        double dy = y - y0;
        double dx = x - x0;
        double top = get(y0, x0) * (1 - dx) + get(y0, x1) * dx;
        double bottom = get(y1, x0) * (1 - dx) + get(y1, x1) * dx;
        return top * (1 - dy) + bottom * dy;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Plane p && p.height == height && p.width == width && Arrays.equals(p.values, values);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * height + width) + Arrays.hashCode(values);
    }

    @Override
    public String toString() {
        return "Plane(" + height + "x" + width + ")";
    }
}
