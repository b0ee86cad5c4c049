package org.explain4j.core.audio;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.explain4j.core.Tensor;
import org.explain4j.core.io.Npy;
import org.junit.jupiter.api.Test;

/** The Java front end against make_audio.py's NumPy {@code logmel} (committed output). */
class LogMelTest {
    @Test
    void agreesWithTheNumpyReference() {
        Path in = ResamplerTest.FIXTURES.resolve("logmel_in.npy");
        Path ref = ResamplerTest.FIXTURES.resolve("logmel_ref.npy");
        assertThat(in).as("committed fixture (fixtures/audio/make_audio.py)").exists();
        assertThat(ref).as("committed fixture (fixtures/audio/make_audio.py)").exists();
        double[] x = Npy.read(in, "in").toDoubleArray();
        float[] xf = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            xf[i] = (float) x[i];
        }
        Tensor want = Npy.read(ref, "ref");
        LogMel lm = new LogMel(16000, 512, 160, 40, 0, 8000, 1e-6);
        double[][] got = lm.compute(xf);
        assertThat(want.shape()).containsExactly(40, lm.frames(xf.length));
        double maxErr = 0;
        for (int m = 0; m < 40; m++) {
            for (int f = 0; f < got[0].length; f++) {
                maxErr = Math.max(maxErr, Math.abs(got[m][f] - want.getDouble(m * got[0].length + f)));
            }
        }
        // log values of order -14 to 5; float32 samples, double arithmetic on both sides
        assertThat(maxErr).isLessThan(1e-6);
    }

    @Test
    void anInvalidFrontEnd_namesTheFrontEndArgument() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new LogMel(16000, 512, 160, 40, 0, 9000, 1e-6))
                .isInstanceOfSatisfying(org.explain4j.core.Explain4jException.class,
                        e -> assertThat(e.argument()).isEqualTo("front-end"))
                .hasMessageStartingWith("front-end card: invalid log-mel settings:")
                .hasMessageContaining("f_max 9000.0 (at most half the rate)");
    }
}
