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

    /** Ranks 1..n, ties given the average of the ranks they span (SciPy {@code rankdata}, 'average'). */
    public static double[] ranks(double[] v) {
        int n = v.length;
        int[] order = Attributions.ascending(v);
        double[] r = new double[n];
        int i = 0;
        while (i < n) {
            int j = i;
            while (j + 1 < n && Double.compare(v[order[j + 1]], v[order[i]]) == 0) {
                j++;
            }
            double avg = (i + j) / 2.0 + 1.0;
            for (int k = i; k <= j; k++) {
                r[order[k]] = avg;
            }
            i = j + 1;
        }
        return r;
    }
}
