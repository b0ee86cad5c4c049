package org.explain4j.onnx.cache;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
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
    static final int FORMAT = 2;
    /** The location marking an initializer left out of an entry because the model holds it, same name and bytes. */
    static final String MODEL_WEIGHT = "explain4j-model-weight";
    /** Initializers smaller than this are always stored in the entry. */
    static final int MIN_BYTES = 1024;

    private BackwardGraphCache() {
    }

    /**
     * The graph under {@code key} from the cache, else {@code build}'s (then stored). A null key,
     * or a disabled cache, always builds. The entry leaves out the initializers that {@code base}
     * (the model the graph was derived from) holds under the same name with the same bytes; a hit
     * takes them back from {@code base}, the very objects, so that sessions share them as they
     * share a freshly derived graph's.
     */
    public static BackwardGraph get(String key, ModelProto base, Supplier<BackwardGraph> build) {
        Optional<DiskCache> cache = key == null ? Optional.empty() : CacheSettings.derived();
        if (cache.isEmpty()) {
            return build.get();
        }
        String full = fullKey(key, versions());
        Optional<byte[]> hit = cache.get().get(full);
        if (hit.isPresent()) {
            try {
                BackwardGraph g = decode(hit.get(), base);
                HITS.incrementAndGet();
                return g;
            } catch (IOException | RuntimeException e) {
                // checksum right but unreadable (a format change without a FORMAT bump): derive again
            }
        }
        MISSES.incrementAndGet();
        BackwardGraph g = build.get();
        byte[] bytes = encode(g, base);
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
    static byte[] encode(BackwardGraph g, ModelProto base) {
        ModelProto model = withoutModelWeights(g.model(), base);
        if (model.getSerializedSize() > Integer.MAX_VALUE - (1 << 20)) {
            return null;
        }
        try {
            ByteArrayOutputStream bos = new ByteArrayOutputStream(model.getSerializedSize() + 4096);
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
            byte[] proto = model.toByteArray();
            out.writeInt(proto.length);
            out.write(proto);
            out.flush();
            return bos.toByteArray();
        } catch (IOException e) {
            return null;
        }
    }

    /** {@code m} with every initializer of at least {@link #MIN_BYTES} that {@code base} holds (name, type, dims, bytes) marked instead. */
    static ModelProto withoutModelWeights(ModelProto m, ModelProto base) {
        if (base == null) {
            return m;
        }
        Map<String, TensorProto> held = new java.util.HashMap<>();
        base.getGraph().getInitializerList().forEach(t -> held.put(t.getName(), t));
        GraphProto.Builder g = null;
        for (int i = 0; i < m.getGraph().getInitializerCount(); i++) {
            TensorProto t = m.getGraph().getInitializer(i);
            TensorProto b = held.get(t.getName());
            if (b == null || t.getRawData().size() < MIN_BYTES || t.getDataType() != b.getDataType()
                    || !t.getDimsList().equals(b.getDimsList()) || !t.getRawData().equals(b.getRawData())
                    || t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
                continue;
            }
            if (g == null) {
                g = m.getGraph().toBuilder();
            }
            g.setInitializer(i, t.toBuilder().clearRawData().setDataLocation(TensorProto.DataLocation.EXTERNAL)
                    .clearExternalData().addExternalData(StringStringEntryProto.newBuilder().setKey("location")
                            .setValue(MODEL_WEIGHT)));
        }
        return g == null ? m : m.toBuilder().setGraph(g).build();
    }

    /** {@code m} with each marked initializer replaced by {@code base}'s of that name (checked to be the same type and shape). */
    static ModelProto withModelWeights(ModelProto m, ModelProto base) throws IOException {
        Map<String, TensorProto> held = new java.util.HashMap<>();
        if (base != null) {
            base.getGraph().getInitializerList().forEach(t -> held.put(t.getName(), t));
        }
        GraphProto.Builder g = null;
        for (int i = 0; i < m.getGraph().getInitializerCount(); i++) {
            TensorProto t = m.getGraph().getInitializer(i);
            if (t.getDataLocation() != TensorProto.DataLocation.EXTERNAL || t.getExternalDataCount() != 1
                    || !MODEL_WEIGHT.equals(t.getExternalData(0).getValue())) {
                continue;
            }
            TensorProto b = held.get(t.getName());
            if (b == null || b.getDataType() != t.getDataType() || !b.getDimsList().equals(t.getDimsList())) {
                throw new IOException("the model holds no weight " + t.getName() + " of the recorded shape");
            }
            if (g == null) {
                g = m.getGraph().toBuilder();
            }
            g.setInitializer(i, b);
        }
        return g == null ? m : m.toBuilder().setGraph(g).build();
    }

    static BackwardGraph decode(byte[] bytes, ModelProto base) throws IOException {
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
        return new BackwardGraph(withModelWeights(ModelProto.parseFrom(proto), base), opset, input, seed, output, outMeta, grads, acts, feeds,
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
