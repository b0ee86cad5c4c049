package org.explain4j.core.method;

import java.util.SplittableRandom;

/** Random draws shared by the Shapley-family methods; every stream comes from the caller's seed. */
final class Coalitions {
    private Coalitions() {
    }

    /** A uniformly random permutation of 0..m-1 (Fisher-Yates). */
    static int[] permutation(SplittableRandom rnd, int m) {
        int[] p = new int[m];
        for (int i = 0; i < m; i++) {
            p[i] = i;
        }
        for (int i = m - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /** The coalition of a bit mask over m features. */
    static boolean[] fromBits(long bits, int m) {
        boolean[] z = new boolean[m];
        for (int f = 0; f < m; f++) {
            z[f] = (bits >>> f & 1L) != 0;
        }
        return z;
    }

    /** log(n choose k). */
    static double logChoose(int n, int k) {
        return logFactorial(n) - logFactorial(k) - logFactorial(n - k);
    }

    static double logFactorial(int n) {
        double s = 0;
        for (int i = 2; i <= n; i++) {
            s += Math.log(i);
        }
        return s;
    }

    /** Number of features present. */
    static int size(boolean[] z) {
        int s = 0;
        for (boolean b : z) {
            if (b) {
                s++;
            }
        }
        return s;
    }
}
