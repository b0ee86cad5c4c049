package org.explain4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.explain4j.cli.audio.AudioClip;
import org.explain4j.core.Tensor;
import org.explain4j.core.audio.LogMel;
import org.explain4j.core.io.Npy;
import org.explain4j.core.io.Wav;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --audio --front-end} on tiny_kws (a CNN on 40 x 101 log-mel spectrograms trained by
 * make_audio.py on synthetic tones, chirps and noise) with tones.wav: a 300 Hz tone at
 * 0.10-0.35 s and a rising chirp at 0.55-0.85 s.
 */
class SpectrogramAudioCliTest {
    static final Path AUDIO = Path.of("..", "fixtures", "audio");
    static final Path KWS = AUDIO.resolve("tiny_kws.onnx");
    static final Path CARD = AUDIO.resolve("tiny_kws.features.json");
    static final Path TONES = AUDIO.resolve("tones.wav");

    @TempDir
    Path dir;

    private Tensor attribute(String... args) {
        Path out = dir.resolve("a" + System.nanoTime() + ".npy");
        java.util.List<String> all = new java.util.ArrayList<>(java.util.List.of("attribute", "--quiet", "--model",
                KWS.toString(), "--output", out.toString()));
        all.addAll(java.util.List.of(args));
        CliRunner.Run r = CliRunner.run(all.toArray(String[]::new));
        assertThat(r.exitCode()).as("stderr: %s", r.err()).isZero();
        return Npy.read(out, "out");
    }

    /** Sum of a over the frames whose centres lie in [from, to) seconds (hop 10 ms). */
    static double mass(Tensor a, double from, double to) {
        double s = 0;
        for (int m = 0; m < 40; m++) {
            for (int f = (int) Math.ceil(from * 100); f < to * 100; f++) {
                s += a.getDouble(m * 101 + f);
            }
        }
        return s;
    }

    @Test
    void timeWindowsInMilliseconds_areWholeFrameWindowsOverEveryMelBand_fromSilence() {
        assertThat(KWS).as("committed fixture (fixtures/audio/make_audio.py)").exists();
        Tensor viaAudio = attribute("--audio", TONES.toString(), "--front-end", CARD.toString(), "--method", "occlusion",
                "--window-ms", "50", "--stride-ms", "20", "--target", "0");
        assertThat(viaAudio.shape()).containsExactly(1, 1, 40, 101);
        // the same run spelt out on the spectrogram: 5 frames x 40 mels, stride 2 frames, baseline each band's median
        LogMel lm = new LogMel(16000, 512, 160, 40, 0, 8000, 1e-6);
        double[][] s = lm.compute(AudioClip.load(TONES, 16000, "t").samples());
        double[] flat = new double[40 * 101];
        for (int m = 0; m < 40; m++) {
            System.arraycopy(s[m], 0, flat, m * 101, 101);
        }
        Path spec = dir.resolve("logmel.npy");
        Npy.write(Tensor.ofDoublesAsFloats(flat, 1, 1, 40, 101), spec);
        double[] median = new double[40 * 101];
        for (int m = 0; m < 40; m++) {
            double[] row = s[m].clone();
            java.util.Arrays.sort(row);
            java.util.Arrays.fill(median, m * 101, (m + 1) * 101, row[50]);
        }
        Path base = dir.resolve("background.npy");
        Npy.write(Tensor.ofDoublesAsFloats(median, 1, 1, 40, 101), base);
        Tensor direct = attribute("--input", spec.toString(), "--method", "occlusion", "--window", "1,40,5", "--stride",
                "1,40,2", "--baseline", base.toString(), "--target", "0");
        assertThat(viaAudio.toDoubleArray()).containsExactly(direct.toDoubleArray());
    }

    @Test
    void eachClassIsExplainedByItsOwnSound() {
        // class 0 (low tone) by the tone, class 2 (rising chirp) by the chirp. Integrated gradients from the
        // clip's background: the other sound counts against the class; occlusion (100 ms windows on a max-pooled
        // CNN whose low-tone features also fire at the chirp's low start) only ranks the two sounds
        Tensor low = attribute("--audio", TONES.toString(), "--front-end", CARD.toString(), "--method",
                "integrated-gradients", "--target", "0");
        Tensor chirp = attribute("--audio", TONES.toString(), "--front-end", CARD.toString(), "--method",
                "integrated-gradients", "--target", "2");
        assertThat(mass(low, 0.10, 0.36)).as("IG, low tone").isPositive();
        assertThat(mass(low, 0.55, 0.86)).as("IG, low tone, at the chirp").isNegative();
        assertThat(mass(chirp, 0.55, 0.86)).as("IG, chirp").isPositive();
        assertThat(mass(chirp, 0.10, 0.36)).as("IG, chirp, at the tone").isNegative();
        Tensor lowOcc = attribute("--audio", TONES.toString(), "--front-end", CARD.toString(), "--method", "occlusion",
                "--target", "0");
        Tensor chirpOcc = attribute("--audio", TONES.toString(), "--front-end", CARD.toString(), "--method", "occlusion",
                "--target", "2");
        assertThat(mass(lowOcc, 0.10, 0.36)).as("occlusion, low tone").isGreaterThan(mass(lowOcc, 0.55, 0.86));
        assertThat(mass(chirpOcc, 0.55, 0.86)).as("occlusion, chirp").isGreaterThan(1.5 * mass(chirpOcc, 0.10, 0.36));
    }

    @Test
    void aClipOfTheWrongLength_isAOneLineErrorSayingWhichLengthFits() {
        Path shortClip = dir.resolve("short.wav");
        Wav.write(new float[][] {new float[8000]}, 16000, Wav.Encoding.PCM_16, shortClip);
        CliRunner.Run r = CliRunner.run("attribute", "--model", KWS.toString(), "--audio", shortClip.toString(),
                "--front-end", CARD.toString(), "--method", "saliency", "--output", dir.resolve("o.npy").toString());
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.err().strip()).doesNotContain("\n").contains("gives 51 frames").contains("takes 101 frames")
                .contains("16000 to 16159 samples");
    }

    @Test
    void aFrontEndCardWithAnImpossibleFft_isAOneLineErrorNamingFrontEnd() throws Exception {
        Path card = dir.resolve("bad.features.json");
        java.nio.file.Files.writeString(card, "{\"sample_rate\": 16000, \"n_fft\": 500, \"hop\": 160, "
                + "\"n_mels\": 40, \"f_min\": 0, \"f_max\": 8000, \"log_offset\": 1e-6}");
        CliRunner.Run r = CliRunner.run("attribute", "--model", KWS.toString(), "--audio", TONES.toString(),
                "--front-end", card.toString(), "--method", "saliency", "--output", dir.resolve("o.npy").toString());
        assertThat(r.exitCode()).as("stderr: %s", r.err()).isEqualTo(2);
        assertThat(r.err().strip()).doesNotContain("\n")
                .startsWith("explain4j: error: --front-end card: invalid log-mel settings: sample_rate 16000, n_fft 500 "
                        + "(a power of two)")
                .doesNotContain("features");
    }
}
