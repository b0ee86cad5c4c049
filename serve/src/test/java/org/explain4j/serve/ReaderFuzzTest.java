package org.explain4j.serve;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.explain4j.cli.Inputs;
import org.explain4j.core.DType;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.core.io.Npy;
import org.explain4j.core.model.ModelSignature;
import org.explain4j.onnx.OnnxModel;

/**
 * The readers of untrusted input (.npy, PNG/JPEG, CSV, ONNX) on malformed, truncated and mutated
 * files and headers claiming huge shapes: each either reads a tensor or throws the project's
 * {@link Explain4jException}; nothing else escapes, nothing hangs, no header makes it allocate
 * what the file does not hold.
 */
class ReaderFuzzTest {
    static Path dir;
    static final ModelSignature DIGITS = ModelSignature.of(DType.FLOAT32, new int[] {1, 8, 8}, 10);

    @BeforeContainer
    static void folder() throws IOException {
        dir = Files.createTempDirectory("explain4j-fuzz");
    }

    @AfterContainer
    static void clean() throws IOException {
        try (var s = Files.list(dir)) {
            for (Path p : s.toList()) {
                Files.deleteIfExists(p);
            }
        }
        Files.deleteIfExists(dir);
    }

    /** Runs {@code r}: a result or the project's error, within a time bound. */
    static void onlyOwnErrors(ThrowingRunnable r) {
        long t0 = System.nanoTime();
        try {
            r.run();
        } catch (Explain4jException expected) {
            assertThat(expected.getMessage()).isNotBlank().doesNotContain("\n");
        } catch (Throwable t) {
            throw new AssertionError("escaped: " + t, t);
        }
        assertThat((System.nanoTime() - t0) / 1e9).as("seconds").isLessThan(10.0);
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    // ---- .npy

    static byte[] validNpy(int rows) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            Npy.write(Tensor.full(DType.FLOAT32, 0.5, rows, 3), out);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toByteArray();
    }

    static byte[] npyWithHeader(String header, int dataBytes) {
        String h = header;
        while ((10 + h.length() + 1) % 64 != 0) {
            h += " ";
        }
        h += "\n";
        byte[] hb = h.getBytes(StandardCharsets.ISO_8859_1);
        byte[] out = new byte[10 + hb.length + dataBytes];
        byte[] magic = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
        System.arraycopy(magic, 0, out, 0, 8);
        out[8] = (byte) (hb.length & 0xff);
        out[9] = (byte) (hb.length >> 8);
        System.arraycopy(hb, 0, out, 10, hb.length);
        return out;
    }

    @Provide
    Arbitrary<byte[]> npyFiles() {
        Arbitrary<byte[]> mutated = Combinators.combine(Arbitraries.integers().between(1, 6),
                Arbitraries.integers().between(0, 400), Arbitraries.bytes(), Arbitraries.integers().between(0, 2))
                .as((rows, at, b, how) -> {
                    byte[] v = validNpy(rows);
                    int i = at % v.length;
                    return switch (how) {
                        case 0 -> Arrays.copyOf(v, i); // truncated
                        case 1 -> {
                            v[i] = b;
                            yield v;
                        }
                        default -> {
                            v[Math.min(i, 9)] = b; // the header's length and version bytes
                            yield v;
                        }
                    };
                });
        Arbitrary<String> dims = Arbitraries.of("2147483647", "-1", "0", "65536", "4294967296", "99999999999999999999",
                "3L", "x", "", " ", "1e9", "46341", "2", "1");
        Arbitrary<byte[]> huge = Combinators.combine(dims.list().ofMinSize(0).ofMaxSize(5), Arbitraries.of("<f4", "<f8",
                "<i4", "<i8", "|u1", ">f4", "<f2", "'"), Arbitraries.integers().between(0, 64))
                .as((d, descr, data) -> npyWithHeader("{'descr': '" + descr + "', 'fortran_order': False, 'shape': ("
                        + String.join(", ", d) + (d.size() == 1 ? "," : "") + "), }", data));
        return Arbitraries.oneOf(mutated, huge, Arbitraries.bytes().array(byte[].class).ofMaxSize(200));
    }

    @Property(tries = 400)
    void npyReaderRaisesOnlyItsOwnErrors(@ForAll("npyFiles") byte[] file) {
        onlyOwnErrors(() -> Npy.read(new ByteArrayInputStream(file), "fuzz"));
    }

    // ---- PNG / JPEG

    static byte[] validImage(String format, int w, int h) {
        java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(w, h, java.awt.image.BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, (x * 31 + y * 17) * 0x010203);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            javax.imageio.ImageIO.write(img, format, out);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toByteArray();
    }

    /** A PNG whose header claims {@code w x h} pixels (with a valid CRC), followed by a little data. */
    static byte[] pngClaiming(int w, int h) {
        byte[] v = validImage("png", 4, 4);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(v);
        b.putInt(16, w);
        b.putInt(20, h);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(v, 12, 17);
        b.putInt(29, (int) crc.getValue());
        return v;
    }

    @Provide
    Arbitrary<Object[]> images() {
        Arbitrary<Object[]> mutated = Combinators.combine(Arbitraries.of("png", "jpeg"), Arbitraries.integers().between(0,
                2000), Arbitraries.bytes(), Arbitraries.integers().between(0, 1))
                .as((f, at, b, how) -> {
                    byte[] v = validImage(f, 8, 8);
                    int i = at % v.length;
                    if (how == 0) {
                        v = Arrays.copyOf(v, i);
                    } else {
                        v[i] = b;
                    }
                    return new Object[] {f, v};
                });
        Arbitrary<Object[]> huge = Combinators.combine(Arbitraries.of(1, 8, 65_535, 100_000, 1 << 20, Integer.MAX_VALUE, 0,
                -1), Arbitraries.of(1, 8, 65_535, 100_000, 1 << 20, Integer.MAX_VALUE, 0, -1))
                .as((w, h) -> new Object[] {"png", pngClaiming(w, h)});
        return Arbitraries.oneOf(mutated, huge);
    }

    @Property(tries = 200)
    void imageReaderRaisesOnlyItsOwnErrors(@ForAll("images") Object[] image) throws IOException {
        Path f = Files.write(dir.resolve("fuzz." + image[0]), (byte[]) image[1]);
        onlyOwnErrors(() -> Inputs.read(f, DIGITS, null));
    }

    // ---- CSV

    @Provide
    Arbitrary<String> csvFiles() {
        Arbitrary<String> cell = Arbitraries.oneOf(Arbitraries.of("1", "-2.5", "NaN", "inf", "", " ", "1e999", "x",
                "\"1\"", "0x10", "1,2"), Arbitraries.strings().ofMaxLength(6));
        Arbitrary<String> line = cell.list().ofMinSize(0).ofMaxSize(5).map(l -> String.join(",", l));
        return line.list().ofMinSize(0).ofMaxSize(5).map(l -> String.join("\n", l));
    }

    @Property(tries = 300)
    void csvReaderRaisesOnlyItsOwnErrors(@ForAll("csvFiles") String csv) throws IOException {
        Path f = Files.writeString(dir.resolve("fuzz.csv"), csv, StandardCharsets.UTF_8);
        onlyOwnErrors(() -> Inputs.read(f, ModelSignature.of(DType.FLOAT32, new int[] {-1}, 2), null));
    }

    // ---- ONNX

    @Provide
    Arbitrary<byte[]> onnxFiles() {
        byte[] model;
        try {
            model = Files.readAllBytes(TestServer.digits().resolve("digits_cnn.onnx"));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        Arbitrary<byte[]> truncated = Arbitraries.integers().between(1, model.length - 1)
                .map(n -> Arrays.copyOf(model, n));
        Arbitrary<byte[]> flipped = Combinators.combine(Arbitraries.integers().between(0, Math.min(model.length - 1, 400)),
                Arbitraries.bytes()).as((i, b) -> {
                    byte[] v = model.clone();
                    v[i] = b;
                    return v;
                });
        return Arbitraries.oneOf(truncated, flipped, Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(300));
    }

    @Property(tries = 60)
    void onnxLoaderRaisesOnlyItsOwnErrors(@ForAll("onnxFiles") byte[] file) throws IOException {
        Path f = Files.write(dir.resolve("fuzz.onnx"), file);
        onlyOwnErrors(() -> {
            try (OnnxModel m = OnnxModel.load(f)) {
                m.signature();
            }
        });
    }
}
