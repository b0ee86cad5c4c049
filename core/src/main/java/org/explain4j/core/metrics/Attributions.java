package org.explain4j.core.metrics;

/**
 * The attribution preprocessing every Quantus metric applies (golden/metrics README, "Attribution
 * preprocessing"): with {@code normalise}, each example is divided by its own {@code max |a|}
 * (an all-zero example stays zero; Quantus 0.6.0 divides the whole batch by one maximum, a
 * documented deviation), then with {@code abs}, {@code |a|}.
 */
public final class Attributions {
    private Attributions() {
    }

    /** Preprocessed copies of {@code rows} (one row per example, flattened in C order). */
    public static double[][] preprocess(double[][] rows, boolean normalise, boolean abs) {
        double[][] out = new double[rows.length][];
        for (int n = 0; n < rows.length; n++) {
            double[] a = rows[n].clone();
            if (normalise) {
                double m = 0;
                for (double v : a) {
                    m = Math.max(m, Math.abs(v));
                }
                if (m > 0) {
                    for (int i = 0; i < a.length; i++) {
                        a[i] /= m;
                    }
                }
            }
            if (abs) {
                for (int i = 0; i < a.length; i++) {
                    a[i] = Math.abs(a[i]);
                }
            }
            out[n] = a;
        }
        return out;
    }

    /**
     * Feature indices in descending order of {@code a} (NumPy {@code argsort(-a)}), ties by
     * ascending index (stable), so results are reproducible.
     */
    public static int[] descending(double[] a) {
        return order(a, true);
    }

    /** Feature indices in ascending order of {@code a} ({@code argsort(a)}), ties by ascending index. */
    public static int[] ascending(double[] a) {
        return order(a, false);
    }

    private static int[] order(double[] a, boolean descending) {
        // Stable merge sort of primitive indices (ties keep ascending index order); the key is
        // Double.compare's order, negated for descending. Same result as sorting boxed indices
        // with a comparator, without the boxing (MPRT sorts every explanation, 150k features each
        // on ImageNet-sized inputs).
        int n = a.length;
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) {
            idx[i] = i;
        }
        int[] tmp = new int[n];
        for (int lo = 0; lo < n; lo += INSERTION_RUN) {
            int hi = Math.min(n, lo + INSERTION_RUN);
            for (int i = lo + 1; i < hi; i++) {
                int v = idx[i];
                int j = i - 1;
                while (j >= lo && before(a, v, idx[j], descending)) {
                    idx[j + 1] = idx[j];
                    j--;
                }
                idx[j + 1] = v;
            }
        }
        int[] src = idx;
        int[] dst = tmp;
        for (int width = INSERTION_RUN; width < n; width *= 2) {
            for (int lo = 0; lo < n; lo += 2 * width) {
                int mid = Math.min(n, lo + width);
                int hi = Math.min(n, lo + 2 * width);
                int i = lo;
                int j = mid;
                int k = lo;
                while (i < mid && j < hi) {
                    // take from the right run only when strictly before: stability
                    dst[k++] = before(a, src[j], src[i], descending) ? src[j++] : src[i++];
                }
                while (i < mid) {
                    dst[k++] = src[i++];
                }
                while (j < hi) {
                    dst[k++] = src[j++];
                }
            }
            int[] t = src;
            src = dst;
            dst = t;
        }
        return src;
    }

    private static final int INSERTION_RUN = 32;

    /** Whether index u sorts strictly before index v by value alone. */
    private static boolean before(double[] a, int u, int v, boolean descending) {
        int c = Double.compare(a[u], a[v]);
        return descending ? c > 0 : c < 0;
    }
}
