package org.explain4j.core;

import java.util.Arrays;
import java.util.TreeMap;

/**
 * Groups of input elements that act as one feature. A mask is an integer id per element, of one
 * example's shape, of shape {@code (1, ...)} (the same grouping for every example) or of shape
 * {@code (N, ...)} (one grouping per example). Distinct ids are numbered 0..M-1 in ascending
 * order; the default mask makes every element its own feature.
 */
public final class FeatureMask {
    /** The grouping of one example: the feature of each element, and the number of features. */
    public record Groups(int[] groupOf, int count) {
        public Groups {
            groupOf = groupOf.clone();
        }

        @Override
        public int[] groupOf() {
            return groupOf.clone();
        }

        /** The feature of element {@code e}, without copying. */
        public int group(int e) {
            return groupOf[e];
        }
    }

    private final Tensor ids;

    private FeatureMask(Tensor ids) {
        this.ids = ids;
    }

    /** Every element is its own feature. */
    public static FeatureMask elementwise() {
        return new FeatureMask(null);
    }

    /** A mask of integer group ids; see the class comment for the accepted shapes. */
    public static FeatureMask of(Tensor ids) {
        if (ids.dtype() != DType.INT64) {
            if (ids.firstNonFinite() >= 0) {
                throw Explain4jException.dtype("feature-mask", "feature-mask must hold integer group ids");
            }
            double[] v = ids.toDoubleArray();
            for (double x : v) {
                if (x != Math.rint(x)) {
                    throw Explain4jException.dtype("feature-mask", "feature-mask holds " + x
                            + ", not an integer; save it as int64 group ids");
                }
            }
            ids = ids.to(DType.INT64);
        }
        return new FeatureMask(ids);
    }

    /** True for the default element-wise mask. */
    public boolean isElementwise() {
        return ids == null;
    }

    /** The mask's ids, where it has some. */
    public java.util.Optional<Tensor> ids() {
        return java.util.Optional.ofNullable(ids);
    }

    /** The grouping of each example of {@code input}. */
    public Groups[] resolve(Tensor input) {
        int n = input.batchSize();
        int d = input.exampleSize();
        int[] ex = input.exampleShape();
        Groups[] out = new Groups[n];
        if (ids == null) {
            int[] g = new int[d];
            for (int e = 0; e < d; e++) {
                g[e] = e;
            }
            Groups all = new Groups(g, d);
            Arrays.fill(out, all);
            return out;
        }
        int[] s = ids.shape();
        long[] v = ids.toLongArray();
        int rows;
        if (Arrays.equals(s, ex)) {
            rows = 1;
        } else if (s.length == ex.length + 1 && Arrays.equals(Arrays.copyOfRange(s, 1, s.length), ex)
                && (s[0] == 1 || s[0] == n)) {
            rows = s[0];
        } else {
            throw Explain4jException.shape("feature-mask", "feature-mask has shape " + Tensor.shapeString(s)
                    + " but each example has shape " + Tensor.shapeString(ex) + "; pass a mask of shape (1"
                    + Arrays.stream(ex).mapToObj(x -> ", " + x).reduce("", String::concat) + ") (one for every example) or ("
                    + n + Arrays.stream(ex).mapToObj(x -> ", " + x).reduce("", String::concat) + ") (one per example)");
        }
        Groups[] perRow = new Groups[rows];
        for (int r = 0; r < rows; r++) {
            TreeMap<Long, Integer> number = new TreeMap<>();
            for (int e = 0; e < d; e++) {
                number.put(v[r * d + e], 0);
            }
            int next = 0;
            for (var entry : number.entrySet()) {
                entry.setValue(next++);
            }
            int[] g = new int[d];
            for (int e = 0; e < d; e++) {
                g[e] = number.get(v[r * d + e]);
            }
            perRow[r] = new Groups(g, number.size());
        }
        for (int i = 0; i < n; i++) {
            out[i] = perRow[rows == 1 ? 0 : i];
        }
        return out;
    }
}
