package org.explain4j.core.audio;

import org.explain4j.core.Explain4jException;

/**
 * Polyphase resampling by a rational factor with a Kaiser-windowed sinc low-pass filter: the same
 * filter and alignment as SciPy's {@code scipy.signal.resample_poly(x, up, down)} with its
 * defaults ({@code window=('kaiser', 5.0)}, {@code padtype='constant'}), so results agree with it
 * to float rounding (tested against SciPy output committed as a fixture). The filter has
 * {@code 20 max(up, down) + 1} taps with cut-off {@code 1 / max(up, down)} of the Nyquist rate; each
 * output sample costs about {@code 20 max(up, down) / up} multiply-adds. Zeros are assumed beyond
 * both ends of the signal.
 */
public final class Resampler {
    private static final double KAISER_BETA = 5.0;

    private Resampler() {
    }

    /** {@code x} sampled at {@code from} Hz, resampled to {@code to} Hz (a copy when they are equal). */
    public static float[] resample(float[] x, int from, int to) {
        if (from < 1 || to < 1) {
            throw Explain4jException.usage("sample-rate", "sample rates must be positive (got " + from + " and " + to + ")");
        }
        return resamplePoly(x, to, from);
    }

    /** {@code x} upsampled by {@code up} and downsampled by {@code down}, as {@code scipy.signal.resample_poly}. */
    public static float[] resamplePoly(float[] x, int up, int down) {
        if (up < 1 || down < 1) {
            throw Explain4jException.usage("sample-rate", "up and down must be positive (got " + up + " and " + down + ")");
        }
        int g = gcd(up, down);
        up /= g;
        down /= g;
        if (up == 1 && down == 1) {
            return x.clone();
        }
        int nIn = x.length;
        long nOutL = (long) nIn * up;
        nOutL = nOutL / down + (nOutL % down != 0 ? 1 : 0);
        if (nOutL > Integer.MAX_VALUE - 8) {
            throw Explain4jException.usage("sample-rate", "resampling " + nIn + " samples by " + up + "/" + down
                    + " gives too many samples");
        }
        int nOut = (int) nOutL;
        double[] h = filter(up, down);
        int halfLen = 10 * Math.max(up, down);
        int nPrePad = down - halfLen % down;
        int nPreRemove = (halfLen + nPrePad) / down;
        // h padded with nPrePad zeros in front: hp[k] = h[k - nPrePad].
        float[] y = new float[nOut];
        for (int m = 0; m < nOut; m++) {
            long j = (long) (m + nPreRemove) * down; // index in the upsampled, filtered signal
            // y = sum_i x[i] * hp[j - i * up], with 0 <= j - i*up - nPrePad < h.length
            long kMax = j - nPrePad; // k = kMax - i * up must lie in [0, h.length)
            long iLo = Math.max(0, ceilDiv(kMax - (h.length - 1), up));
            long iHi = Math.min(nIn - 1, Math.floorDiv(kMax, up));
            double s = 0;
            for (long i = iLo; i <= iHi; i++) {
                s += x[(int) i] * h[(int) (kMax - i * up)];
            }
            y[m] = (float) s;
        }
        return y;
    }

    /** SciPy's {@code firwin(20 max + 1, 1 / max, window=('kaiser', 5.0)) * up}, max = max(up, down). */
    static double[] filter(int up, int down) {
        int maxRate = Math.max(up, down);
        double fc = 1.0 / maxRate;
        int halfLen = 10 * maxRate;
        int n = 2 * halfLen + 1;
        double alpha = 0.5 * (n - 1);
        double[] h = new double[n];
        double i0Beta = besselI0(KAISER_BETA);
        double sum = 0;
        for (int k = 0; k < n; k++) {
            double m = k - alpha;
            double r = 2.0 * k / (n - 1) - 1;
            double w = besselI0(KAISER_BETA * Math.sqrt(Math.max(0, 1 - r * r))) / i0Beta;
            h[k] = fc * sinc(fc * m) * w;
            sum += h[k];
        }
        for (int k = 0; k < n; k++) {
            h[k] = h[k] / sum * up;
        }
        return h;
    }

    private static double sinc(double x) {
        if (x == 0) {
            return 1;
        }
        double p = Math.PI * x;
        return Math.sin(p) / p;
    }

    /** The modified Bessel function of the first kind, order 0, by its power series. */
    static double besselI0(double x) {
        double term = 1;
        double sum = 1;
        double q = x * x / 4;
        for (int k = 1; k < 200; k++) {
            term *= q / ((double) k * k);
            sum += term;
            if (term < sum * 1e-17) {
                break;
            }
        }
        return sum;
    }

    private static long ceilDiv(long a, long b) {
        return -Math.floorDiv(-a, b);
    }

    private static int gcd(int a, int b) {
        while (b != 0) {
            int t = a % b;
            a = b;
            b = t;
        }
        return a;
    }
}
