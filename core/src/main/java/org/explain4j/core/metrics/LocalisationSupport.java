package org.explain4j.core.metrics;

import org.explain4j.core.Explain4jException;

/** What the mask metrics share: the checked 0/1 mask rows, the top-k hits and the mass inside the mask. */
final class LocalisationSupport {
    private LocalisationSupport() {
    }

    /** The mask of {@code in} as boolean rows (non-zero = inside); a usage error naming {@code mask} when absent. */
    static boolean[][] mask(MetricInput in, ExampleData d, String metric) {
        double[][] m = ExampleData.rows(in.mask().orElseThrow(() -> Explain4jException.usage("mask", metric
                + " needs a ground-truth mask: pass --mask S.npy (0/1, the input's shape)")));
        boolean[][] out = new boolean[m.length][];
        for (int n = 0; n < m.length; n++) {
            out[n] = new boolean[m[n].length];
            for (int i = 0; i < m[n].length; i++) {
                out[n][i] = m[n][i] != 0;
            }
        }
        return out;
    }

    static int count(boolean[] s) {
        int c = 0;
        for (boolean b : s) {
            if (b) {
                c++;
            }
        }
        return c;
    }

    /** How many of the {@code k} largest entries of {@code a} (descending, ties by index) lie in the mask {@code s}. */
    static int topHits(double[] a, boolean[] s, int k) {
        int[] order = Attributions.descending(a);
        int hits = 0;
        for (int i = 0; i < k; i++) {
            if (s[order[i]]) {
                hits++;
            }
        }
        return hits;
    }

    /**
     * The attribution mass inside the mask and in all, {@code {sum(a * s), sum(a)}}, summed in
     * index order; with {@code positive}, of {@code max(0, a)}.
     */
    static double[] mass(double[] a, boolean[] s, boolean positive) {
        double inside = 0;
        double total = 0;
        for (int i = 0; i < a.length; i++) {
            double v = positive ? Math.max(0, a[i]) : a[i];
            total += v;
            if (s[i]) {
                inside += v;
            }
        }
        return new double[] {inside, total};
    }
}
