package org.explain4j.core.audio;

import org.explain4j.core.Explain4jException;

/**
 * A log-mel spectrogram front end, as a speech model's training code computes it: frames of
 * {@code nFft} samples centred on {@code k * hop} (k = 0 .. T / hop, zeros beyond both ends),
 * a periodic Hann window, the power spectrum {@code |rfft|^2}, {@code nMels} HTK-scale triangular
 * filters (peak 1) between {@code fMin} and {@code fMax}, and {@code log(power + logOffset)}.
 * The result is (nMels, 1 + T / hop). {@code fixtures/audio/make_audio.py}'s {@code logmel} is the
 * NumPy reference it is tested against.
 */
public record LogMel(int sampleRate, int nFft, int hop, int nMels, double fMin, double fMax, double logOffset) {
    public LogMel {
        if (sampleRate < 1 || nFft < 4 || Integer.bitCount(nFft) != 1 || hop < 1 || nMels < 1 || !(fMin >= 0)
                || !(fMax > fMin) || fMax > sampleRate / 2.0 + 1e-9 || !(logOffset > 0)) {
            throw Explain4jException.usage("front-end", "front-end card: invalid log-mel settings: sample_rate " + sampleRate + ", n_fft "
                    + nFft + " (a power of two), hop " + hop + ", n_mels " + nMels + ", f_min " + fMin + ", f_max " + fMax
                    + " (at most half the rate), log_offset " + logOffset + " (positive)");
        }
    }

    /** Frames of a clip of {@code samples}. */
    public int frames(int samples) {
        return 1 + samples / hop;
    }

    /** The samples whose spectrogram has {@code frames} frames: the shortest such clip. */
    public int samplesFor(int frames) {
        return (frames - 1) * hop;
    }

    /** The log-mel spectrogram of {@code x}, [mel][frame]. */
    public double[][] compute(float[] x) {
        int frames = frames(x.length);
        int bins = nFft / 2 + 1;
        double[][] fb = filters();
        double[] win = new double[nFft];
        for (int i = 0; i < nFft; i++) {
            win[i] = 0.5 - 0.5 * Math.cos(2 * Math.PI * i / nFft);
        }
        double[][] out = new double[nMels][frames];
        double[] re = new double[nFft];
        double[] im = new double[nFft];
        double[] power = new double[bins];
        for (int f = 0; f < frames; f++) {
            int start = f * hop - nFft / 2;
            for (int i = 0; i < nFft; i++) {
                int s = start + i;
                re[i] = s >= 0 && s < x.length ? x[s] * win[i] : 0;
                im[i] = 0;
            }
            Fft.transform(re, im);
            for (int k = 0; k < bins; k++) {
                power[k] = re[k] * re[k] + im[k] * im[k];
            }
            for (int m = 0; m < nMels; m++) {
                double s = 0;
                for (int k = 0; k < bins; k++) {
                    s += fb[m][k] * power[k];
                }
                out[m][f] = Math.log(s + logOffset);
            }
        }
        return out;
    }

    /** The triangular filters [mel][bin]. */
    double[][] filters() {
        int bins = nFft / 2 + 1;
        double lo = mel(fMin);
        double hi = mel(fMax);
        double[] pts = new double[nMels + 2];
        for (int i = 0; i < pts.length; i++) {
            double m = lo + (hi - lo) * i / (nMels + 1);
            pts[i] = 700.0 * (Math.pow(10, m / 2595.0) - 1.0);
        }
        double[][] fb = new double[nMels][bins];
        for (int m = 0; m < nMels; m++) {
            for (int k = 0; k < bins; k++) {
                double f = k * (double) sampleRate / nFft;
                double up = (f - pts[m]) / (pts[m + 1] - pts[m]);
                double down = (pts[m + 2] - f) / (pts[m + 2] - pts[m + 1]);
                fb[m][k] = Math.max(0, Math.min(up, down));
            }
        }
        return fb;
    }

    private static double mel(double f) {
        return 2595.0 * Math.log10(1.0 + f / 700.0);
    }
}
