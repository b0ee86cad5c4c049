package org.explain4j.onnx.grad;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxTensorLike;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One native copy of a model's large weights, handed to every ONNX Runtime session made from that
 * model or a model derived from it (shape probes, backward graphs, capture sessions) as external
 * initializers ({@code SessionOptions.addExternalInitializers}). Each session then neither parses
 * nor copies the weights: the serialised model shrinks to its graph, and the sessions share the
 * weights' memory (pre-packed copies for matrix products stay per session).
 *
 * <p>A weight is shared only where the derived model holds the original's bytes: the same
 * {@link ByteString} object, as the builder copies initializers, or equal bytes, as in a backward
 * graph read back from the disk cache (parsed anew, it holds copies); a weight a canonizer
 * rewrote keeps its own bytes in the model. Sessions hold the buffers' memory, so this object is freed
 * only after the last {@link Lease} is released and {@link #close()} was called.
 */
final class SharedWeights implements AutoCloseable {
    /** Initializers below this many bytes stay in the serialised model (constants, shapes). */
    static final int MIN_BYTES = 1024;
    /** The location recorded in the stripped model; ONNX Runtime never reads it (the data is given). */
    static final String LOCATION = "explain4j-shared-weights";
    /** The location of a large all-zero constant left out of a stored optimised graph (made again at session creation). */
    static final String ZEROS = "explain4j-zeros";

    private record Entry(ByteString bytes, int type, java.util.List<Long> dims, OnnxTensor tensor) {
        /** Whether {@code t} is this weight: the same bytes (the same object, or equal), type and dimensions. */
        boolean holds(TensorProto t) {
            ByteString raw = t.getRawData();
            return (raw == bytes || raw.size() == bytes.size() && raw.equals(bytes)) && t.getDataType() == type
                    && t.getDimsList().equals(dims) && t.getDataLocation() != TensorProto.DataLocation.EXTERNAL;
        }
    }

    /** Holds the weights' memory while a session made with them may still use it. */
    interface Lease extends AutoCloseable {
        @Override
        void close();
    }

    private final Map<String, Entry> entries = new HashMap<>();
    /** Read-only all-zero tensors for stored optimised graphs, by element type and dimensions. */
    private final Map<List<Object>, OnnxTensor> zeros = new HashMap<>();
    private int leases;
    private boolean closing;

    /** Native copies of {@code p}'s top-level initializers of at least {@link #MIN_BYTES} bytes of raw data. */
    SharedWeights(OrtEnvironment env, ModelProto p) throws OrtException {
        try {
            for (TensorProto t : p.getGraph().getInitializerList()) {
                OnnxJavaType type = javaType(t.getDataType());
                if (type == null || t.getRawData().size() < MIN_BYTES || t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
                    continue;
                }
                ByteBuffer b;
                try {
                    b = ByteBuffer.allocateDirect(t.getRawData().size()).order(ByteOrder.nativeOrder());
                } catch (OutOfMemoryError full) {
                    // the JVM's direct-memory limit (-XX:MaxDirectMemorySize, by default the heap's
                    // maximum): share nothing, every session then gets the weights in its model
                    free();
                    return;
                }
                // raw data is little-endian; so is every platform ONNX Runtime's Java build supports
                t.getRawData().copyTo(b);
                b.rewind();
                long[] shape = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
                entries.put(t.getName(), new Entry(t.getRawData(), t.getDataType(), List.copyOf(t.getDimsList()),
                        OnnxTensor.createTensor(env, b, shape, type)));
            }
        } catch (OrtException | RuntimeException e) {
            free();
            throw e;
        }
    }

    private static OnnxJavaType javaType(int onnxType) {
        return switch (onnxType) {
            case TensorProto.DataType.FLOAT_VALUE -> OnnxJavaType.FLOAT;
            case TensorProto.DataType.DOUBLE_VALUE -> OnnxJavaType.DOUBLE;
            case TensorProto.DataType.INT64_VALUE -> OnnxJavaType.INT64;
            case TensorProto.DataType.INT32_VALUE -> OnnxJavaType.INT32;
            default -> null;
        };
    }

    /** Number of shared weights (for tests). */
    int size() {
        return entries.size();
    }

    /** Keeps the weights alive until the lease is closed; refused once the weights are freed. */
    synchronized Lease lease() {
        if (closing && leases == 0) {
            throw new IllegalStateException("the shared weights are closed");
        }
        leases++;
        boolean[] released = new boolean[1];
        return () -> {
            synchronized (SharedWeights.this) {
                if (!released[0]) {
                    released[0] = true;
                    if (--leases == 0 && closing) {
                        free();
                    }
                }
            }
        };
    }

    /** How many initializers of {@code p} a session made by {@link #createSession} takes from the shared copy (tests). */
    int sharedIn(ModelProto p) {
        int n = 0;
        for (TensorProto t : p.getGraph().getInitializerList()) {
            Entry e = entries.get(t.getName());
            if (e != null && e.holds(t)) {
                n++;
            }
        }
        return n;
    }

    /**
     * A session for {@code p} with every initializer that holds a shared weight's bytes replaced
     * by a reference to the shared copy; the caller holds a {@link #lease()} for as long as the
     * session lives.
     */
    OrtSession createSession(OrtEnvironment env, ModelProto p, OrtSession.SessionOptions so) throws OrtException {
        GraphProto.Builder g = null;
        Map<String, OnnxTensorLike> given = new HashMap<>();
        GraphProto graph = p.getGraph();
        for (int i = 0; i < graph.getInitializerCount(); i++) {
            TensorProto t = graph.getInitializer(i);
            Entry e = entries.get(t.getName());
            if (e == null || !e.holds(t)) {
                continue;
            }
            if (g == null) {
                g = graph.toBuilder();
            }
            g.setInitializer(i, t.toBuilder().clearRawData().setDataLocation(TensorProto.DataLocation.EXTERNAL)
                    .clearExternalData().addExternalData(StringStringEntryProto.newBuilder().setKey("location")
                            .setValue(LOCATION)));
            given.put(t.getName(), e.tensor());
        }
        if (g == null) {
            return ExternalData.createSession(env, p, so);
        }
        so.addExternalInitializers(given);
        return ExternalData.createSession(env, p.toBuilder().setGraph(g).build(), so);
    }

    /**
     * ONNX Runtime's optimised form {@code optimized} of a model whose session got these weights,
     * made storable without them: every initializer holding one of the shared weights (same name,
     * type, dimensions and bytes; ONNX Runtime writes the given weights back into the optimised
     * graph) and every all-zero one of at least {@link #MIN_BYTES} bytes (folded scatter zeros)
     * keeps only its name, type and dimensions, marked external with {@link #LOCATION} or
     * {@link #ZEROS}. Weights ONNX Runtime derived (reordered, transposed, folded) stay in it.
     */
    synchronized ModelProto strip(ModelProto optimized) {
        GraphProto.Builder g = optimized.getGraph().toBuilder();
        for (int i = 0; i < g.getInitializerCount(); i++) {
            TensorProto t = g.getInitializer(i);
            if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL || t.getRawData().size() < MIN_BYTES) {
                continue;
            }
            Entry e = entries.get(t.getName());
            String location = null;
            if (e != null && t.getDataType() == e.type() && t.getDimsList().equals(e.dims())
                    && t.getRawData().equals(e.bytes())) {
                location = LOCATION;
            } else if (javaType(t.getDataType()) != null && allZero(t.getRawData())) {
                location = ZEROS;
            }
            if (location != null) {
                g.setInitializer(i, t.toBuilder().clearRawData().setDataLocation(TensorProto.DataLocation.EXTERNAL)
                        .clearExternalData().addExternalData(StringStringEntryProto.newBuilder().setKey("location")
                                .setValue(location)));
            }
        }
        return optimized.toBuilder().setGraph(g).build();
    }

    private static boolean allZero(ByteString b) {
        ByteBuffer r = b.asReadOnlyByteBuffer();
        while (r.remaining() >= 8) {
            if (r.getLong() != 0) {
                return false;
            }
        }
        while (r.hasRemaining()) {
            if (r.get() != 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * A session for a model {@link #strip stripped} of these weights and of its zeros, with each
     * given back as an external initializer; the caller holds a {@link #lease()} for as long as the
     * session lives. Throws {@link IllegalStateException} when a stripped weight is not held here
     * with the recorded type and dimensions (the caller then makes the session the usual way).
     */
    synchronized OrtSession createStripped(OrtEnvironment env, ModelProto p, OrtSession.SessionOptions so)
            throws OrtException {
        Map<String, OnnxTensorLike> given = new HashMap<>();
        for (TensorProto t : p.getGraph().getInitializerList()) {
            if (t.getDataLocation() != TensorProto.DataLocation.EXTERNAL) {
                continue;
            }
            String location = t.getExternalDataCount() == 1 ? t.getExternalData(0).getValue() : "";
            if (location.equals(LOCATION)) {
                Entry e = entries.get(t.getName());
                if (e == null || e.type() != t.getDataType() || !e.dims().equals(t.getDimsList())) {
                    throw new IllegalStateException("shared weight " + t.getName() + " is not held with its recorded shape");
                }
                given.put(t.getName(), e.tensor());
            } else if (location.equals(ZEROS)) {
                given.put(t.getName(), zeros(env, t.getDataType(), t.getDimsList()));
            } else {
                throw new IllegalStateException("initializer " + t.getName() + " has external data " + location);
            }
        }
        so.addExternalInitializers(given);
        return env.createSession(p.toByteArray(), so);
    }

    private OnnxTensor zeros(OrtEnvironment env, int type, List<Long> dims) throws OrtException {
        List<Object> key = List.of(type, dims);
        OnnxTensor z = zeros.get(key);
        if (z == null) {
            OnnxJavaType jt = javaType(type);
            long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
            long n = jt == null ? 0 : jt.size;
            for (long d : shape) {
                n = d < 0 ? -1 : n * d;
            }
            if (jt == null || n < 0 || n > Integer.MAX_VALUE) {
                throw new IllegalStateException("zeros of type " + type + " and shape " + dims + " cannot be made here");
            }
            ByteBuffer b;
            try {
                // allocateDirect zeroes the memory
                b = ByteBuffer.allocateDirect((int) n).order(ByteOrder.nativeOrder());
            } catch (OutOfMemoryError full) {
                throw new IllegalStateException("no direct memory for zeros of shape " + dims);
            }
            z = OnnxTensor.createTensor(env, b, shape, jt);
            zeros.put(key, z);
        }
        return z;
    }

    /** Frees the weights now, or when the last lease is released. */
    @Override
    public synchronized void close() {
        closing = true;
        if (leases == 0) {
            free();
        }
    }

    private synchronized void free() {
        for (Entry e : entries.values()) {
            e.tensor().close();
        }
        entries.clear();
        zeros.values().forEach(OnnxTensor::close);
        zeros.clear();
    }
}
