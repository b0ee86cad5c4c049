package org.explain4j.core.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The primitive merge sort of {@link Attributions} against a stable boxed sort with the same order. */
class AttributionsOrderTest {
    private static int[] reference(double[] a, boolean descending) {
        Integer[] idx = new Integer[a.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, (i, j) -> {
            int c = descending ? Double.compare(a[j], a[i]) : Double.compare(a[i], a[j]);
            return c != 0 ? c : Integer.compare(i, j);
        });
        return Arrays.stream(idx).mapToInt(Integer::intValue).toArray();
    }

    @Test
    void sameOrderAsStableBoxedSortWithTiesNanAndSignedZeros() {
        Random r = new Random(3);
        double[] specials = {0.0, -0.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1.0, -1.0};
        for (int n : new int[] {0, 1, 2, 31, 32, 33, 63, 64, 65, 1000, 4097, 100_003}) {
            for (int kind = 0; kind < 4; kind++) {
                double[] a = new double[n];
                for (int i = 0; i < n; i++) {
                    a[i] = switch (kind) {
                        case 0 -> r.nextGaussian();
                        case 1 -> r.nextInt(5);                       // many ties
                        case 2 -> specials[r.nextInt(specials.length)];
                        default -> n - i;                             // already descending
                    };
                }
                assertArrayEquals(reference(a, true), Attributions.descending(a), "descending n=" + n + " kind=" + kind);
                assertArrayEquals(reference(a, false), Attributions.ascending(a), "ascending n=" + n + " kind=" + kind);
            }
        }
    }
}
