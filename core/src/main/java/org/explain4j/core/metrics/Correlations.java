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
     * NaNs one tie). The values are sorted as order-preserving {@code long} keys and each finds its
     * tie run by binary search: no index sort.
     */
    public static double[] ranks(double[] v) {
        int n = v.length;
        long[] sorted = new long[n];
        for (int i = 0; i < n; i++) {
            sorted[i] = key(v[i]);
        }
        java.util.Arrays.sort(sorted);
        // the average rank of the tie run sorted[i..j], stored at its first index i
        double[] runRank = new double[n];
        int i = 0;
        while (i < n) {
            int j = i;
            while (j + 1 < n && sorted[j + 1] == sorted[i]) {
                j++;
            }
            runRank[i] = (i + j) / 2.0 + 1.0;
            i = j + 1;
        }
        double[] r = new double[n];
        for (int k = 0; k < n; k++) {
            r[k] = runRank[firstAtLeast(sorted, key(v[k]))];
        }
        return r;
    }

    /** A {@code long} whose signed order is {@link Double#compare}'s order of the doubles. */
    private static long key(double d) {
        long bits = Double.doubleToLongBits(d); // one NaN
        return bits ^ ((bits >> 63) & Long.MAX_VALUE);
    }

    /** The first index of ascending {@code a} holding a value at least {@code k}. */
    private static int firstAtLeast(long[] a, long k) {
        int lo = 0;
        int hi = a.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (a[mid] < k) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}
