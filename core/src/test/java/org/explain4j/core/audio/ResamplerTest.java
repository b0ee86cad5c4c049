package org.explain4j.core.audio;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.explain4j.core.Tensor;
import org.explain4j.core.io.Npy;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Agreement with {@code scipy.signal.resample_poly} output made by {@code fixtures/audio/make_audio.py}. */
class ResamplerTest {
    static final Path FIXTURES = Path.of("..", "fixtures", "audio");

    @ParameterizedTest
    @CsvSource({"44100,16000", "48000,16000", "8000,16000", "22050,16000", "16000,8000"})
    void agreesWithScipyResamplePoly(int from, int to) {
        Path in = FIXTURES.resolve("resample_in.npy");
        Path ref = FIXTURES.resolve("resample_" + from + "_" + to + ".npy");
        assertThat(in).as("committed fixture (fixtures/audio/make_audio.py)").exists();
        assertThat(ref).as("committed fixture (fixtures/audio/make_audio.py)").exists();
        double[] x = Npy.read(in, "in").toDoubleArray();
        float[] xf = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            xf[i] = (float) x[i];
        }
        double[] want = Npy.read(ref, "ref").toDoubleArray();
        float[] got = Resampler.resample(xf, from, to);
        assertThat(got).hasSize(want.length);
        double maxErr = 0;
        double maxAbs = 0;
        for (int i = 0; i < want.length; i++) {
            maxErr = Math.max(maxErr, Math.abs(got[i] - want[i]));
            maxAbs = Math.max(maxAbs, Math.abs(want[i]));
        }
        assertThat(maxAbs).isGreaterThan(0.3);
        // float32 output of a float64 computation: rounding only
        assertThat(maxErr).as("max |java - scipy| for %d -> %d", from, to).isLessThan(1e-6);
    }

    @Test
    void besselI0_knownValues() {
        assertThat(Resampler.besselI0(0)).isEqualTo(1.0);
        assertThat(Resampler.besselI0(5.0)).isCloseTo(27.239871823604442, org.assertj.core.api.Assertions.within(1e-12));
    }

    @Test
    void sineBelowNyquist_keepsAmplitudeAndFrequency() {
        int from = 44100;
        int to = 16000;
        float[] x = new float[from];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.sin(2 * Math.PI * 1000 * i / from);
        }
        float[] y = Resampler.resample(x, from, to);
        assertThat(y).hasSize(16000);
        double maxErr = 0;
        for (int i = 1000; i < 15000; i++) {
            maxErr = Math.max(maxErr, Math.abs(y[i] - Math.sin(2 * Math.PI * 1000 * i / (double) to)));
        }
        assertThat(maxErr).isLessThan(2e-3);
    }

    @Test
    void sameRate_isACopy() {
        float[] x = {1, 2, 3};
        assertThat(Resampler.resample(x, 16000, 16000)).containsExactly(1, 2, 3).isNotSameAs(x);
    }
}
