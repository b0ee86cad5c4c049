package org.explain4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.explain4j.core.audio.Resampler;
import org.explain4j.core.io.Npy;
import org.explain4j.core.io.Wav;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --audio} on the tiny models of {@code fixtures/audio} (made by make_audio.py from
 * formulas this test recomputes by hand) and on Silero VAD v5 with the committed speech clip.
 */
class AudioCliTest {
    static final Path AUDIO = Path.of("..", "fixtures", "audio");
    static final Path WAVE_MODEL = AUDIO.resolve("tiny_wave.onnx");
    static final Path VAD_MODEL = AUDIO.resolve("tiny_vad.onnx");
    static final Pattern AUDIO_URI = Pattern.compile("<audio controls preload=\"none\" src=\"data:audio/wav;base64,([A-Za-z0-9+/=]+)\">");

    @TempDir
    Path dir;

    static float[] signal(int n) {
        float[] x = new float[n];
        for (int t = 0; t < n; t++) {
            x[t] = (float) (0.5 * Math.sin(t * 0.07) + 0.1 * Math.cos(t * 0.31) + (t > n / 2 ? 0.2 : 0));
        }
        return x;
    }

    /** tiny_wave's first output's weight at sample t. */
    static double w0(int t) {
        return Math.cos(2 * Math.PI * t / 100);
    }

    private Path wav(String name, float[] x, int rate) {
        Path p = dir.resolve(name);
        Wav.write(new float[][] {x}, rate, Wav.Encoding.FLOAT_32, p);
        return p;
    }

    private double[] attribute(String... args) {
        Path out = dir.resolve("a" + System.nanoTime() + ".npy");
        List<String> all = new ArrayList<>(List.of("attribute", "--quiet", "--output", out.toString()));
        all.addAll(List.of(args));
        CliRunner.Run r = CliRunner.run(all.toArray(String[]::new));
        assertThat(r.exitCode()).as("exit code; stderr: %s", r.err()).isZero();
        double[] v = Npy.read(out, "out").toDoubleArray();
        assertThat(Npy.read(out, "out").shape()).as("one value per sample").hasSize(2);
        return v;
    }

    @Test
    void occlusionOverTimeWindows_equalsTheHandComputation() {
        assertThat(WAVE_MODEL).as("committed fixture (fixtures/audio/make_audio.py)").exists();
        float[] x = signal(800);
        Path clip = wav("x.wav", x, 16000);
        // 5 ms = 80 samples, stride 2.5 ms = 40 samples: windows start at 0, 40, ..., 720 (19 positions)
        double[] got = attribute("--model", WAVE_MODEL.toString(), "--audio", clip.toString(), "--method", "occlusion",
                "--window-ms", "5", "--stride-ms", "2.5", "--target", "0");
        double[] sum = new double[800];
        int[] count = new int[800];
        for (int start = 0; start + 80 <= 800; start += 40) {
            double diff = 0; // f(x) - f(x with the window silenced): the linear output's terms in the window
            for (int t = start; t < start + 80; t++) {
                diff += w0(t) * x[t];
            }
            for (int t = start; t < start + 80; t++) {
                sum[t] += diff;
                count[t]++;
            }
        }
        assertThat(got).hasSize(800);
        for (int t = 0; t < 800; t++) {
            assertThat(got[t]).as("sample %d", t).isCloseTo(sum[t] / count[t], within(2e-4));
        }
        assertThat(Arrays.stream(got).map(Math::abs).max().orElse(0)).isGreaterThan(0.5);
    }

    @Test
    void segmentMethods_giveEachSegmentItsContribution() {
        float[] x = signal(800);
        Path clip = wav("x.wav", x, 16000);
        // 10 ms segments = 160 samples, 5 of them; for a linear model the Shapley value and the ablation
        // effect of a segment are both its terms' sum
        double[] seg = new double[5];
        for (int t = 0; t < 800; t++) {
            seg[t / 160] += w0(t) * x[t];
        }
        for (String method : List.of("kernel-shap", "feature-ablation")) {
            double[] got = attribute("--model", WAVE_MODEL.toString(), "--audio", clip.toString(), "--method", method,
                    "--window-ms", "10", "--target", "0");
            for (int t = 0; t < 800; t++) {
                assertThat(got[t]).as("%s at sample %d", method, t).isCloseTo(seg[t / 160], within(2e-4));
            }
        }
    }

    @Test
    void npyWaveform_isTakenAtTheModelsRate_andGivesWhatTheSameWavGives() {
        float[] x = signal(800);
        Path clip = wav("x.wav", x, 16000);
        Path npy = dir.resolve("x.npy");
        Npy.write(org.explain4j.core.Tensor.ofFloats(x, 1, 800), npy);
        double[] fromWav = attribute("--model", WAVE_MODEL.toString(), "--audio", clip.toString(), "--method",
                "input-x-gradient", "--target", "0");
        double[] fromNpy = attribute("--model", WAVE_MODEL.toString(), "--audio", npy.toString(), "--method",
                "input-x-gradient", "--target", "0");
        assertThat(fromNpy).containsExactly(fromWav);
        for (int t = 0; t < 800; t++) {
            assertThat(fromNpy[t]).isCloseTo(w0(t) * x[t], within(1e-6));
        }
    }

    @Test
    void stereo48kWav_isAveragedAndResampledBeforeTheModel() {
        float[] l = signal(2400);
        float[] r = new float[2400];
        for (int i = 0; i < r.length; i++) {
            r[i] = (float) (0.3 * Math.cos(i * 0.01));
        }
        Path p = dir.resolve("st.wav");
        Wav.write(new float[][] {l, r}, 48000, Wav.Encoding.PCM_16, p);
        Wav.Audio a = Wav.read(p, "t");
        float[] mono = Resampler.resample(a.mono(), 48000, 16000);
        assertThat(mono).hasSize(800);
        // input x gradient of output 1 (weights t / 800) is (t / 800) * x16k[t]
        double[] got = attribute("--model", WAVE_MODEL.toString(), "--audio", p.toString(), "--method", "input-x-gradient",
                "--target", "1");
        for (int t = 0; t < 800; t++) {
            assertThat(got[t]).isCloseTo(t / 800.0 * mono[t], within(1e-6));
        }
    }

    /** tiny_vad run by hand: the chunk probabilities with the state carried (16 kHz: 64 + 512 samples per call). */
    static double[] vadByHand(float[] clip, double[][] gradOut) {
        int k = (clip.length + 511) / 512;
        double[] p = new double[k];
        double[] s0 = new double[4];
        for (int c = 0; c < k; c++) {
            double z = 0;
            double mean = 0;
            for (int j = 0; j < 576; j++) {
                int t = c * 512 - 64 + j;
                double v = t >= 0 && t < clip.length ? clip[t] : 0;
                z += Math.sin(j / 40.0) * v;
                mean += v / 576;
            }
            for (double s : s0) {
                z += s;
            }
            p[c] = 1 / (1 + Math.exp(-z));
            if (gradOut != null) {
                gradOut[c] = new double[] {p[c] * (1 - p[c])};
            }
            for (int i = 0; i < 4; i++) {
                s0[i] = 0.5 * s0[i] + mean * (i + 1);
            }
        }
        return p;
    }

    @Test
    void streamingVad_gradientsAreStitchedChunkCalls_withTheCarriedStateFed() {
        assertThat(VAD_MODEL).as("committed fixture (fixtures/audio/make_audio.py)").exists();
        float[] x = signal(1300);
        for (int i = 0; i < x.length; i++) {
            x[i] *= 0.05f; // keep the sigmoid away from saturation
        }
        Path clip = wav("v.wav", x, 16000);
        double[][] slope = new double[3][];
        double[] p = vadByHand(x, slope);
        assertThat(p[1]).as("the state changes chunk 1's probability").isNotCloseTo(p[0], within(1e-3));
        // saliency without abs, default target: the mean of the 3 chunk probabilities
        double[] got = attribute("--model", VAD_MODEL.toString(), "--audio", clip.toString(), "--method", "saliency",
                "--abs", "false");
        double[] want = new double[1300];
        for (int c = 0; c < 3; c++) {
            for (int j = 0; j < 576; j++) {
                int t = c * 512 - 64 + j;
                if (t >= 0 && t < 1300) {
                    want[t] += slope[c][0] * Math.sin(j / 40.0) / 3;
                }
            }
        }
        for (int t = 0; t < 1300; t++) {
            assertThat(got[t]).as("sample %d", t).isCloseTo(want[t], within(1e-6));
        }
        // one chunk: --target 1 explains chunk 1 (samples 448..1023)
        double[] one = attribute("--model", VAD_MODEL.toString(), "--audio", clip.toString(), "--method", "saliency",
                "--abs", "false", "--target", "1");
        for (int t = 0; t < 1300; t++) {
            double w = t >= 448 && t < 1024 ? slope[1][0] * Math.sin((t - 448) / 40.0) : 0;
            assertThat(one[t]).as("sample %d", t).isCloseTo(w, within(1e-6));
        }
    }

    @Test
    void streamingVad_occlusionRunsTheWholeClipWithTheStateCarried() {
        float[] x = signal(1300);
        for (int i = 0; i < x.length; i++) {
            x[i] *= 0.05f;
        }
        Path clip = wav("v.wav", x, 16000);
        double base = Arrays.stream(vadByHand(x, null)).average().orElseThrow();
        // 8 ms = 128 samples, stride 4 ms = 64
        double[] got = attribute("--model", VAD_MODEL.toString(), "--audio", clip.toString(), "--method", "occlusion",
                "--window-ms", "8", "--stride-ms", "4");
        double[] sum = new double[1300];
        int[] count = new int[1300];
        for (int start = 0; ; start += 64) {
            int end = Math.min(1300, start + 128);
            float[] y = x.clone();
            Arrays.fill(y, start, end, 0f);
            double diff = base - Arrays.stream(vadByHand(y, null)).average().orElseThrow();
            for (int t = start; t < end; t++) {
                sum[t] += diff;
                count[t]++;
            }
            if (start + 128 >= 1300) {
                break;
            }
        }
        for (int t = 0; t < 1300; t++) {
            assertThat(got[t]).as("sample %d", t).isCloseTo(sum[t] / count[t], within(1e-6));
        }
    }

    @Test
    void explainReport_playsTheClipAndItsMostRelevantSegments_andItsCommandsReproduce() throws Exception {
        float[] x = signal(8000); // 0.5 s: two 250 ms segments
        for (int i = 0; i < x.length; i++) {
            x[i] *= 0.05f;
        }
        Path clip = wav("v.wav", x, 16000);
        Path out = dir.resolve("rep");
        CliRunner.Run r = CliRunner.run("explain", "--quiet", "--model", VAD_MODEL.toString(), "--audio", clip.toString(),
                "--methods", "saliency,occlusion", "--out", out.toString());
        assertThat(r.exitCode()).as("stderr: %s", r.err()).isZero();
        String html = Files.readString(out.resolve("report.html"), StandardCharsets.UTF_8);
        List<float[]> sounds = new ArrayList<>();
        Matcher m = AUDIO_URI.matcher(html);
        while (m.find()) {
            sounds.add(Wav.read(Base64.getDecoder().decode(m.group(1)), "report", "data uri").channels()[0]);
        }
        assertThat(sounds).as("the whole clip, then up to 3 segments per method").hasSizeGreaterThanOrEqualTo(2);
        float[] whole = sounds.get(0);
        assertThat(whole).hasSize(8000);
        for (int i = 0; i < 8000; i++) {
            assertThat((double) whole[i]).isCloseTo(x[i], within(1.0 / 32768 + 1e-7));
        }
        var sections = Reports.sections(html);
        assertThat(sections).containsKeys("saliency", "occlusion");
        for (var s : sections.values()) {
            double[] written = Npy.read(out.resolve(s.title() + ".npy"), "npy").toDoubleArray();
            List<String> words = Reports.shellWords(s.command());
            assertThat(words.subList(0, 2)).containsExactly("explain4j", "attribute");
            List<String> args = new ArrayList<>(words.subList(1, words.size()));
            int o = args.indexOf("--output");
            Path again = dir.resolve(s.title() + "-again.npy");
            args.set(o + 1, again.toString());
            args.add("--quiet");
            CliRunner.Run rr = CliRunner.run(args.toArray(String[]::new));
            assertThat(rr.exitCode()).as("%s: %s", s.command(), rr.err()).isZero();
            assertThat(Npy.read(again, "again").toDoubleArray()).as(s.title()).containsExactly(written);
            // a played segment is a stretch of the clip itself
        }
        float[] seg = sounds.get(1);
        assertThat(seg).hasSize(4000);
        boolean first = Arrays.equals(seg, Arrays.copyOfRange(whole, 0, 4000));
        boolean second = Arrays.equals(seg, Arrays.copyOfRange(whole, 4000, 8000));
        assertThat(first || second).as("a played segment is one of the clip's 250 ms segments").isTrue();
        assertThat(Reports.png(out.resolve("occlusion.png")).getWidth()).isEqualTo(1000);
    }

    @Test
    void badAudioArguments_areOneLineErrors() throws Exception {
        Path clip = wav("x.wav", signal(800), 16000);
        Path broken = dir.resolve("broken.wav");
        Files.write(broken, Arrays.copyOf(Files.readAllBytes(clip), 30));
        String[][] cases = {
                {"--method", "saliency", "--audio", broken.toString()},
                {"--method", "saliency", "--audio", clip.toString(), "--window-ms", "5"},
                {"--method", "occlusion", "--audio", clip.toString(), "--window-ms", "80"},
                {"--method", "occlusion", "--audio", clip.toString(), "--window", "5"},
                {"--method", "kernel-shap", "--audio", clip.toString(), "--stride-ms", "5"},
                {"--method", "occlusion", "--input", clip.toString(), "--window-ms", "5"},
        };
        String[] expected = {"--audio " + broken + " has a malformed fmt chunk", "--window-ms does not apply to saliency",
                "--window-ms 80 is longer than the clip", "--window counts samples", "--stride-ms does not apply to kernel-shap",
                "--window-ms needs --audio"};
        int[] codes = {7, 2, 2, 2, 2, 2};
        for (int i = 0; i < cases.length; i++) {
            List<String> args = new ArrayList<>(List.of("attribute", "--model", WAVE_MODEL.toString(), "--output",
                    dir.resolve("o.npy").toString()));
            args.addAll(List.of(cases[i]));
            CliRunner.Run r = CliRunner.run(args.toArray(String[]::new));
            assertThat(r.exitCode()).as("%s: %s", List.of(cases[i]), r.err()).isEqualTo(codes[i]);
            assertThat(r.err().strip()).as("one line").doesNotContain("\n").contains(expected[i]);
        }
        CliRunner.Run e = CliRunner.run("explain", "--model", WAVE_MODEL.toString(), "--audio", clip.toString(), "--evaluate",
                "--out", dir.resolve("e").toString());
        assertThat(e.exitCode()).isEqualTo(2);
        assertThat(e.err().strip()).doesNotContain("\n").contains("--evaluate does not apply to --audio");
        CliRunner.Run n = CliRunner.run("explain", "--model", WAVE_MODEL.toString(), "--out", dir.resolve("n").toString());
        assertThat(n.exitCode()).isEqualTo(2);
        assertThat(n.err().strip()).contains("--input or --audio is required");
    }
}
