package org.explain4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.explain4j.core.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Silero VAD v5 explained on the committed clip {@code fixtures/audio/speech.wav}: 0.6-1.94 s
 * espeak-ng speech, 3.0-3.5 s loud white noise, faint noise elsewhere (make_audio.py).
 */
class SileroAudioCliTest {
    static final Path SILERO = Path.of("..", "fixtures", "real", "silero_vad_v5.onnx");
    static final Path SPEECH = Path.of("..", "fixtures", "audio", "speech.wav");

    @TempDir
    Path dir;

    /** Sum of |a| over [from, to) seconds at 16 kHz, per second. */
    static double density(double[] a, double from, double to) {
        double s = 0;
        for (int i = (int) (from * 16000); i < (int) (to * 16000); i++) {
            s += Math.abs(a[i]);
        }
        return s / (to - from);
    }

    static double sum(double[] a, double from, double to) {
        double s = 0;
        for (int i = (int) (from * 16000); i < (int) (to * 16000); i++) {
            s += a[i];
        }
        return s;
    }

    @Test
    void speechStretchesCarryTheAttribution_notSilenceOrNoise() throws Exception {
        assertThat(SILERO).exists();
        assertThat(SPEECH).as("committed clip (fixtures/audio/make_audio.py)").exists();
        Path out = dir.resolve("rep");
        CliRunner.Run r = CliRunner.run("explain", "--quiet", "--model", SILERO.toString(), "--audio", SPEECH.toString(),
                "--methods", "integrated-gradients,occlusion", "--out", out.toString());
        assertThat(r.exitCode()).as("stderr: %s", r.err()).isZero();
        String html = Files.readString(out.resolve("report.html"), StandardCharsets.UTF_8);
        assertThat(html).contains("run as 125 chunks of 512 samples").contains("mean speech probability")
                .contains("data:audio/wav;base64,");
        for (String m : new String[] {"integrated-gradients", "occlusion"}) {
            double[] a = Npy.read(out.resolve(m + ".npy"), "a").toDoubleArray();
            assertThat(a).hasSize(64000);
            double speech = sum(a, 0.6, 1.94);
            double noise = sum(a, 3.0, 3.5);
            double quiet = sum(a, 0.0, 0.5) + sum(a, 2.2, 2.9) + sum(a, 3.6, 4.0);
            assertThat(speech).as("%s: the speech raises the mean speech probability", m).isPositive();
            assertThat(speech).as("%s: speech against the noise burst", m).isGreaterThan(10 * Math.abs(noise));
            assertThat(speech).as("%s: speech against the quiet stretches", m).isGreaterThan(10 * Math.abs(quiet));
            assertThat(density(a, 0.6, 1.94)).as("%s: per second", m).isGreaterThan(10 * density(a, 3.0, 3.5));
        }
        // IG is complete for the stitched chunks: the gap is recorded and small against the explained output
        String json = Files.readString(out.resolve("integrated-gradients.json"));
        assertThat(json).contains("completeness_gap");
    }
}
