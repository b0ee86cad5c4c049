package org.explain4j.core.audio;

/** An in-place iterative radix-2 FFT (decimation in time); the length must be a power of two. */
public final class Fft {
    private Fft() {
    }

    /** Replaces (re, im) by its discrete Fourier transform, {@code X[k] = sum x[n] e^(-2 pi i k n / N)}. */
    public static void transform(double[] re, double[] im) {
        int n = re.length;
        if (Integer.bitCount(n) != 1 || im.length != n) {
            throw new IllegalArgumentException("the FFT needs two arrays of one power-of-two length (got " + n + " and "
                    + im.length + ")");
        }
        for (int i = 1, j = 0; i < n; i++) {
            int bit = n >> 1;
            for (; (j & bit) != 0; bit >>= 1) {
                j ^= bit;
            }
            j ^= bit;
            if (i < j) {
                double t = re[i];
                re[i] = re[j];
                re[j] = t;
                t = im[i];
                im[i] = im[j];
                im[j] = t;
            }
        }
        for (int len = 2; len <= n; len <<= 1) {
            for (int i = 0; i < n; i += len) {
                for (int k = 0; k < len / 2; k++) {
                    double ang = -2 * Math.PI * k / len;
                    double cr = Math.cos(ang);
                    double ci = Math.sin(ang);
                    int a = i + k;
                    int b = a + len / 2;
                    double xr = re[b] * cr - im[b] * ci;
                    double xi = re[b] * ci + im[b] * cr;
                    re[b] = re[a] - xr;
                    im[b] = im[a] - xi;
                    re[a] += xr;
                    im[a] += xi;
                }
            }
        }
    }
}
