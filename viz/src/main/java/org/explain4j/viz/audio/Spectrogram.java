package org.explain4j.viz.audio;

/**
 * A power spectrogram for display: Hann-windowed frames of {@code nfft} samples every
 * {@code hop}, centred on {@code frame * hop} (zeros beyond the ends), power in decibels relative
 * to the loudest cell. Computed with an iterative radix-2 FFT ({@code nfft} a power of two).
 *
 * @param db   [frame][bin] power in dB, 0 at the loudest cell, bins 0..nfft/2
 * @param hop  samples between frames
 * @param nfft frame length
 * @param rate sample rate
 */
public record Spectrogram(double[][] db, int hop, int nfft, int rate) {
    /** The spectrogram of {@code x} at {@code rate}. */
    public static Spectrogram of(float[] x, int rate, int nfft, int hop) {
        if (Integer.bitCount(nfft) != 1 || nfft < 4) {
            throw new IllegalArgumentException("nfft must be a power of two >= 4 (got " + nfft + ")");
        }
        if (hop < 1) {
            throw new IllegalArgumentException("hop must be positive (got " + hop + ")");
        }
        int frames = Math.max(1, (x.length + hop - 1) / hop);
        int bins = nfft / 2 + 1;
        double[][] p = new double[frames][bins];
        double[] win = new double[nfft];
        for (int i = 0; i < nfft; i++) {
            win[i] = 0.5 - 0.5 * Math.cos(2 * Math.PI * i / nfft);
        }
        double max = 1e-20;
        double[] re = new double[nfft];
        double[] im = new double[nfft];
        for (int f = 0; f < frames; f++) {
            int start = f * hop - nfft / 2;
            for (int i = 0; i < nfft; i++) {
                int s = start + i;
                re[i] = s >= 0 && s < x.length ? x[s] * win[i] : 0;
                im[i] = 0;
            }
            org.explain4j.core.audio.Fft.transform(re, im);
            for (int k = 0; k < bins; k++) {
                p[f][k] = re[k] * re[k] + im[k] * im[k];
                max = Math.max(max, p[f][k]);
            }
        }
        for (double[] row : p) {
            for (int k = 0; k < bins; k++) {
                row[k] = 10 * Math.log10(Math.max(row[k], 1e-20) / max);
            }
        }
        return new Spectrogram(p, hop, nfft, rate);
    }

    public int frames() {
        return db.length;
    }

    public int bins() {
        return db[0].length;
    }
}
