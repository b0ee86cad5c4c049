package org.explain4j.onnx.cache;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnxruntime.OrtEnvironment;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.explain4j.core.Version;
import org.explain4j.onnx.grad.BackwardGraph;
import org.explain4j.onnx.grad.TensorMeta;

/**
 * Backward graphs derived from a model on disk, kept in the {@link CacheSettings#derived() derived
 * cache} between processes. The key is the caller's description of the derivation (model SHA-256,
 * rule set, captures, feeds, input shape, fed inputs) plus explain4j's version and build, and ONNX
 * Runtime's version; an entry that does not decode is derived again and overwritten.
 */
public final class BackwardGraphCache {
    /** Bumped when the entry layout below changes. */
    static final int FORMAT = 1;

    private BackwardGraphCache() {
    }

    /**
     * The graph under {@code key} from the cache, else {@code build}'s (then stored). A null key,
     * or a disabled cache, always builds.
     */
    public static BackwardGraph get(String key, Supplier<BackwardGraph> build) {
        Optional<DiskCache> cache = key == null ? Optional.empty() : CacheSettings.derived();
        if (cache.isEmpty()) {
            return build.get();
        }
        String full = fullKey(key, versions());
        Optional<byte[]> hit = cache.get().get(full);
        if (hit.isPresent()) {
            try {
                BackwardGraph g = decode(hit.get());
                HITS.incrementAndGet();
                return g;
            } catch (IOException | RuntimeException e) {
                // checksum right but unreadable (a format change without a FORMAT bump): derive again
            }
        }
        MISSES.incrementAndGet();
        BackwardGraph g = build.get();
        byte[] bytes = encode(g);
        if (bytes != null) {
            cache.get().put(full, bytes);
        }
        return g;
    }

    private static final java.util.concurrent.atomic.AtomicLong HITS = new java.util.concurrent.atomic.AtomicLong();
    private static final java.util.concurrent.atomic.AtomicLong MISSES = new java.util.concurrent.atomic.AtomicLong();

    /** Graphs taken from the disk cache in this process (diagnostics and tests). */
    public static long hits() {
        return HITS.get();
    }

    /** Graphs derived because the disk cache had no valid entry, in this process. */
    public static long misses() {
        return MISSES.get();
    }

    /** The entry key: the format, the versions and the caller's key. */
    static String fullKey(String key, String versions) {
        return "backward-graph/" + FORMAT + "\n" + versions + "\n" + key;
    }

    /** explain4j's version and build (its code's size and time), ONNX Runtime's version, the Java version. */
    public static String versions() {
        return "explain4j " + Version.get() + " build " + build() + "; onnxruntime " + ortVersion()
                + "; java " + Runtime.version().feature();
    }

    private static String ortVersion() {
        try {
            return OrtEnvironment.getEnvironment().getVersion();
        } catch (RuntimeException | LinkageError e) {
            return "unknown";
        }
    }

    private static volatile String build;

    /** Size and modification time of the jar (or class folder) holding this code: a rebuild changes the key. */
    static String build() {
        String b = build;
        if (b == null) {
            b = "unknown";
            try {
                CodeSource cs = BackwardGraphCache.class.getProtectionDomain().getCodeSource();
                if (cs != null) {
                    Path p = Path.of(cs.getLocation().toURI());
                    if (Files.isDirectory(p)) {
                        // a development class folder: the newest class file
                        try (var s = Files.walk(p)) {
                            b = "dir " + s.filter(Files::isRegularFile).mapToLong(f -> {
                                try {
                                    return Files.getLastModifiedTime(f).toMillis();
                                } catch (IOException e) {
                                    return 0;
                                }
                            }).max().orElse(0);
                        }
                    } else {
                        b = Files.size(p) + "@" + Files.getLastModifiedTime(p).toMillis();
                    }
                }
            } catch (IOException | URISyntaxException | RuntimeException e) {
                b = "unknown";
            }
            build = b;
        }
        return b;
    }

    /** The graph's bytes, or null when it cannot be stored (over 2 GB). */
    static byte[] encode(BackwardGraph g) {
        if (g.model().getSerializedSize() > Integer.MAX_VALUE - (1 << 20)) {
            return null;
        }
        try {
            ByteArrayOutputStream bos = new ByteArrayOutputStream(g.model().getSerializedSize() + 4096);
            DataOutputStream out = new DataOutputStream(bos);
            out.writeInt(g.opset());
            out.writeUTF(g.inputName());
            out.writeUTF(g.seedName());
            out.writeUTF(g.outputName());
            writeMeta(out, g.outputMeta());
            writeMap(out, g.gradientOutputs());
            writeMap(out, g.activationOutputs());
            writeMap(out, g.feedInputs());
            Map<String, TensorMeta> metas = new TreeMap<>(g.feedMetas());
            out.writeInt(metas.size());
            for (Map.Entry<String, TensorMeta> e : metas.entrySet()) {
                out.writeUTF(e.getKey());
                writeMeta(out, e.getValue());
            }
            // the initializers whose values the derivation read (a reweighted copy must not share the graph then)
            java.util.List<String> values = new java.util.ArrayList<>(new java.util.TreeSet<>(g.valueInputs()));
            out.writeInt(values.size());
            for (String v : values) {
                out.writeUTF(v);
            }
            byte[] proto = g.model().toByteArray();
            out.writeInt(proto.length);
            out.write(proto);
            out.flush();
            return bos.toByteArray();
        } catch (IOException e) {
            return null;
        }
    }

    static BackwardGraph decode(byte[] bytes) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
        int opset = in.readInt();
        String input = in.readUTF();
        String seed = in.readUTF();
        String output = in.readUTF();
        TensorMeta outMeta = readMeta(in);
        Map<String, String> grads = readMap(in);
        Map<String, String> acts = readMap(in);
        Map<String, String> feeds = readMap(in);
        int n = in.readInt();
        Map<String, TensorMeta> metas = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            metas.put(in.readUTF(), readMeta(in));
        }
        int nv = in.readInt();
        if (nv < 0 || nv > bytes.length) {
            throw new IOException("bad count of value inputs: " + nv);
        }
        java.util.Set<String> values = new java.util.TreeSet<>();
        for (int i = 0; i < nv; i++) {
            values.add(in.readUTF());
        }
        byte[] proto = new byte[in.readInt()];
        in.readFully(proto);
        if (in.read() != -1) {
            throw new IOException("trailing bytes after the backward graph");
        }
        return new BackwardGraph(ModelProto.parseFrom(proto), opset, input, seed, output, outMeta, grads, acts, feeds,
                metas, values);
    }

    private static void writeMeta(DataOutputStream out, TensorMeta m) throws IOException {
        out.writeInt(m.elemType());
        long[] s = m.shape();
        out.writeInt(s.length);
        for (long d : s) {
            out.writeLong(d);
        }
    }

    private static TensorMeta readMeta(DataInputStream in) throws IOException {
        int type = in.readInt();
        long[] s = new long[in.readInt()];
        for (int i = 0; i < s.length; i++) {
            s[i] = in.readLong();
        }
        return new TensorMeta(type, s);
    }

    private static void writeMap(DataOutputStream out, Map<String, String> m) throws IOException {
        Map<String, String> sorted = new TreeMap<>(m);
        out.writeInt(sorted.size());
        for (Map.Entry<String, String> e : sorted.entrySet()) {
            out.writeUTF(e.getKey());
            out.writeUTF(e.getValue());
        }
    }

    private static Map<String, String> readMap(DataInputStream in) throws IOException {
        int n = in.readInt();
        Map<String, String> m = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            m.put(in.readUTF(), in.readUTF());
        }
        return m;
    }
}
