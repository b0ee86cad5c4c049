package org.explain4j.onnx.grad;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The weights inside the branches of a switched graph ({@link LayerSwitchGraph}: every layer's
 * model values and random draws, once for the forward reader and once for the gradient reader),
 * written once to a temporary file that the graph's initializers reference as ONNX external data,
 * instead of being serialised into the model bytes.
 *
 * <p>Why: a switched ResNet-18 holds its weights four times (214 MB). Handed over inside the model,
 * those bytes are copied into a Java array, by JNI, by ONNX Runtime's parser and into its tensors:
 * the session's creation then spends most of its time clearing fresh pages and copying (1.0 s of
 * the single-threaded compile that the randomised copies wait for). From a file, ONNX Runtime maps
 * the data instead, and each distinct weight is written once (the forward and gradient readers
 * share its bytes): 0.5 s, the same optimised graph and the same results to the bit (docs/NOTES.md,
 * "MPRT, seventh round"). The file is removed as soon as the session exists (ONNX Runtime reads or maps
 * every initializer while it makes the session, and on Linux a mapping outlives the file's name); the
 * caller closes this object after creating the session, whether that succeeded or not. Files a killed
 * process left behind are swept by the next one after an hour.
 *
 * <p>Only the branches' own initializers move (ONNX Runtime reorders and pre-packs a branch's
 * weights only where the branch holds them); top-level weights keep going through
 * {@link SharedWeights}. A model that already keeps tensors outside (a model stored with external
 * data) is left as it is: its sessions read that data from the model's own folder.
 */
final class BranchWeights implements AutoCloseable {
    /** Initializers below this many bytes stay in the model (shapes, scalars, small biases). */
    static final int MIN_BYTES = SharedWeights.MIN_BYTES;
    /** Offsets are multiples of this (a page), so that each tensor can be mapped where it lies. */
    static final int ALIGN = 4096;

    private final ModelProto model;
    private final Path file;
    private final long bytes;

    private BranchWeights(ModelProto model, Path file, long bytes) {
        this.model = model;
        this.file = file;
        this.bytes = bytes;
    }

    /** The model whose branch weights reference the file (its folder recorded as {@link ExternalData#FOLDER_KEY}). */
    ModelProto model() {
        return model;
    }

    /** The file's span: each distinct weight once, each starting at a multiple of {@link #ALIGN}, the last one padded too. */
    long bytes() {
        return bytes;
    }

    /** The file (tests). */
    Path file() {
        return file;
    }

    /**
     * {@code switched} with the initializers of its subgraphs (of at least {@link #MIN_BYTES} bytes
     * of raw data) moved to a new file in {@code folder}; empty where the model has none, already
     * keeps tensors outside, or the file cannot be written (the caller then uses the model as it is).
     */
    static Optional<BranchWeights> write(ModelProto switched, Path folder) {
        if (ExternalData.hasExternalTensors(switched)) {
            return Optional.empty();
        }
        Map<ByteString, Long> offsets = new IdentityHashMap<>();
        long[] end = {0};
        collect(switched.getGraph(), false, offsets, end);
        if (offsets.isEmpty()) {
            return Optional.empty();
        }
        Path file = null;
        try {
            Files.createDirectories(folder);
            sweep(folder);
            file = Files.createTempFile(folder, PREFIX, SUFFIX);
            // removed right after the session is made; a process killed meanwhile leaves it to the
            // JVM's exit or to the next process's sweep
            file.toFile().deleteOnExit();
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                for (Map.Entry<ByteString, Long> e : offsets.entrySet()) {
                    long at = e.getValue();
                    for (ByteBuffer b : e.getKey().asReadOnlyByteBufferList()) {
                        while (b.hasRemaining()) {
                            at += ch.write(b, at);
                        }
                    }
                }
            }
            String name = file.getFileName().toString();
            GraphProto g = rewrite(switched.getGraph(), false, offsets, name);
            ModelProto.Builder mb = switched.toBuilder().setGraph(g);
            for (int i = mb.getMetadataPropsCount() - 1; i >= 0; i--) {
                if (mb.getMetadataProps(i).getKey().equals(ExternalData.FOLDER_KEY)) {
                    mb.removeMetadataProps(i);
                }
            }
            mb.addMetadataProps(StringStringEntryProto.newBuilder().setKey(ExternalData.FOLDER_KEY)
                    .setValue(folder.toAbsolutePath().toString()));
            return Optional.of(new BranchWeights(mb.build(), file, end[0]));
        } catch (IOException | RuntimeException e) {
            if (file != null) {
                delete(file);
            }
            return Optional.empty();
        }
    }

    static final String PREFIX = "explain4j-switch-";
    static final String SUFFIX = ".weights";
    /** Files of this kind older than this were left by a process that ended before removing them. */
    static final long STALE_MILLIS = 3_600_000L;

    /** Removes files of this kind older than {@link #STALE_MILLIS} from {@code folder} (a killed process's). */
    static void sweep(Path folder) {
        long before = System.currentTimeMillis() - STALE_MILLIS;
        try (java.nio.file.DirectoryStream<Path> s = Files.newDirectoryStream(folder, PREFIX + "*" + SUFFIX)) {
            for (Path p : s) {
                try {
                    if (Files.getLastModifiedTime(p).toMillis() < before) {
                        Files.deleteIfExists(p);
                    }
                } catch (IOException e) {
                    // another process's file, or gone meanwhile: left alone
                }
            }
        } catch (IOException | RuntimeException e) {
            // an unreadable folder: nothing swept
        }
    }

    /** Assigns each distinct large branch weight (by identity of its bytes) its aligned offset. */
    private static void collect(GraphProto g, boolean branch, Map<ByteString, Long> offsets, long[] end) {
        if (branch) {
            for (TensorProto t : g.getInitializerList()) {
                if (movable(t) && !offsets.containsKey(t.getRawData())) {
                    offsets.put(t.getRawData(), end[0]);
                    end[0] = align(end[0] + t.getRawData().size());
                }
            }
        }
        for (NodeProto n : g.getNodeList()) {
            for (AttributeProto a : n.getAttributeList()) {
                if (a.hasG()) {
                    collect(a.getG(), true, offsets, end);
                }
                for (GraphProto sub : a.getGraphsList()) {
                    collect(sub, true, offsets, end);
                }
            }
        }
    }

    private static boolean movable(TensorProto t) {
        return t.getDataLocation() != TensorProto.DataLocation.EXTERNAL && t.getRawData().size() >= MIN_BYTES;
    }

    private static long align(long n) {
        return (n + ALIGN - 1) / ALIGN * ALIGN;
    }

    private static GraphProto rewrite(GraphProto g, boolean branch, Map<ByteString, Long> offsets, String location) {
        GraphProto.Builder b = null;
        if (branch) {
            for (int i = 0; i < g.getInitializerCount(); i++) {
                TensorProto t = g.getInitializer(i);
                Long at = movable(t) ? offsets.get(t.getRawData()) : null;
                if (at != null) {
                    if (b == null) {
                        b = g.toBuilder();
                    }
                    b.setInitializer(i, t.toBuilder().clearRawData().setDataLocation(TensorProto.DataLocation.EXTERNAL)
                            .clearExternalData()
                            .addExternalData(entry("location", location))
                            .addExternalData(entry("offset", Long.toString(at)))
                            .addExternalData(entry("length", Integer.toString(t.getRawData().size()))));
                }
            }
        }
        for (int i = 0; i < g.getNodeCount(); i++) {
            NodeProto n = g.getNode(i);
            NodeProto.Builder nb = null;
            for (int k = 0; k < n.getAttributeCount(); k++) {
                AttributeProto a = n.getAttribute(k);
                if (!a.hasG() && a.getGraphsCount() == 0) {
                    continue;
                }
                AttributeProto.Builder ab = a.toBuilder();
                if (a.hasG()) {
                    ab.setG(rewrite(a.getG(), true, offsets, location));
                }
                for (int j = 0; j < a.getGraphsCount(); j++) {
                    ab.setGraphs(j, rewrite(a.getGraphs(j), true, offsets, location));
                }
                if (nb == null) {
                    nb = n.toBuilder();
                }
                nb.setAttribute(k, ab);
            }
            if (nb != null) {
                if (b == null) {
                    b = g.toBuilder();
                }
                b.setNode(i, nb);
            }
        }
        return b == null ? g : b.build();
    }

    private static StringStringEntryProto entry(String key, String value) {
        return StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
    }

    /** Removes the file (a session made from the model keeps what it read or mapped). */
    @Override
    public void close() {
        delete(file);
    }

    private static void delete(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            p.toFile().deleteOnExit();
        }
    }
}
