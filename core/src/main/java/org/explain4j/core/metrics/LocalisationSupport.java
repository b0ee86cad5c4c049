package org.explain4j.core.metrics;

import org.explain4j.core.Explain4jException;

/** What the mask metrics share: the checked 0/1 mask rows and the preprocessed attributions. */
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
}
