package org.explain4j.core.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link Correlations#ranks} (sorted keys and binary search) against the definition of average ranks. */
class CorrelationsRanksTest {
    /** Rank by definition: 1 + (values below) + (ties other than itself) / 2, in Double.compare's order. */
    private static double[] reference(double[] a) {
        double[] r = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            int below = 0;
            int equal = 0;
            for (double b : a) {
                int c = Double.compare(b, a[i]);
                below += c < 0 ? 1 : 0;
                equal += c == 0 ? 1 : 0;
            }
            r[i] = below + (equal + 1) / 2.0;
        }
        return r;
    }

    @Test
    void averageRanksWithTiesNanSignedZerosAndInfinities() {
        Random r = new Random(11);
        double[] specials = {0.0, -0.0, Double.NaN, Double.longBitsToDouble(0x7ff8000000000001L),
            Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.MIN_VALUE, -Double.MIN_VALUE, 1.0, -1.0};
        for (int n : new int[] {0, 1, 2, 3, 17, 256, 1500}) {
            for (int kind = 0; kind < 4; kind++) {
                double[] a = new double[n];
                for (int i = 0; i < n; i++) {
                    a[i] = switch (kind) {
                        case 0 -> r.nextGaussian();
                        case 1 -> r.nextInt(4) - 1.5;                  // many ties, both signs
                        case 2 -> specials[r.nextInt(specials.length)];
                        default -> -(n - i) * 0.25;                   // descending negatives
                    };
                }
                assertArrayEquals(reference(a), Correlations.ranks(a), "n=" + n + " kind=" + kind);
            }
        }
    }

    @Test
    void spearmanOfReversedOrderIsMinusOne_andTiesLowerIt() {
        double[] x = {1, 2, 3, 4, 5};
        assertArrayEquals(new double[] {-1.0}, new double[] {Correlations.spearman(x, new double[] {9, 7, 5, 3, 1})});
        // ranks of y: 1, 2.5, 2.5, 4, 5 -> Pearson with 1..5 = 9.5 / sqrt(10 * 9.5)
        assertArrayEquals(new double[] {9.5 / Math.sqrt(10 * 9.5)},
                new double[] {Correlations.spearman(x, new double[] {0, 2, 2, 3, 8})}, 1e-15);
    }
}
