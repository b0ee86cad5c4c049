package org.explain4j.cli;

import org.explain4j.core.Tensor;

/** The predicted class and the top classes, as every report and command picks them. */
final class Ranks {
    private Ranks() {
    }

    /** The predicted class of each example of (N, C) logits: the first largest value. */
    static int[] argmax(Tensor logits) {
        int n = logits.dim(0);
        int c = logits.dim(1);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            for (int k = 1; k < c; k++) {
                if (logits.getDouble(i * c + k) > logits.getDouble(i * c + out[i])) {
                    out[i] = k;
                }
            }
        }
        return out;
    }

    /** The index of the first largest value of {@code v} (0 when empty). */
    static int argmax(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    /** The indices of the {@code k} largest values, largest first; equal values keep index order. */
    static int[] top(double[] v, int k) {
        Integer[] idx = new Integer[v.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        java.util.Arrays.sort(idx, (x, y) -> Double.compare(v[y], v[x]));
        int[] out = new int[Math.min(k, idx.length)];
        for (int i = 0; i < out.length; i++) {
            out[i] = idx[i];
        }
        return out;
    }
}
