package org.explain4j.core.method;

/** Resizing of small maps over their spatial dimensions, as PyTorch's {@code interpolate}. */
final class Upsample {
    private Upsample() {
    }

    /**
     * Resizes the map at {@code offset} of spatial shape {@code from} to {@code to}: nearest
     * ({@code src = floor(dst * in / out)}) or (bi/tri)linear with half-pixel centres
     * ({@code align_corners=False}).
     */
    static double[] resize(double[] data, int offset, int[] from, int[] to, boolean linear) {
        int rank = from.length;
        int size = 1;
        for (int d : to) {
            size *= d;
        }
        double[] out = new double[size];
        int[] idx = new int[rank];
        for (int k = 0; k < size; k++) {
            int rem = k;
            for (int a = rank - 1; a >= 0; a--) {
                idx[a] = rem % to[a];
                rem /= to[a];
            }
            out[k] = linear ? linear(data, offset, from, to, idx, 0, 0) : data[offset + nearest(from, to, idx)];
        }
        return out;
    }

    private static int nearest(int[] from, int[] to, int[] idx) {
        int flat = 0;
        for (int a = 0; a < from.length; a++) {
            int src = Math.min(from[a] - 1, (int) Math.floor(idx[a] * (double) from[a] / to[a]));
            flat = flat * from[a] + src;
        }
        return flat;
    }

    private static double linear(double[] data, int offset, int[] from, int[] to, int[] idx, int axis, int flat) {
        if (axis == from.length) {
            return data[offset + flat];
        }
        double src = Math.max(0, (idx[axis] + 0.5) * from[axis] / to[axis] - 0.5);
        int lo = Math.min(from[axis] - 1, (int) Math.floor(src));
        int hi = Math.min(from[axis] - 1, lo + 1);
        double t = src - lo;
        double a = linear(data, offset, from, to, idx, axis + 1, flat * from[axis] + lo);
        double b = linear(data, offset, from, to, idx, axis + 1, flat * from[axis] + hi);
        return a * (1 - t) + b * t;
    }
}
