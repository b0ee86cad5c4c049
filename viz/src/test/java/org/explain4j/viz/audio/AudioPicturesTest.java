package org.explain4j.viz.audio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.util.List;
import org.explain4j.viz.ColorMap;
import org.junit.jupiter.api.Test;

class AudioPicturesTest {
    @Test
    void fft_equalsTheDirectDft() {
        int n = 64;
        double[] re = new double[n];
        double[] im = new double[n];
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = Math.sin(i * 0.37) + 0.3 * Math.cos(i * 1.9) + (i == 5 ? 1 : 0);
            re[i] = x[i];
        }
        org.explain4j.core.audio.Fft.transform(re, im);
        for (int k = 0; k < n; k++) {
            double r = 0;
            double m = 0;
            for (int i = 0; i < n; i++) {
                r += x[i] * Math.cos(-2 * Math.PI * k * i / n);
                m += x[i] * Math.sin(-2 * Math.PI * k * i / n);
            }
            assertThat(re[k]).isCloseTo(r, within(1e-9));
            assertThat(im[k]).isCloseTo(m, within(1e-9));
        }
    }

    @Test
    void spectrogram_putsATonesEnergyInItsBin() {
        int rate = 16000;
        float[] x = new float[rate / 2];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.sin(2 * Math.PI * 1000 * i / rate);
        }
        Spectrogram s = Spectrogram.of(x, rate, 512, 160);
        double[] mid = s.db()[s.frames() / 2];
        int best = 0;
        for (int k = 1; k < mid.length; k++) {
            if (mid[k] > mid[best]) {
                best = k;
            }
        }
        assertThat(best).isEqualTo(32); // 1000 Hz * 512 / 16000
        assertThat(mid[best]).isCloseTo(0, within(0.5));
        assertThat(mid[100]).isLessThan(-40);
    }

    @Test
    void waveformBand_isRedWherePositiveBlueWhereNegativeWhiteWhereZero() {
        int rate = 1000;
        float[] x = new float[1000];
        double[] a = new double[1000];
        for (int i = 0; i < 1000; i++) {
            x[i] = (float) Math.sin(i * 0.3);
            a[i] = i < 300 ? 1 : i < 600 ? 0 : -1;
        }
        BufferedImage img = AudioPictures.waveform(x, rate, a, null, 1, "t", "p");
        // band row: title 24 + wave 120 + 3 + middle of the 20-pixel band
        int y = 24 + 120 + 3 + 10;
        int plotW = AudioPictures.WIDTH - 90;
        Color red = ColorMap.diverging().color(1.0);
        Color blue = ColorMap.diverging().color(0.0);
        assertThat(new Color(img.getRGB(70 + plotW / 6, y))).isEqualTo(red);
        assertThat(new Color(img.getRGB(70 + plotW * 45 / 100, y))).isEqualTo(ColorMap.diverging().color(0.5));
        assertThat(new Color(img.getRGB(70 + plotW * 5 / 6, y))).isEqualTo(blue);
    }

    @Test
    void segments_sumsLabelsAndTop() {
        double[] a = {1, 1, -3, 0, 2, 2, 2};
        assertThat(AudioPictures.segmentSums(a, 3)).containsExactly(-1, 4, 2);
        assertThat(AudioPictures.segmentLabels(7, 3, 10)).isEqualTo(List.of("0.00-0.30 s", "0.30-0.60 s", "0.60-0.70 s"));
        assertThat(AudioPictures.topSegments(a, 3, 2)).containsExactly(1, 2);
    }

    @Test
    void colour_isTheSignedScalesColour_asTheBandDrewItBefore() {
        // the band's colour before it used viz's Scale: 0.5 + v / (2 scale) clipped to [0, 1], white at 0
        double[][] cases = {{0, 2}, {1, 2}, {-1, 2}, {2, 2}, {-7, 2}, {0.3, 0}, {Double.NaN, 1}, {1e-300, 1e-300},
            {0.123456789, 0.987654321}, {Double.POSITIVE_INFINITY, 3}};
        for (double[] c : cases) {
            double t = c[1] == 0 ? 0.5 : 0.5 + 0.5 * Math.max(-1, Math.min(1, c[0] / c[1]));
            assertThat(AudioPictures.colour(c[0], c[1]).getRGB()).as("v %s, scale %s", c[0], c[1])
                    .isEqualTo(ColorMap.diverging().color(t).getRGB());
        }
        assertThat(AudioPictures.colour(0, 1).getRGB() & 0xffffff).isEqualTo(0xf7f7f7);
        assertThat(AudioPictures.colour(5, 1).getRGB() & 0xffffff).isEqualTo(0x67001f);
    }
}
