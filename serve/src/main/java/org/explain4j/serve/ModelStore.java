package org.explain4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.explain4j.cli.ModelLoader;
import org.explain4j.core.DType;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.core.model.InputSpec;
import org.explain4j.core.model.ModelSignature;

/**
 * The models of the {@code --models} folder: every {@code NAME.onnx} in it or in one of its direct
 * sub-folders, with an optional card {@code NAME.json} beside it. A request names a model; the name
 * is looked up among the files found by scanning (never joined to a path), and every file is
 * resolved to its real path and must lie inside the folder's real path, so {@code ../}, absolute
 * paths, encoded separators and symbolic links out of the folder reach nothing.
 *
 * <p>A model file replaced on disk (another size, time or file) is loaded again on its next use:
 * new requests get the new model (new SHA-256, new sessions); requests holding a lease on the old
 * one finish on it, and it is closed when the last lease is returned.
 */
final class ModelStore implements AutoCloseable {
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");
    private static final long MAX_CARD_BYTES = 1 << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path root;
    private final ServeConfig config;
    private final Map<String, Served> loaded = new ConcurrentHashMap<>();
    private volatile Map<String, Path> files = Map.of();
    private final Metrics metrics;

    ModelStore(ServeConfig config, Metrics metrics) {
        this.config = config;
        this.metrics = metrics;
        Path dir = config.models();
        if (!Files.isDirectory(dir)) {
            throw Explain4jException.usage("--models", "--models " + dir + " is not a folder; give the folder that holds "
                    + "the .onnx models");
        }
        try {
            this.root = dir.toRealPath();
        } catch (IOException e) {
            throw Explain4jException.file("--models", "--models " + dir + " cannot be read: " + e.getMessage());
        }
        rescan();
    }

    Path root() {
        return root;
    }

    /** The model names found now, sorted. */
    synchronized List<String> rescan() {
        Map<String, Path> found = new TreeMap<>();
        List<Path> dirs = new ArrayList<>();
        dirs.add(root);
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root)) {
            for (Path p : ds) {
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    dirs.add(p);
                }
            }
        } catch (IOException e) {
            // an unreadable folder has no models
        }
        for (Path d : dirs) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(d, "*.onnx")) {
                for (Path p : ds) {
                    String file = p.getFileName().toString();
                    String name = file.substring(0, file.length() - ".onnx".length());
                    Path real = inside(p);
                    if (real != null && NAME.matcher(name).matches() && Files.isRegularFile(real)) {
                        found.putIfAbsent(name, p);
                    }
                }
            } catch (IOException e) {
                // skip an unreadable sub-folder
            }
        }
        files = Map.copyOf(found);
        return List.copyOf(found.keySet());
    }

    /** The real path of {@code p} when it lies inside the models folder, else null. */
    Path inside(Path p) {
        try {
            Path real = p.toRealPath();
            return real.startsWith(root) ? real : null;
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * A lease on model {@code name}, loaded (again, if its file changed) as needed; close it when the
     * request is done.
     */
    Lease acquire(String name) {
        if (name == null || !NAME.matcher(name).matches() || name.contains("..")) {
            throw ApiException.notFound("model", "unknown model '" + clip(name) + "'; model names are letters, digits, "
                    + "'.', '_' and '-' (GET /v1/models lists them)");
        }
        Path file = files.get(name);
        if (file == null) {
            rescan();
            file = files.get(name);
        }
        if (file == null) {
            throw ApiException.notFound("model", "unknown model '" + name + "'; the models are " + files.keySet()
                    + " (GET /v1/models)");
        }
        Path real = inside(file);
        if (real == null) {
            throw ApiException.notFound("model", "model '" + name + "' is no longer in the models folder");
        }
        synchronized (this) {
            Stamp now = Stamp.of(real);
            Served s = loaded.get(name);
            if (s == null || !s.stamp.equals(now)) {
                Served fresh = load(name, real, now);
                loaded.put(name, fresh);
                if (s != null) {
                    s.release(); // the store's own reference; closed once in-flight requests return theirs
                }
                s = fresh;
            }
            s.refs.incrementAndGet();
            return new Lease(s);
        }
    }

    private Served load(String name, Path real, Stamp stamp) {
        JsonNode card = card(name, real);
        TextCard text = TextCard.of(card, name + ".json", root, real);
        ModelLoader.Loaded m;
        try {
            m = ModelLoader.load(real, config.threads(), explainedInput(card, name, text), null);
        } catch (Explain4jException e) {
            if (text != null) {
                text.close();
            }
            if ("--explain".equals(e.argument())) { // the card's field, not the command line's flag
                throw Explain4jException.file("card", "the card " + name + ".json names \"explain\": " + e.getMessage());
            }
            throw e;
        } catch (RuntimeException e) {
            if (text != null) {
                text.close();
            }
            throw e;
        }
        try {
            return new Served(name, m, card, stamp, outputs(m), text);
        } catch (RuntimeException e) {
            m.close();
            if (text != null) {
                text.close();
            }
            throw e;
        }
    }

    /**
     * The input the card names as explained ({@code "explain": NAME}, as {@code attribute --explain}),
     * the tokenizer's ids input for a text card, or null: the model's only (floating) input.
     */
    private static String explainedInput(JsonNode card, String name, TextCard text) {
        JsonNode e = card.get("explain");
        if (e != null && !e.isNull() && (!e.isTextual() || e.asText().isBlank())) {
            throw Explain4jException.file("card", "the card " + name + ".json has \"explain\" "
                    + "that is not an input name; give the name of the input to explain, e.g. \"explain\": \"x\"");
        }
        String named = e == null || e.isNull() ? null : e.asText();
        if (text != null) {
            if (named != null && !named.equals(text.inputs.ids())) {
                throw Explain4jException.file("card", "the card " + name + ".json names \"explain\": \"" + named
                        + "\" but its tokenizer feeds '" + text.inputs.ids() + "' with token ids; drop \"explain\" "
                        + "or name '" + text.inputs.ids() + "'");
            }
            return text.inputs.ids();
        }
        return named;
    }

    private JsonNode card(String name, Path model) {
        Path c = model.resolveSibling(name + ".json");
        Path real = Files.exists(c) ? inside(c) : null;
        if (real == null) {
            return JSON.createObjectNode();
        }
        try {
            if (Files.size(real) > MAX_CARD_BYTES) {
                throw Explain4jException.file("card", "the card " + c.getFileName() + " is over 1 MiB");
            }
            JsonNode n = JSON.readTree(real.toFile());
            if (n == null || !n.isObject()) {
                throw Explain4jException.file("card", "the card " + c.getFileName() + " must be a JSON object");
            }
            return n;
        } catch (IOException e) {
            throw Explain4jException.file("card", "the card " + c.getFileName() + " is not readable JSON: "
                    + ApiException.oneLine(e.getMessage()));
        }
    }

    /** The explained output's name, shape and type, from a forward pass on one zero example when its shape is known. */
    private static ObjectNode outputs(ModelLoader.Loaded m) {
        ObjectNode o = JSON.createObjectNode();
        o.put("name", m.onnx().outputName());
        ModelSignature sig = m.signature();
        int[] ex = sig.exampleShape();
        boolean known = java.util.Arrays.stream(ex).allMatch(d -> d >= 0) && sig.fedInputNames().isEmpty()
                && Tensor.sizeOf(ex) <= (1 << 24); // a declared shape too large to probe is not run
        if (known) {
            int[] shape = new int[ex.length + 1];
            shape[0] = 1;
            System.arraycopy(ex, 0, shape, 1, ex.length);
            Tensor out = m.forward(Tensor.zeros(sig.inputType(), shape));
            var s = o.putArray("shape");
            s.add(-1);
            for (int i = 1; i < out.rank(); i++) {
                s.add(out.dim(i));
            }
            o.put("dtype", out.dtype().label());
        } else {
            o.putArray("shape").add(-1).add(sig.outputSize());
            o.putNull("dtype");
        }
        return o;
    }

    private static String clip(String s) {
        if (s == null) {
            return "";
        }
        String t = s.replaceAll("[\\p{Cntrl}]", "?");
        return t.length() > 80 ? t.substring(0, 80) + "..." : t;
    }

    @Override
    public synchronized void close() {
        for (Served s : loaded.values()) {
            s.release();
        }
        loaded.clear();
    }

    /** Size, modification time and file identity: a replaced file differs in at least one. */
    record Stamp(long size, long modifiedNanos, Object key) {
        static Stamp of(Path p) {
            try {
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
                return new Stamp(a.size(), a.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS),
                        Objects.requireNonNullElse(a.fileKey(), ""));
            } catch (IOException e) {
                throw Explain4jException.file("model", "the model file cannot be read: " + e.getMessage());
            }
        }
    }

    /** One loaded version of a model; closed when the store and every lease have let it go. */
    static final class Served {
        final String name;
        final ModelLoader.Loaded model;
        final JsonNode card;
        final Stamp stamp;
        final ObjectNode output;
        /** The card's tokenizer and text choices, or null: the model takes no raw text. */
        final TextCard text;
        final AtomicInteger refs = new AtomicInteger(1);

        Served(String name, ModelLoader.Loaded model, JsonNode card, Stamp stamp, ObjectNode output) {
            this(name, model, card, stamp, output, null);
        }

        Served(String name, ModelLoader.Loaded model, JsonNode card, Stamp stamp, ObjectNode output, TextCard text) {
            this.name = name;
            this.model = model;
            this.card = card;
            this.stamp = stamp;
            this.output = output;
            this.text = text;
        }

        String sha256() {
            return model.info().sha256();
        }

        void release() {
            if (refs.decrementAndGet() == 0) {
                model.close();
                if (text != null) {
                    text.close();
                }
            }
        }

        /** The model's description for {@code GET /v1/models}. */
        ObjectNode describe() {
            ObjectNode o = JSON.createObjectNode();
            o.put("name", name);
            o.put("sha256", sha256());
            o.put("ready", true);
            var ins = o.putArray("inputs");
            for (InputSpec in : model.signature().inputs()) {
                ObjectNode i = ins.addObject();
                i.put("name", in.name());
                var s = i.putArray("shape");
                for (int d : in.shape()) {
                    s.add(d);
                }
                i.put("dtype", in.type().label());
            }
            o.putArray("outputs").add(output.deepCopy());
            o.set("card", card.deepCopy());
            JsonNode kind = card.get("kind");
            if (kind != null && kind.isTextual()) {
                o.put("kind", kind.asText());
            } else if (text != null) {
                o.put("kind", "text");
            } else {
                o.putNull("kind");
            }
            if (text != null) {
                text.describe(o.putObject("text"));
            } else {
                o.putNull("text");
            }
            return o;
        }

        DType inputType() {
            return model.signature().inputType();
        }
    }

    /** A request's hold on one loaded version of a model. */
    static final class Lease implements AutoCloseable {
        private final Served served;
        private boolean closed;

        Lease(Served served) {
            this.served = served;
        }

        Served served() {
            return served;
        }

        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                served.release();
            }
        }
    }
}
