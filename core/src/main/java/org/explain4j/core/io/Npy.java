package org.explain4j.core.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;

/**
 * Reads and writes NumPy {@code .npy} files (format versions 1.0, 2.0 and 3.0): little-endian
 * float32, float64, int32 and int64 arrays in C order. int32 arrays are read as int32 tensors
 * (held as longs; a model taking int64 widens them), so that messages name their real type.
 * Anything else (big-endian data, Fortran order, other types, object arrays) is refused with a
 * message that says how to re-save the array.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private Npy() {
    }

    /** Reads a file; {@code argument} names the option the path came from, for error messages. */
    public static Tensor read(Path path, String argument) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw Explain4jException.file(argument, argument + ": file not found: " + path + "; check the path");
        } catch (IOException e) {
            throw Explain4jException.file(argument, argument + ": cannot read " + path + ": " + e.getMessage(), e);
        }
        return parse(bytes, argument + " (" + path + ")");
    }

    /** Reads a file. */
    public static Tensor read(Path path) {
        return read(path, "file");
    }

    /** Reads an array from a stream. */
    public static Tensor read(InputStream in, String argument) throws IOException {
        return parse(in.readAllBytes(), argument);
    }

    static Tensor parse(byte[] bytes, String what) {
        if (bytes.length < 10) {
            throw malformed(what, "too short to be an .npy file");
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (bytes[i] != MAGIC[i]) {
                throw malformed(what, "missing the \\x93NUMPY magic bytes");
            }
        }
        int major = bytes[6] & 0xff;
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int headerLen;
        int headerStart;
        if (major == 1) {
            headerLen = buf.getShort(8) & 0xffff;
            headerStart = 10;
        } else if (major == 2 || major == 3) {
            if (bytes.length < 12) {
                throw malformed(what, "truncated header");
            }
            headerLen = buf.getInt(8);
            headerStart = 12;
        } else {
            throw malformed(what, "unknown .npy format version " + major);
        }
        if (headerLen < 0 || headerStart + headerLen > bytes.length) {
            throw malformed(what, "header length " + headerLen + " runs past the end of the file");
        }
        String header = new String(bytes, headerStart, headerLen,
                major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        String descr = group(DESCR, header, what, "descr");
        String fortran = group(FORTRAN, header, what, "fortran_order");
        String shapeText = group(SHAPE, header, what, "shape");
        if (fortran.equals("True")) {
            throw malformed(what, "array is in Fortran order; save it with np.save(path, np.ascontiguousarray(a))");
        }
        int[] shape = parseShape(shapeText, what);
        long count = Tensor.sizeOf(shape);
        int dataStart = headerStart + headerLen;
        ByteBuffer data = ByteBuffer.wrap(bytes, dataStart, bytes.length - dataStart).slice().order(ByteOrder.LITTLE_ENDIAN);
        int width = switch (descr) {
            case "<f4", "<i4" -> 4;
            case "<f8", "<i8" -> 8;
            default -> throw Explain4jException.dtype(what, what + ": unsupported .npy dtype '" + descr
                    + "'; save the array as little-endian float32, float64, int32 or int64 (e.g. a.astype(np.float32))");
        };
        // count / width compared, not count * width: a claimed shape near 2^62 elements overflows the product
        if (count > data.remaining() / width) {
            throw malformed(what, "holds " + data.remaining() + " data bytes but shape " + Tensor.shapeString(shape)
                    + " of " + descr + " needs " + count + " x " + width);
        }
        int n = (int) count;
        switch (descr) {
            case "<f4" -> {
                float[] d = new float[n];
                data.asFloatBuffer().get(d);
                return Tensor.ofFloats(d, shape);
            }
            case "<f8" -> {
                double[] d = new double[n];
                data.asDoubleBuffer().get(d);
                return Tensor.ofDoubles(d, shape);
            }
            case "<i4" -> {
                long[] d = new long[n];
                for (int i = 0; i < n; i++) {
                    d[i] = data.getInt(i * 4);
                }
                return Tensor.ofInt32(d, shape);
            }
            default -> {
                long[] d = new long[n];
                data.asLongBuffer().get(d);
                return Tensor.ofLongs(d, shape);
            }
        }
    }

    /** Writes a tensor as a version 1.0 .npy file, creating parent folders. */
    public static void write(Tensor t, Path path) {
        try {
            Path parent = path.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            try (OutputStream out = Files.newOutputStream(path)) {
                write(t, out);
            }
        } catch (IOException e) {
            throw Explain4jException.file("output", "cannot write " + path + ": " + e.getMessage(), e);
        }
    }

    /** Writes a tensor in .npy form to a stream. */
    public static void write(Tensor t, OutputStream out) throws IOException {
        String descr = switch (t.dtype()) {
            case FLOAT32 -> "<f4";
            case FLOAT64 -> "<f8";
            case INT64 -> "<i8";
            case INT32 -> "<i4";
        };
        int[] shape = t.shape();
        StringBuilder s = new StringBuilder("(");
        for (int d : shape) {
            s.append(d).append(", ");
        }
        if (shape.length > 1) {
            s.setLength(s.length() - 2);
        } else if (shape.length == 1) {
            s.setLength(s.length() - 1);
        }
        s.append(')');
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + s + ", }";
        int unpadded = 10 + dict.length() + 1;
        int pad = (64 - unpadded % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        ByteBuffer pre = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN);
        pre.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) header.length());
        out.write(pre.array());
        out.write(header.getBytes(StandardCharsets.ISO_8859_1));
        int n = t.size();
        int width = t.dtype() == org.explain4j.core.DType.FLOAT32 || t.dtype() == org.explain4j.core.DType.INT32 ? 4 : 8;
        ByteBuffer body = ByteBuffer.allocate(n * width).order(ByteOrder.LITTLE_ENDIAN);
        switch (t.dtype()) {
            case FLOAT32 -> body.asFloatBuffer().put(t.floatBuffer());
            case FLOAT64 -> body.asDoubleBuffer().put(t.doubleBuffer());
            case INT64 -> body.asLongBuffer().put(t.longBuffer());
            case INT32 -> {
                long[] v = t.toLongArray();
                for (int i = 0; i < n; i++) {
                    body.putInt(i * 4, (int) v[i]);
                }
            }
        }
        out.write(body.array());
    }

    private static int[] parseShape(String text, String what) {
        List<Integer> dims = new ArrayList<>();
        for (String part : text.split(",")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            if (p.endsWith("L")) {
                p = p.substring(0, p.length() - 1);
            }
            int d;
            try {
                d = Integer.parseInt(p);
            } catch (NumberFormatException e) {
                throw malformed(what, "bad shape entry '" + p + "'");
            }
            if (d < 0) {
                throw malformed(what, "negative shape entry " + d);
            }
            dims.add(d);
        }
        return dims.stream().mapToInt(Integer::intValue).toArray();
    }

    private static String group(Pattern p, String header, String what, String key) {
        Matcher m = p.matcher(header);
        if (!m.find()) {
            throw malformed(what, "header has no '" + key + "' entry");
        }
        return m.group(1);
    }

    private static Explain4jException malformed(String what, String why) {
        return Explain4jException.file(what, what + ": not a valid .npy file (" + why + "); save arrays with numpy.save");
    }
}
