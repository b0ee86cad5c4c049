package org.explain4j.core.metrics;

/**
 * Pearson and Spearman correlation (SciPy's {@code pearsonr} / {@code spearmanr}): NaN when
 * either side is constant (SciPy warns and returns NaN), Spearman with average ranks for ties.
 */
public final class Correlations {
    private Correlations() {
    }

    /** Pearson's r of {@code x} and {@code y} (equal lengths, at least 2); NaN for a constant side. */
    public static double pearson(double[] x, double[] y) {
        if (x.length != y.length) {
            throw new IllegalArgumentException("pearson needs equal lengths, got " + x.length + " and " + y.length);
        }
        int n = x.length;
        if (n < 2) {
            return Double.NaN;
        }
        double mx = 0;
        double my = 0;
        for (int i = 0; i < n; i++) {
            mx += x[i];
            my += y[i];
        }
        mx /= n;
        my /= n;
        double sxy = 0;
        double sxx = 0;
        double syy = 0;
        for (int i = 0; i < n; i++) {
            double dx = x[i] - mx;
            double dy = y[i] - my;
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }
        if (sxx == 0 || syy == 0) {
            return Double.NaN;
        }
        double r = sxy / Math.sqrt(sxx * syy);
        return Math.max(-1.0, Math.min(1.0, r));
    }

    /** Spearman's rho: Pearson's r of the average ranks. */
    public static double spearman(double[] x, double[] y) {
        return pearson(ranks(x), ranks(y));
    }

    /**
     * Ranks 1..n, ties given the average of the ranks they span (SciPy {@code rankdata}, 'average');
     * values compare as {@link Double#compare} does (-0.0 below 0.0, NaN above everything, all
     * NaNs one tie). The values become order-preserving 64-bit keys, sorted with their indices by
     * a least-significant-digit radix sort (byte by byte, skipping bytes all keys share), and each
     * run of equal keys gets its average rank: linear time, no comparisons.
     */
    public static double[] ranks(double[] v) {
        int n = v.length;
        long[] keys = new long[n];
        int[] index = new int[n];
        for (int i = 0; i < n; i++) {
            keys[i] = key(v[i]) ^ Long.MIN_VALUE; // unsigned order of these = signed order of the keys
            index[i] = i;
        }
        long[] keysTo = new long[n];
        int[] indexTo = new int[n];
        int[] start = new int[257];
        for (int shift = 0; shift < 64; shift += 8) {
            java.util.Arrays.fill(start, 0);
            for (int i = 0; i < n; i++) {
                start[(int) ((keys[i] >>> shift) & 0xFF) + 1]++;
            }
            boolean shared = false;
            for (int b = 1; b <= 256; b++) {
                shared |= start[b] == n;
            }
            if (shared) {
                continue; // every key has this byte: the pass would not move anything
            }
            for (int b = 1; b <= 256; b++) {
                start[b] += start[b - 1];
            }
            for (int i = 0; i < n; i++) {
                int p = start[(int) ((keys[i] >>> shift) & 0xFF)]++;
                keysTo[p] = keys[i];
                indexTo[p] = index[i];
            }
            long[] k = keys;
            keys = keysTo;
            keysTo = k;
            int[] x = index;
            index = indexTo;
            indexTo = x;
        }
        double[] r = new double[n];
        int i = 0;
        while (i < n) {
            int j = i;
            while (j + 1 < n && keys[j + 1] == keys[i]) {
                j++;
            }
            double avg = (i + j) / 2.0 + 1.0;
            for (int k = i; k <= j; k++) {
                r[index[k]] = avg;
            }
            i = j + 1;
        }
        return r;
    }

    /** A {@code long} whose signed order is {@link Double#compare}'s order of the doubles. */
    private static long key(double d) {
        long bits = Double.doubleToLongBits(d); // one NaN
        return bits ^ ((bits >> 63) & Long.MAX_VALUE);
    }
}
