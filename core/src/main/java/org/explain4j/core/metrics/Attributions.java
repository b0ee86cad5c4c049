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
        Integer[] idx = new Integer[a.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        java.util.Arrays.sort(idx, (i, j) -> {
            int c = descending ? Double.compare(a[j], a[i]) : Double.compare(a[i], a[j]);
            return c != 0 ? c : Integer.compare(i, j);
        });
        int[] out = new int[a.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = idx[i];
        }
        return out;
    }
}
