package org.explain4j.core.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.explain4j.core.ErrorKind;
import org.explain4j.core.Explain4jException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WavTest {
    @TempDir
    Path dir;

    private static float[] ramp(int n, double freq, int rate) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (0.8 * Math.sin(2 * Math.PI * freq * i / rate));
        }
        return x;
    }

    @Test
    void pcm16RoundTrip_quantisesTo16Bits() {
        float[] x = ramp(1000, 440, 16000);
        Wav.Audio a = Wav.read(Wav.encodePcm16(x, 16000), "--audio", "t.wav");
        assertThat(a.sampleRate()).isEqualTo(16000);
        assertThat(a.encoding()).isEqualTo(Wav.Encoding.PCM_16);
        assertThat(a.frames()).isEqualTo(1000);
        for (int i = 0; i < x.length; i++) {
            // the nearest 16-bit level: error at most half a step
            assertThat((double) a.channels()[0][i]).isCloseTo(x[i], within(0.5 / 32768 + 1e-9));
            assertThat(a.channels()[0][i] * 32768).isEqualTo((float) Math.rint(x[i] * 32768));
        }
    }

    @Test
    void float32RoundTrip_isExact() {
        float[] x = ramp(777, 123.4, 22050);
        x[5] = 1.75f; // float files may exceed [-1, 1] and keep it
        Wav.Audio a = Wav.read(Wav.encode(new float[][] {x}, 22050, Wav.Encoding.FLOAT_32), "--audio", "f.wav");
        assertThat(a.encoding()).isEqualTo(Wav.Encoding.FLOAT_32);
        assertThat(a.channels()[0]).containsExactly(x);
    }

    @Test
    void stereoRoundTrip_keepsChannelsAndMonoIsTheirMean() throws Exception {
        float[] l = ramp(300, 200, 8000);
        float[] r = ramp(300, 900, 8000);
        for (Wav.Encoding enc : Wav.Encoding.values()) {
            Path p = dir.resolve(enc + ".wav");
            Wav.write(new float[][] {l, r}, 8000, enc, p);
            Wav.Audio a = Wav.read(p, "--audio");
            double tol = enc == Wav.Encoding.PCM_U8 ? 1.0 / 128 : enc == Wav.Encoding.PCM_16 ? 1.0 / 32768 : 1e-6;
            assertThat(a.channels()).hasNumberOfRows(2);
            assertThat(a.encoding()).isEqualTo(enc);
            float[] mono = a.mono();
            for (int i = 0; i < 300; i++) {
                assertThat((double) a.channels()[0][i]).as(enc + " left").isCloseTo(l[i], within(tol));
                assertThat((double) a.channels()[1][i]).as(enc + " right").isCloseTo(r[i], within(tol));
                assertThat((double) mono[i]).isCloseTo((a.channels()[0][i] + a.channels()[1][i]) / 2.0, within(1e-7));
            }
            assertThat(Files.size(p)).isEqualTo(44 + 300L * 2 * enc.bytes() + ((300L * 2 * enc.bytes()) & 1));
        }
    }

    @Test
    void pcm16_readsKnownBytes() {
        // -32768, 32767, 1 as little-endian shorts
        byte[] w = Wav.encodePcm16(new float[3], 16000);
        ByteBuffer.wrap(w).order(ByteOrder.LITTLE_ENDIAN).putShort(44, (short) -32768).putShort(46, (short) 32767)
                .putShort(48, (short) 1);
        float[] s = Wav.read(w, "--audio", "k.wav").channels()[0];
        assertThat(s).containsExactly(-1f, 32767f / 32768f, 1f / 32768f);
    }

    @Test
    void extensibleHeader_andChunksBeforeData_areRead() {
        float[] x = ramp(64, 1000, 16000);
        byte[] plain = Wav.encode(new float[][] {x}, 16000, Wav.Encoding.FLOAT_32);
        // fmt chunk of 40 bytes, format 0xFFFE with the float sub-format, a LIST chunk of odd size (padded) before data
        ByteBuffer b = ByteBuffer.allocate(12 + 8 + 40 + 8 + 3 + 1 + 8 + 64 * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.put(ascii("RIFF")).putInt(b.capacity() - 8).put(ascii("WAVE"));
        b.put(ascii("fmt ")).putInt(40).putShort((short) 0xFFFE).putShort((short) 1).putInt(16000).putInt(64000)
                .putShort((short) 4).putShort((short) 32).putShort((short) 22).putShort((short) 32).putInt(4)
                .putShort((short) 3).put(new byte[14]);
        b.put(ascii("LIST")).putInt(3).put(new byte[] {1, 2, 3, 0});
        b.put(ascii("data")).putInt(64 * 4).put(plain, 44, 64 * 4);
        Wav.Audio a = Wav.read(b.array(), "--audio", "ext.wav");
        assertThat(a.encoding()).isEqualTo(Wav.Encoding.FLOAT_32);
        assertThat(a.channels()[0]).containsExactly(x);
    }

    @Test
    void malformedHeaders_giveOneLineFileErrorsNamingTheArgument() {
        byte[] ok = Wav.encodePcm16(new float[100], 16000);
        assertError(Arrays.copyOf(ok, 10), "too short");
        byte[] notRiff = ok.clone();
        notRiff[0] = 'X';
        assertError(notRiff, "not a WAV file");
        assertError(Arrays.copyOf(ok, 100), "truncated: its data chunk claims 200 bytes but only 56 follow");
        byte[] mp3 = ok.clone();
        ByteBuffer.wrap(mp3).order(ByteOrder.LITTLE_ENDIAN).putShort(20, (short) 85);
        assertError(mp3, "format code 85");
        byte[] bits = ok.clone();
        ByteBuffer.wrap(bits).order(ByteOrder.LITTLE_ENDIAN).putShort(34, (short) 12);
        assertError(bits, "12-bit PCM");
        byte[] align = ok.clone();
        ByteBuffer.wrap(align).order(ByteOrder.LITTLE_ENDIAN).putShort(32, (short) 3);
        assertError(align, "3 bytes per frame");
        byte[] rate = ok.clone();
        ByteBuffer.wrap(rate).order(ByteOrder.LITTLE_ENDIAN).putInt(24, 0);
        assertError(rate, "sample rate of 0 Hz");
        byte[] noData = Arrays.copyOf(ok, 36);
        assertError(noData, "no data chunk");
        byte[] huge = ok.clone();
        ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putInt(40, -1);
        assertError(huge, "claims 4294967295 bytes");
    }

    @Test
    void missingFile_isAFileError() {
        assertThatThrownBy(() -> Wav.read(dir.resolve("nope.wav"), "--audio"))
                .isInstanceOfSatisfying(Explain4jException.class, e -> {
                    assertThat(e.kind()).isEqualTo(ErrorKind.FILE);
                    assertThat(e.getMessage()).startsWith("--audio file not found").doesNotContain("\n");
                });
    }

    private static void assertError(byte[] bytes, String fragment) {
        assertThatThrownBy(() -> Wav.read(bytes, "--audio", "x.wav"))
                .isInstanceOfSatisfying(Explain4jException.class, e -> {
                    assertThat(e.kind()).isEqualTo(ErrorKind.FILE);
                    assertThat(e.argument()).isEqualTo("--audio");
                    assertThat(e.getMessage()).startsWith("--audio x.wav").contains(fragment).doesNotContain("\n");
                });
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    // ---- fuzzing: malformed, truncated and lying headers never escape as anything but Explain4jException

    @Provide
    Arbitrary<byte[]> mutatedWavs() {
        Arbitrary<Integer> frames = Arbitraries.integers().between(0, 40);
        Arbitrary<Wav.Encoding> enc = Arbitraries.of(Wav.Encoding.class);
        Arbitrary<Integer> channels = Arbitraries.integers().between(1, 3);
        Arbitrary<byte[]> valid = net.jqwik.api.Combinators.combine(frames, enc, channels).as((n, e, c) -> {
            float[][] ch = new float[c][n];
            for (int k = 0; k < c; k++) {
                for (int i = 0; i < n; i++) {
                    ch[k][i] = (float) Math.sin(i * 0.3 + k);
                }
            }
            return Wav.encode(ch, 16000, e);
        });
        // an int field overwritten with an extreme value, bytes flipped, the file cut short
        Arbitrary<int[]> edits = Arbitraries.integers().between(0, 70).array(int[].class).ofMinSize(0).ofMaxSize(4);
        Arbitrary<Integer> extreme = Arbitraries.of(0, 1, -1, Integer.MAX_VALUE, Integer.MIN_VALUE, 0x7FFFFFF0, 16, 40, 0xFFFE,
                3, 65535);
        return net.jqwik.api.Combinators.combine(valid, edits, extreme, Arbitraries.integers().between(0, 2000),
                Arbitraries.integers().between(0, 255)).as((w, at, value, cut, flip) -> {
                    byte[] b = w.clone();
                    ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
                    for (int i = 0; i < at.length; i++) {
                        int pos = at[i];
                        if (i % 2 == 0 && pos + 4 <= b.length) {
                            bb.putInt(pos, value);
                        } else if (pos < b.length) {
                            b[pos] = (byte) (b[pos] ^ flip);
                        }
                    }
                    return Arrays.copyOf(b, Math.min(b.length, cut));
                });
    }

    @Property(tries = 3000)
    void mutatedHeaders_readOrFailWithTheProjectsError(@ForAll("mutatedWavs") byte[] bytes) {
        assertReadsOrRefuses(bytes);
    }

    @Property(tries = 1000)
    void randomBytesAfterARiffHeader_readOrFailWithTheProjectsError(
            @ForAll @net.jqwik.api.constraints.Size(max = 200) byte[] tail, @ForAll @IntRange(min = 0, max = 3) int kind) {
        byte[] head = switch (kind) {
            case 0 -> ascii("RIFF\0\0\0\0WAVE");
            case 1 -> ascii("RIFF\0\0\0\0WAVEfmt ");
            case 2 -> ascii("RIFF\0\0\0\0WAVEdata");
            default -> new byte[0];
        };
        byte[] b = Arrays.copyOf(head, head.length + tail.length);
        System.arraycopy(tail, 0, b, head.length, tail.length);
        assertReadsOrRefuses(b);
    }

    @Property(tries = 200)
    void hugeClaimedSizes_doNotAllocateOrHang(@ForAll @IntRange(min = 0, max = 3) int field,
                                               @ForAll @IntRange(min = 0, max = 64) int frames) {
        byte[] b = Wav.encode(new float[][] {new float[frames]}, 16000, Wav.Encoding.PCM_16);
        // RIFF size, fmt size, data size, channels: each claims the most it can
        int[] pos = {4, 16, 40, 22};
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        if (field == 3) {
            bb.putShort(22, (short) -1);
        } else {
            bb.putInt(pos[field], -1);
        }
        assertReadsOrRefuses(b);
    }

    private static void assertReadsOrRefuses(byte[] bytes) {
        long start = System.nanoTime();
        try {
            Wav.Audio a = Wav.read(bytes, "--audio", "fuzz.wav");
            // what was read fits in the bytes given
            long samples = (long) a.frames() * a.channels().length;
            assertThat(samples * a.encoding().bytes()).isLessThanOrEqualTo(bytes.length);
            assertThat(a.sampleRate()).isBetween(1, 1_000_000);
        } catch (Explain4jException e) {
            assertThat(e.kind()).isEqualTo(ErrorKind.FILE);
            assertThat(e.getMessage()).startsWith("--audio fuzz.wav ").doesNotContain("\n");
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }
}
