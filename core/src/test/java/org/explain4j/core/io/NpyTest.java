package org.explain4j.core.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.explain4j.core.DType;
import org.explain4j.core.ErrorKind;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyTest {
    @TempDir
    Path dir;

    @Test
    void float32RoundTrip_keepsShapeAndValues() {
        Tensor t = Tensor.ofFloats(new float[] {1.5f, -2f, 3.25f, 0f, 7f, 8f}, 2, 3);
        Path p = dir.resolve("a.npy");
        Npy.write(t, p);
        assertThat(Npy.read(p)).isEqualTo(t);
    }

    @Test
    void float64AndInt64RoundTrip_keepTypes() {
        Tensor d = Tensor.ofDoubles(new double[] {1e-300, Math.PI}, 2);
        Tensor l = Tensor.ofLongs(new long[] {Long.MAX_VALUE, -1, 0, 42}, 1, 2, 2);
        Npy.write(d, dir.resolve("d.npy"));
        Npy.write(l, dir.resolve("l.npy"));
        assertThat(Npy.read(dir.resolve("d.npy"))).isEqualTo(d);
        assertThat(Npy.read(dir.resolve("l.npy"))).isEqualTo(l);
    }

    @Test
    void scalarShape_roundTrips() {
        Tensor s = Tensor.ofFloats(new float[] {3f});
        Npy.write(s, dir.resolve("s.npy"));
        assertThat(Npy.read(dir.resolve("s.npy")).shape()).isEmpty();
    }

    @Test
    void header_isPaddedTo64BytesAsNumpyRequires() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Npy.write(Tensor.ofFloats(new float[3], 3), out);
        byte[] b = out.toByteArray();
        int headerLen = ByteBuffer.wrap(b, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort();
        assertThat((10 + headerLen) % 64).isZero();
        assertThat(b.length).isEqualTo(10 + headerLen + 12);
    }

    @Test
    void int32_isReadAsInt32AndWrittenBackAsInt32() throws Exception {
        Path p = dir.resolve("i.npy");
        Files.write(p, npy("<i4", "(3,)", ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putInt(1).putInt(-2).putInt(3).array()));
        Tensor t = Npy.read(p);
        assertThat(t.dtype()).isEqualTo(DType.INT32);
        assertThat(t.toLongArray()).containsExactly(1, -2, 3);
        Path back = dir.resolve("back.npy");
        Npy.write(t, back);
        assertThat(Npy.read(back).dtype()).isEqualTo(DType.INT32);
        assertThat(Npy.read(back).toLongArray()).containsExactly(1, -2, 3);
    }

    @Test
    void bigEndian_isRefusedWithAFix() throws Exception {
        Path p = dir.resolve("be.npy");
        Files.write(p, npy(">f4", "(1,)", new byte[4]));
        assertThatThrownBy(() -> Npy.read(p, "--input"))
                .isInstanceOfSatisfying(Explain4jException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.DTYPE))
                .hasMessageContaining("'>f4'").hasMessageContaining("little-endian");
    }

    @Test
    void fortranOrder_isRefused() throws Exception {
        Path p = dir.resolve("f.npy");
        byte[] header = "{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }".getBytes(StandardCharsets.ISO_8859_1);
        Files.write(p, raw(header, new byte[4]));
        assertThatThrownBy(() -> Npy.read(p)).hasMessageContaining("Fortran order");
    }

    @Test
    void truncatedData_isAFileError() throws Exception {
        Path p = dir.resolve("t.npy");
        Files.write(p, npy("<f4", "(4,)", new byte[8]));
        assertThatThrownBy(() -> Npy.read(p, "--input"))
                .isInstanceOfSatisfying(Explain4jException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.FILE))
                .hasMessageContaining("--input");
    }

    @Test
    void aClaimedShapeWhoseByteCountOverflows_isAFileError() throws Exception {
        // (2^31-1)^2 float32 elements: the element count fits a long, count * 4 does not (found by ReaderFuzzTest)
        Path p = dir.resolve("huge.npy");
        Files.write(p, npy("<f4", "(2147483647, 2147483647)", new byte[16]));
        assertThatThrownBy(() -> Npy.read(p, "--input"))
                .isInstanceOfSatisfying(Explain4jException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.FILE))
                .hasMessageContaining("holds 16 data bytes");
    }

    @Test
    void notAnNpyFile_andMissingFile_areFileErrors() throws Exception {
        Path p = dir.resolve("x.npy");
        Files.writeString(p, "hello, this is text");
        assertThatThrownBy(() -> Npy.read(p, "--input")).hasMessageContaining("not a valid .npy file");
        assertThatThrownBy(() -> Npy.read(dir.resolve("missing.npy"), "--baseline"))
                .isInstanceOfSatisfying(Explain4jException.class, e -> {
                    assertThat(e.kind()).isEqualTo(ErrorKind.FILE);
                    assertThat(e.argument()).isEqualTo("--baseline");
                })
                .hasMessageContaining("file not found");
    }

    private static byte[] npy(String descr, String shape, byte[] data) {
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
        return raw(dict.getBytes(StandardCharsets.ISO_8859_1), data);
    }

    private static byte[] raw(byte[] dict, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(10 + dict.length + 1 + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
        b.putShort((short) (dict.length + 1));
        b.put(dict).put((byte) '\n').put(data);
        return b.array();
    }
}
