package org.explain4j.core.metrics;

import java.util.SplittableRandom;

/**
 * The metrics' random streams. Every stream is derived from the seed and the example's index
 * (and, where a metric needs several, a stream number), never from the batch layout, so the same
 * seed gives bit-identical scores whatever the batch size.
 */
public final class MetricRandom {
    private MetricRandom() {
    }

    /** The stream of example {@code example} for {@code seed}. */
    public static SplittableRandom forExample(long seed, int example) {
        return forExample(seed, example, 0);
    }

    /** Stream {@code stream} of example {@code example} for {@code seed}. */
    public static SplittableRandom forExample(long seed, int example, int stream) {
        long h = mix(seed ^ 0x5851F42D4C957F2DL);
        h = mix(h + 0x9E3779B97F4A7C15L * (example + 1L));
        h = mix(h + 0xBF58476D1CE4E5B9L * (stream + 1L));
        return new SplittableRandom(h);
    }

    /** A standard normal draw (Box-Muller; one draw per call, so streams stay aligned). */
    public static double gaussian(SplittableRandom rng) {
        double u1 = rng.nextDouble();
        double u2 = rng.nextDouble();
        return Math.sqrt(-2.0 * Math.log(1.0 - u1)) * Math.cos(2.0 * Math.PI * u2);
    }

    /**
     * {@code k} distinct indices out of {@code [0, n)}, uniform without replacement (a partial
     * Fisher-Yates shuffle), in draw order.
     */
    public static int[] sampleWithoutReplacement(SplittableRandom rng, int n, int k) {
        if (k > n) {
            throw new IllegalArgumentException("cannot draw " + k + " of " + n);
        }
        int[] pool = new int[n];
        for (int i = 0; i < n; i++) {
            pool[i] = i;
        }
        for (int i = 0; i < k; i++) {
            int j = i + rng.nextInt(n - i);
            int t = pool[i];
            pool[i] = pool[j];
            pool[j] = t;
        }
        return java.util.Arrays.copyOf(pool, k);
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
