package org.explain4j.core.metrics;

import org.explain4j.core.Explain4jException;

/**
 * Non-overlapping {@code p x p} patches of a {@code (C, H, W)} example, spanning all channels and
 * numbered row-major (region-perturbation, selectivity; golden/metrics README). When H (or W) is
 * not a multiple of p the image is padded by {@code (floor(r/2), ceil(r/2))} rows (columns),
 * {@code r = p - H mod p}: attributions with 0 ({@link #padZero}), the input with its edge values
 * ({@link #padEdge}); the patches tile the padded image.
 */
public final class PatchGrid {
    private final int c;
    private final int h;
    private final int w;
    private final int p;
    private final int top;
    private final int left;
    private final int ph;
    private final int pw;

    public PatchGrid(int channels, int height, int width, int patchSize) {
        if (patchSize < 1) {
            throw Explain4jException.usage("patch-size", "patch-size must be at least 1 (got " + patchSize + ")");
        }
        if (patchSize > height && height > 1 || patchSize > width) {
            throw Explain4jException.usage("patch-size", "patch-size " + patchSize + " is larger than the image ("
                    + height + "x" + width + ")");
        }
        this.c = channels;
        this.h = height;
        this.w = width;
        this.p = patchSize;
        int rh = height % patchSize == 0 ? 0 : patchSize - height % patchSize;
        int rw = width % patchSize == 0 ? 0 : patchSize - width % patchSize;
        this.top = rh / 2;
        this.left = rw / 2;
        this.ph = height + rh;
        this.pw = width + rw;
    }

    /** Number of patches. */
    public int count() {
        return (ph / p) * (pw / p);
    }

    public int paddedHeight() {
        return ph;
    }

    public int paddedWidth() {
        return pw;
    }

    /** Elements of a padded example, {@code C * paddedHeight * paddedWidth}. */
    public int paddedSize() {
        return c * ph * pw;
    }

    /** The example padded with its edge values (NumPy {@code pad(mode='edge')}). */
    public double[] padEdge(double[] example) {
        double[] out = new double[paddedSize()];
        for (int ch = 0; ch < c; ch++) {
            for (int i = 0; i < ph; i++) {
                int si = Math.min(h - 1, Math.max(0, i - top));
                for (int j = 0; j < pw; j++) {
                    int sj = Math.min(w - 1, Math.max(0, j - left));
                    out[(ch * ph + i) * pw + j] = example[(ch * h + si) * w + sj];
                }
            }
        }
        return out;
    }

    /** The example padded with zeros. */
    public double[] padZero(double[] example) {
        double[] out = new double[paddedSize()];
        for (int ch = 0; ch < c; ch++) {
            for (int i = 0; i < h; i++) {
                System.arraycopy(example, (ch * h + i) * w, out, (ch * ph + i + top) * pw + left, w);
            }
        }
        return out;
    }

    /** The unpadded example inside {@code padded}, written into {@code dest}. */
    public void crop(double[] padded, double[] dest) {
        for (int ch = 0; ch < c; ch++) {
            for (int i = 0; i < h; i++) {
                System.arraycopy(padded, (ch * ph + i + top) * pw + left, dest, (ch * h + i) * w, w);
            }
        }
    }

    /** The flat indices, in the padded example, of patch {@code k} (all channels). */
    public int[] indices(int k) {
        int cols = pw / p;
        int r0 = (k / cols) * p;
        int c0 = (k % cols) * p;
        int[] out = new int[c * p * p];
        int o = 0;
        for (int ch = 0; ch < c; ch++) {
            for (int i = 0; i < p; i++) {
                for (int j = 0; j < p; j++) {
                    out[o++] = (ch * ph + r0 + i) * pw + c0 + j;
                }
            }
        }
        return out;
    }

    /** The sum of {@code padded} over patch {@code k}. */
    public double sum(double[] padded, int k) {
        double s = 0;
        for (int i : indices(k)) {
            s += padded[i];
        }
        return s;
    }
}
