package org.explain4j.onnx;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtLoggingLevel;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.explain4j.core.DType;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.core.model.DenseInput;
import org.explain4j.core.model.InputSpec;
import org.explain4j.core.model.LocalEvaluation;
import org.explain4j.core.model.Model;
import org.explain4j.core.model.ModelInfo;
import org.explain4j.core.model.ModelSignature;

/**
 * A model run by ONNX Runtime. The file is read by path (never written), so models with external
 * data load; one session is created and reused for every call, and may be called from several
 * threads. A model loaded from a file creates that session on its first forward pass (see
 * {@link #load(Path, Options)}): runs that only take backward passes (saliency) never make it. Inputs may be float32, float64 or int64 (token ids); the batch dimension may be
 * dynamic or fixed. A model with several inputs explains one ({@link Options#inputName}, or the
 * only floating one) and is fed the others by name ({@link #forward(Tensor, Map)}).
 *
 * <p>The JVM-wide {@link OrtEnvironment} is shared and never closed; {@link #close()} closes only
 * this model's session.
 */
public final class OnnxModel implements Model, LocalEvaluation, DenseInput, org.explain4j.core.model.ParallelForward {
    /** Session settings; {@code device} applies to every session made for the model, forward and backward. */
    public record Options(int intraOpThreads, OrtSession.SessionOptions.OptLevel optimization,
                          Optional<String> inputName, Optional<String> outputName, Device device) {
        public Options {
            if (intraOpThreads < 0 || intraOpThreads > maxThreads()) {
                throw Explain4jException.usage("--threads", "--threads " + intraOpThreads + " must be 0 (let ONNX Runtime "
                        + "choose) or 1.." + maxThreads() + " (4 x the " + Runtime.getRuntime().availableProcessors()
                        + " available processors)");
            }
            if (optimization == null || inputName == null || outputName == null || device == null) {
                throw new IllegalArgumentException("optimization, inputName, outputName and device must not be null");
            }
        }

        /** The most intra-op threads a session may ask for: 4 per available processor. */
        public static int maxThreads() {
            return 4 * Runtime.getRuntime().availableProcessors();
        }

        /** On the CPU. */
        public Options(int intraOpThreads, OrtSession.SessionOptions.OptLevel optimization,
                       Optional<String> inputName, Optional<String> outputName) {
            this(intraOpThreads, optimization, inputName, outputName, Device.CPU);
        }

        /** ONNX Runtime's own thread count, all graph optimisations, the model's first input and output, the CPU. */
        public static Options defaults() {
            return new Options(0, OrtSession.SessionOptions.OptLevel.ALL_OPT, Optional.empty(), Optional.empty(),
                    Device.CPU);
        }

        public Options withThreads(int n) {
            return new Options(n, optimization, inputName, outputName, device);
        }

        public Options withOptimization(OrtSession.SessionOptions.OptLevel level) {
            return new Options(intraOpThreads, level, inputName, outputName, device);
        }

        public Options withInputName(String name) {
            return new Options(intraOpThreads, optimization, Optional.of(name), outputName, device);
        }

        public Options withOutputName(String name) {
            return new Options(intraOpThreads, optimization, inputName, Optional.of(name), device);
        }

        /** Runs the model's sessions on {@code d} (see {@link Device}). */
        public Options withDevice(Device d) {
            return new Options(intraOpThreads, optimization, inputName, outputName, d);
        }

        /** Adds the device's execution provider to session options made from these options. */
        public void configure(OrtSession.SessionOptions so) {
            device.configure(so);
        }
    }

    /** Model files up to this size are kept in memory once read (derived graphs are parsed from that copy). */
    static final long KEPT_IN_MEMORY = 512L << 20;

    private final Path path;
    private final byte[] bytes;
    /**
     * The model's SHA-256, computed on a thread of its own from the load on; joined by
     * {@link #info()} (a model kept in memory: the digest of bytes cannot fail) or at the end of
     * the load (a model read by path: a read error is the load's, as before).
     */
    private final java.util.concurrent.FutureTask<String> sha256;
    private final Options options;
    private final OrtEnvironment env;
    /** The forward session, made at load or on first use; shared with the views of {@link #explaining}. */
    private final ForwardSession session;
    private final boolean ownsSession;
    private final ModelSignature signature;
    private final String outputName;
    /** The element type of the explained output, as ONNX Runtime reports it. */
    private final ai.onnxruntime.OnnxJavaType outputType;
    /** What the model does with its inputs as indices; shared with the views of {@link #explaining}. */
    private final IndexUses indexUses;

    /**
     * System property choosing when a model loaded from a file makes its forward session:
     * {@code lazy} (the default: on first use, see {@link #load(Path, Options)}) or {@code eager}
     * (at load, as before; for comparisons).
     */
    public static final String FORWARD_SESSION = "explain4j.forwardSession";

    /**
     * By path when {@code inMemory} is null, else from those bytes ({@code path} then only names the
     * model); {@code lazy}: the forward session is made on first use where {@link ModelInterface} can
     * stand in for it.
     */
    private OnnxModel(Path path, byte[] inMemory, Options options, boolean lazy) {
        this.path = path;
        this.options = options;
        this.env = environment();
        this.ownsSession = true;
        this.bytes = inMemory != null ? inMemory : size(path) <= KEPT_IN_MEMORY ? readModel(path) : null;
        // the digest (provenance, cache keys) is computed on another core while the model is checked
        org.explain4j.core.Timeline.mark("model bytes read");
        byte[] read = bytes;
        java.util.concurrent.FutureTask<String> digest = new java.util.concurrent.FutureTask<>(
                () -> {
                    String d = read != null ? sha256(read) : sha256(path);
                    org.explain4j.core.Timeline.mark("sha256 done");
                    return d;
                });
        if ("off".equals(System.getProperty(PARALLEL_DIGEST))) {
            digest.run();
        } else {
            Thread t = new Thread(digest, "explain4j-sha256");
            t.setDaemon(true);
            t.start();
        }
        ModelInterface io = lazy && bytes != null ? ModelInterface.of(env, bytes, options) : null;
        org.explain4j.core.Timeline.mark("signature read (stand-in session)");
        this.indexUses = new IndexUses(bytes, io != null ? io.indexUses() : null);
        // made later, from the bytes read now: the file may have been moved or changed by then
        this.session = new ForwardSession(env, path, io != null ? bytes : inMemory, options);
        if (io == null) {
            session.get(); // at load: a model ONNX Runtime rejects fails here, with the error below
        }
        try {
            this.sha256 = digest;
            if (bytes == null) {
                join(digest);
            }
            Map<String, NodeInfo> inputs = io != null ? io.inputs() : session.get().getInputInfo();
            List<InputSpec> specs = new ArrayList<>();
            for (NodeInfo info : inputs.values()) {
                specs.add(inputSpec(info));
            }
            String in = options.inputName().orElseGet(() -> defaultInput(specs));
            Map<String, NodeInfo> outputs = io != null ? io.outputs() : session.get().getOutputInfo();
            this.outputName = options.outputName().orElseGet(() -> outputs.keySet().iterator().next());
            if (!outputs.containsKey(outputName)) {
                throw Explain4jException.usage("--output-name", "the model has no output named '" + outputName
                        + "'; its outputs are " + outputs.keySet());
            }
            TensorInfo to = (TensorInfo) outputs.get(outputName).getInfo();
            this.outputType = to.type;
            long[] os = to.getShape();
            int outSize = -1;
            if (os.length >= 1) {
                long prod = 1;
                for (int i = 1; i < os.length; i++) {
                    prod = os[i] < 0 ? -1 : prod * os[i];
                    if (prod < 0) {
                        break;
                    }
                }
                // an output too large to count in an int is left to a run to tell (prod wraps to 0 otherwise)
                outSize = prod > Integer.MAX_VALUE ? -1 : (int) prod;
            }
            ModelSignature all = new ModelSignature(specs.get(0).name(), specs.get(0).type(), new int[0], outSize, specs);
            this.signature = all.explaining(in, "--explain");
        } catch (OrtException e) {
            closeQuietly();
            throw Explain4jException.model("--model", "cannot read the inputs and outputs of " + path + ": "
                    + firstLine(e.getMessage()), e);
        } catch (RuntimeException e) {
            closeQuietly();
            throw e;
        }
    }

    /** A view of {@code m} explaining another input; it shares (and never closes) {@code m}'s session. */
    private OnnxModel(OnnxModel m, ModelSignature signature) {
        this.path = m.path;
        this.bytes = m.bytes;
        this.sha256 = m.sha256;
        this.options = m.options.withInputName(signature.inputName());
        this.env = m.env;
        this.session = m.session;
        this.ownsSession = false;
        this.signature = signature;
        this.outputName = m.outputName;
        this.outputType = m.outputType;
        this.indexUses = m.indexUses;
    }

    /**
     * What the model does with its inputs as indices ({@link IndexInputs}): taken from the parse
     * the load made for the stand-in session ({@link ModelInterface}) where there was one, else
     * read on first use from the bytes kept at load (with the weights aliased, not copied), never
     * from the file again. Nothing is known of a model over 512 MiB (its bytes are not kept).
     */
    private static final class IndexUses {
        private final byte[] bytes;
        private volatile Map<String, IndexInputs.Use> uses;

        IndexUses(byte[] bytes, Map<String, IndexInputs.Use> fromLoad) {
            this.bytes = fromLoad != null ? null : bytes;
            this.uses = fromLoad;
        }

        IndexInputs.Use of(String input) {
            Map<String, IndexInputs.Use> u = uses;
            if (u == null) {
                synchronized (this) {
                    if (uses == null) {
                        uses = analyse(bytes);
                    }
                    u = uses;
                }
            }
            return u.getOrDefault(input, IndexInputs.Use.UNKNOWN);
        }

        private static Map<String, IndexInputs.Use> analyse(byte[] bytes) {
            if (bytes == null) {
                return Map.of();
            }
            try {
                return IndexInputs.of(parseAliased(bytes).getGraph());
            } catch (IOException | RuntimeException e) {
                return Map.of(); // ONNX Runtime loaded the model; whatever this parse misses is unknown
            }
        }
    }

    /**
     * What the model does with its input {@code name} as indices: whether it feeds a {@code Gather}
     * (directly or after a {@code Cast}) and the rows of the table read, for the token-id check.
     * Analysed once per model, from the load's own parse where it made one; {@link IndexInputs.Use#UNKNOWN}
     * for a model over 512 MiB.
     */
    public IndexInputs.Use indexUse(String name) {
        return indexUses.of(name);
    }

    /**
     * The model's forward session, created once (at load, or by the first caller of {@link #get}
     * from any thread) by path, or from {@code inMemory} where given; closed by the model that
     * owns it.
     */
    private static final class ForwardSession {
        private final OrtEnvironment env;
        private final Path path;
        private final byte[] inMemory;
        private final Options options;
        private volatile OrtSession session;
        private boolean closed;
        private int created;

        ForwardSession(OrtEnvironment env, Path path, byte[] inMemory, Options options) {
            this.env = env;
            this.path = path;
            this.inMemory = inMemory;
            this.options = options;
        }

        OrtSession get() {
            OrtSession s = session;
            if (s != null) {
                return s;
            }
            synchronized (this) {
                if (closed) {
                    throw Explain4jException.usage("model", "the model " + path.getFileName() + " is closed");
                }
                if (session == null) {
                    try {
                        org.explain4j.core.Timeline.mark("forward session: start");
                        // by path, not bytes: a model over 2 GB or with its weights in files beside it loads too
                        session = inMemory != null ? createSession(env, inMemory, options)
                                : createSession(env, path, options);
                        created++;
                        org.explain4j.core.Timeline.mark("forward session: made");
                    } catch (OrtException e) {
                        throw Explain4jException.model("--model", "--model " + path + " could not be loaded by ONNX "
                                + "Runtime: " + firstLine(e.getMessage()) + "; check that the file is a valid ONNX model "
                                + "(and that its external data files lie beside it)", e);
                    }
                }
                return session;
            }
        }

        synchronized int created() {
            return created;
        }

        synchronized boolean open() {
            return session != null;
        }

        synchronized void close() {
            closed = true;
            if (session != null) {
                try {
                    session.close();
                } catch (OrtException e) {
                    // nothing more can be done with a session that fails to close
                }
                session = null;
            }
        }
    }

    /**
     * The JVM-wide ONNX Runtime environment, created (on first use in the JVM) logging fatal
     * errors only, so that ONNX Runtime's own warnings and error lines never reach the user's
     * terminal (its errors come back as exceptions, reported once by explain4j). Never closed.
     */
    public static OrtEnvironment environment() {
        OrtEnvironment e = environment;
        if (e == null) {
            synchronized (OnnxModel.class) {
                if (environment == null) {
                    // where another part of the JVM made the environment first, ONNX Runtime's Java side
                    // would warn that the level cannot change: not the user's concern either
                    java.util.logging.Logger log = java.util.logging.Logger.getLogger(OrtEnvironment.class.getName());
                    java.util.logging.Level old = log.getLevel();
                    log.setLevel(java.util.logging.Level.SEVERE);
                    try {
                        // ONNX Runtime's libraries from the cache folder, not unpacked again in every process
                        org.explain4j.onnx.cache.NativeLibraryCache.prepare();
                        org.explain4j.core.Timeline.mark("native libraries found");
                        environment = OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL, "explain4j");
                        org.explain4j.core.Timeline.mark("ONNX Runtime environment made");
                    } finally {
                        log.setLevel(old);
                    }
                }
                e = environment;
            }
        }
        return e;
    }

    private static volatile OrtEnvironment environment;

    private static InputSpec inputSpec(NodeInfo info) {
        if (!(info.getInfo() instanceof TensorInfo ti)) {
            throw Explain4jException.unsupported("--model", "the model's input '" + info.getName() + "' is not a tensor ("
                    + info.getInfo() + "); explain4j feeds tensor inputs only");
        }
        DType type = switch (ti.type) {
            case FLOAT -> DType.FLOAT32;
            case DOUBLE -> DType.FLOAT64;
            case INT64 -> DType.INT64;
            case INT32 -> DType.INT32;
            default -> throw Explain4jException.unsupported("--model", "the model's input '" + info.getName() + "' is "
                    + ti.type + "; explain4j supports float32, float64, int64 and int32 inputs");
        };
        long[] s = ti.getShape();
        String[] names = ti.getDimensionNames();
        int[] shape = new int[s.length];
        List<String> dimNames = new ArrayList<>();
        for (int i = 0; i < s.length; i++) {
            if (s[i] > Integer.MAX_VALUE) {
                throw Explain4jException.unsupported("--model", "the model's input '" + info.getName() + "' declares a "
                        + "dimension of " + s[i] + ", over the 2^31 - 1 elements a dimension may have here");
            }
            shape[i] = s[i] < 0 ? -1 : (int) s[i];
            dimNames.add(s[i] < 0 && names != null && i < names.length && names[i] != null ? names[i] : "");
        }
        return new InputSpec(info.getName(), type, shape, dimNames);
    }

    /**
     * The input explained when none is named: the only input, else the only floating input
     * with a batch; otherwise an error listing the choices.
     */
    private static String defaultInput(List<InputSpec> specs) {
        if (specs.size() == 1) {
            return specs.get(0).name();
        }
        List<InputSpec> floating = specs.stream().filter(i -> i.type().isFloating() && i.rank() > 0).toList();
        if (floating.size() == 1) {
            return floating.get(0).name();
        }
        throw Explain4jException.usage("--explain", "the model has " + specs.size() + " inputs ("
                + specs.stream().map(i -> i.name() + " " + i.describe()).collect(Collectors.joining(", "))
                + ") and " + (floating.isEmpty() ? "none" : floating.size()) + " of them floating; choose the explained "
                + "one (--explain NAME; integer inputs such as token ids are explained through a layer)");
    }

    /** Loads a model file with default options. */
    public static OnnxModel load(Path path) {
        return load(path, Options.defaults());
    }

    /**
     * Loads a model file. ONNX Runtime reads it by path, so weights stored as external data
     * (a file beside the model, as every model over 2 GB is stored) are found relative to the
     * model's folder, whatever the working directory.
     *
     * <p>The forward session (the model's weights in ONNX Runtime, with its pre-packed copies) is
     * made on the first forward pass: a run of backward passes only (saliency) never makes it.
     * The model is still checked at load: its inputs and outputs are read from a session of the
     * model with its weights of 1 KiB or more turned into inputs ({@link ModelInterface}), which ONNX
     * Runtime checks as it would the model (operators, types, shapes) without copying the weights.
     * Where that session cannot be made, or cannot stand in (external data, a model over 512 MiB,
     * another device than the CPU), the forward session is made at load as before, so a model
     * ONNX Runtime rejects fails here with its own error. {@value #FORWARD_SESSION}{@code =eager}
     * makes it at load always.
     */
    public static OnnxModel load(Path path, Options options) {
        checkFile(path);
        return load(path, options, !"eager".equalsIgnoreCase(System.getProperty(FORWARD_SESSION, "lazy").trim()));
    }

    /** As {@link #load(Path, Options)}, the forward session made on first use ({@code lazy}) or at load (tests). */
    static OnnxModel load(Path path, Options options, boolean lazy) {
        checkFile(path);
        return new OnnxModel(path.toAbsolutePath().normalize(), null, options, lazy);
    }

    /**
     * A model from bytes held in memory, e.g. an edited copy of a loaded model (the randomised
     * models of MPRT); {@code name} stands for the file in messages and provenance.
     */
    public static OnnxModel fromBytes(String name, byte[] bytes, Options options) {
        return new OnnxModel(Path.of(name), bytes.clone(), options, false);
    }

    /**
     * The same model explaining its input {@code name} (the others fed as given). The view
     * shares this model's session; close this model, not the view, to release it.
     */
    public OnnxModel explaining(String name) {
        if (name.equals(signature.inputName())) {
            return this;
        }
        return new OnnxModel(this, signature.explaining(name, "--explain"));
    }

    private static long size(Path path) {
        try {
            return Files.size(path);
        } catch (IOException e) {
            throw Explain4jException.file("--model", "--model " + path + " cannot be read: " + e.getMessage(), e);
        }
    }

    private static void checkFile(Path path) {
        if (!Files.exists(path)) {
            throw Explain4jException.file("--model", "--model file not found: " + path + "; check the path");
        }
        if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
            throw Explain4jException.file("--model", "--model " + path + " is not a readable file");
        }
        try {
            if (Files.size(path) == 0) {
                throw Explain4jException.file("--model", "--model " + path + " is empty; pass an .onnx model file");
            }
        } catch (IOException e) {
            throw Explain4jException.file("--model", "--model " + path + " cannot be read: " + e.getMessage(), e);
        }
    }

    /** Reads a model file's bytes with the errors the command line reports (a file under 2 GB). */
    public static byte[] readModel(Path path) {
        checkFile(path);
        try {
            return Files.readAllBytes(path);
        } catch (OutOfMemoryError | IOException e) {
            throw Explain4jException.file("--model", "--model " + path + " cannot be read into memory: " + e.getMessage()
                    + "; models over 2 GB must store their weights as external data", e);
        }
    }

    static OrtSession createSession(OrtEnvironment env, Path model, Options options) throws OrtException {
        try (OrtSession.SessionOptions so = sessionOptions(options)) {
            return env.createSession(model.toString(), so);
        }
    }

    /** A session of {@code model} with the settings every session of a model loaded with {@code options} gets. */
    public static OrtSession createSession(OrtEnvironment env, byte[] model, Options options) throws OrtException {
        try (OrtSession.SessionOptions so = sessionOptions(options)) {
            return env.createSession(model, so);
        }
    }

    private static OrtSession.SessionOptions sessionOptions(Options options) throws OrtException {
        OrtSession.SessionOptions so = new OrtSession.SessionOptions();
        try {
            so.setOptimizationLevel(options.optimization());
            // warnings (e.g. about renaming implicit inputs of Loop bodies) and error lines (their exception is
            // reported) are not for the user's terminal
            so.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL);
            if (options.intraOpThreads() > 0) {
                so.setIntraOpNumThreads(options.intraOpThreads());
            }
            options.configure(so);
            String profile = System.getenv("EXPLAIN4J_ORT_PROFILE");
            if (profile != null && !profile.isBlank()) {
                // performance work only: ONNX Runtime writes a per-op timing trace with this prefix
                so.enableProfiling(profile + "_forward");
            }
            String tuning = System.getenv("EXPLAIN4J_ORT_FORWARD");
            if (tuning != null && !tuning.isBlank()) {
                // performance work only: ONNX Runtime config entries for the forward sessions ("key=value",
                // comma-separated; e.g. session.intra_op.allow_spinning=0), as EXPLAIN4J_ORT_SESSION for the
                // backward ones
                for (String kv : tuning.split(",")) {
                    String[] p = kv.trim().split("=", 2);
                    if (p.length == 2) {
                        so.addConfigEntry(p[0], p[1]);
                    }
                }
            }
            return so;
        } catch (OrtException | RuntimeException e) {
            so.close();
            throw e;
        }
    }

    /** The model file this was loaded from. */
    public Path path() {
        return path;
    }

    /** The session options this model was loaded with. */
    public Options options() {
        return options;
    }

    /**
     * A copy of the model file's bytes (as read at load for files up to 512 MiB, else read now;
     * external data files are not included).
     */
    public byte[] modelBytes() {
        return bytes != null ? bytes.clone() : readModel(path);
    }

    /**
     * The model file's contents as a stream: from the copy read at load for files up to 512 MiB,
     * else from the file (which must then stay in place while the model is used).
     */
    public InputStream openModel() throws IOException {
        return bytes != null ? new java.io.ByteArrayInputStream(bytes) : Files.newInputStream(path);
    }

    /** The name of the explained output. */
    public String outputName() {
        return outputName;
    }

    @Override
    public Tensor forward(Tensor input) {
        return forward(input, Map.of());
    }

    @Override
    public Tensor forward(Tensor input, Map<String, Tensor> fed) {
        return forward(input, fed, session);
    }

    /**
     * Models kept in memory up to this size run the perturbation engine's batches as several one-thread
     * calls at once ({@link #parallelCalls}): a second session of the model, with one intra-op thread.
     */
    static final long PARALLEL_MAX_BYTES = 16L << 20;

    /**
     * System property: {@code off} makes {@link #parallelCalls} and the dense layer's
     * {@link DenseInput.Layer#parallelCalls} 1 (the perturbation engine then runs one call at a time, with the
     * model's intra-op threads: the behaviour before calls ran at once, for comparisons).
     */
    public static final String PARALLEL_CALLS = "explain4j.parallelCalls";

    /** The one-thread session of {@link #parallelCalls}, made on first ask; refused: never asked again. */
    private ForwardSession single;
    private boolean singleRefused;

    /**
     * The model's intra-op threads (all processors where it leaves the count to ONNX Runtime), for a model
     * of at most {@value #PARALLEL_MAX_BYTES} bytes that owns its session, on the CPU, with one input and more
     * than one thread; else 1. The first ask makes the one-thread session ({@link #forwardOnOneThread}):
     * small models gain little from threads inside a call, and the rows of a perturbation are filled on as
     * many threads as run calls.
     */
    @Override
    public int parallelCalls() {
        int threads = options.intraOpThreads() > 0 ? options.intraOpThreads() : Runtime.getRuntime().availableProcessors();
        // flat (tabular) inputs only: an image model of a few MiB (SqueezeNet, MobileNet) does enough
        // work per call for intra-op threads to pay, and its batches' activations, sized by the memory
        // budget for one call, would be held once per call at once
        if (threads <= 1 || !ownsSession || options.device().cuda() || bytes == null || bytes.length > PARALLEL_MAX_BYTES
                || signature.inputs().size() != 1 || signature.exampleShape().length != 1
                || "off".equals(System.getProperty(PARALLEL_CALLS))) {
            return 1;
        }
        synchronized (this) {
            if (single == null && !singleRefused) {
                ForwardSession s = new ForwardSession(env, path, bytes, options.withThreads(1));
                try {
                    s.get();
                    single = s;
                } catch (RuntimeException e) {
                    // (a model whose external data the bytes cannot find): one call at a time
                    s.close();
                    singleRefused = true;
                }
            }
            if (single != null && oneThreadCalls == null) {
                oneThreadCalls = new java.util.concurrent.Semaphore(threads);
            }
            return single == null ? 1 : threads;
        }
    }

    /**
     * At most {@link #parallelCalls} one-thread calls of this model run at once, whatever the number of
     * engine calls (a service's jobs on one model) that run them.
     */
    private java.util.concurrent.Semaphore oneThreadCalls;

    @Override
    public Tensor forwardOnOneThread(Tensor input) {
        ForwardSession s;
        java.util.concurrent.Semaphore calls;
        synchronized (this) {
            s = single;
            calls = oneThreadCalls;
        }
        if (s == null || calls == null) {
            throw Explain4jException.usage("model", "the model " + path + " is closed or runs no one-thread calls;"
                    + " ask parallelCalls() first, on an open model");
        }
        calls.acquireUninterruptibly();
        try {
            return forward(input, Map.of(), s);
        } finally {
            calls.release();
        }
    }

    private Tensor forward(Tensor input, Map<String, Tensor> fed, ForwardSession through) {
        Tensor in = input.dtype() == signature.inputType() ? input : input.to(signature.inputType());
        List<OnnxTensor> created = new ArrayList<>();
        try {
            Map<String, OnnxTensor> feeds = new HashMap<>();
            created.add(OrtTensors.toOrt(env, in));
            feeds.put(signature.inputName(), created.get(created.size() - 1));
            for (Map.Entry<String, Tensor> f : fed.entrySet()) {
                created.add(OrtTensors.toOrt(env, converted(f.getKey(), f.getValue())));
                feeds.put(f.getKey(), created.get(created.size() - 1));
            }
            return run(feeds, input, through);
        } catch (OrtException e) {
            throw Explain4jException.model("--model", "ONNX Runtime failed on " + path.getFileName() + " with input "
                    + input.describe() + ": " + firstLine(e.getMessage()), e);
        } finally {
            OnnxValue.close(created);
        }
    }

    /** A fed tensor in its input's declared floating type (float32 and float64 are interchangeable). */
    private Tensor converted(String name, Tensor t) {
        DType want = signature.input(name).map(InputSpec::type).orElseThrow(() -> Explain4jException.usage("input",
                "the model has no input named '" + name + "'; its inputs are "
                        + signature.inputs().stream().map(InputSpec::name).toList()));
        boolean convertible = (t.dtype().isFloating() && want.isFloating()) || (!t.dtype().isFloating() && !want.isFloating());
        return t.dtype() == want || !convertible ? t : t.to(want);
    }

    private Tensor run(Map<String, OnnxTensor> feeds, Tensor input, ForwardSession through) throws OrtException {
        OrtSession fs = through.get();
        org.explain4j.core.Timeline.mark("forward run: start");
        try (OrtSession.Result r = fs.run(feeds, java.util.Set.of(outputName))) {
            org.explain4j.core.Timeline.mark("forward run: end");
            OnnxTensor out = (OnnxTensor) r.get(0);
            Tensor o = OrtTensors.fromOrt(out);
            if (o.rank() == 1) {
                return o.reshape(o.dim(0), 1);
            }
            if (o.rank() > 2) {
                return o.reshape(o.dim(0), o.exampleSize());
            }
            return o;
        }
    }

    /**
     * Incremental inference for rows that differ from {@code base} inside small boxes (see
     * {@link IncrementalInference}); null for a model with several inputs, a non-float32 input or
     * output, or no cut that pays. The system property {@code explain4j.incremental.cut} (tests
     * only) forces the deepest cut at most that operator index.
     */
    @Override
    public Evaluator local(double[] base, int[] exampleShape, int[][] lo, int[][] hi, int batchSize) {
        if (!ownsSession || signature.inputs().size() != 1 || signature.inputType() != DType.FLOAT32) {
            return null;
        }
        IncrementalInference inc;
        synchronized (this) {
            if (incremental == null) {
                try {
                    if (outputType != ai.onnxruntime.OnnxJavaType.FLOAT) {
                        return null;
                    }
                    ai.onnx.proto.OnnxMl.ModelProto proto = parsedWithInternalWeights();
                    if (proto == null) {
                        return null;
                    }
                    incremental = new IncrementalInference(proto, signature.inputName(), outputName, env, options,
                            forcedCut);
                } catch (IOException e) {
                    return null;
                }
            }
            inc = incremental;
        }
        return inc.local(base, exampleShape, lo, hi, batchSize);
    }

    /**
     * The dense first layer over the explained input and the rest of the model as a graph of its own
     * ({@link DenseLayer}), analysed on first use (the cut model's session is made only when a caller
     * opens the layer); null for a model with several inputs, a non-float32 input or output, external
     * weights, no dense first layer in a form {@link DenseLayer} knows, or a cut model ONNX Runtime refused.
     */
    @Override
    public DenseInput.Layer denseInput() {
        if (!ownsSession || signature.inputs().size() != 1 || signature.inputType() != DType.FLOAT32
                || outputType != ai.onnxruntime.OnnxJavaType.FLOAT) {
            return null;
        }
        synchronized (this) {
            if (!denseAnalysed) {
                denseAnalysed = true;
                try {
                    ai.onnx.proto.OnnxMl.ModelProto proto = parsedWithInternalWeights();
                    if (proto != null) {
                        // described only: its session is made when a caller takes the layer (DenseLayer.open)
                        dense = DenseLayer.analyse(proto, signature.inputName(), outputName, env, options);
                    }
                } catch (IOException e) {
                    dense = null;
                }
            }
            // a cut model ONNX Runtime refused is not offered again
            return dense == null || dense.refused() ? null : dense;
        }
    }

    /**
     * The model parsed for a graph derived from it (incremental occlusion's cropped graphs, the dense
     * layer's cut model), or null when any of its tensors (an initializer, a {@code Constant}, a
     * tensor in a subgraph) is stored as external data, which a derived graph loaded from bytes
     * would not find.
     */
    private ai.onnx.proto.OnnxMl.ModelProto parsedWithInternalWeights() throws IOException {
        ai.onnx.proto.OnnxMl.ModelProto proto;
        if (bytes != null) {
            proto = parseAliased(bytes);
        } else {
            try (InputStream in = openModel()) {
                proto = ai.onnx.proto.OnnxMl.ModelProto.parseFrom(in);
            }
        }
        // initializers, Constants and subgraphs alike: a derived graph loaded from bytes finds none of them
        return ModelInterface.external(proto.getGraph()) ? null : proto;
    }

    /**
     * {@code bytes} parsed with the weights aliased (their {@code ByteString}s view the array, which
     * the caller keeps unchanged for as long as the parse is used): no second copy of the weights.
     */
    private static ai.onnx.proto.OnnxMl.ModelProto parseAliased(byte[] bytes) throws IOException {
        com.google.protobuf.CodedInputStream in = com.google.protobuf.CodedInputStream.newInstance(bytes);
        in.enableAliasing(true);
        return ai.onnx.proto.OnnxMl.ModelProto.parseFrom(in);
    }

    private boolean denseAnalysed;
    private DenseLayer dense;

    /** The dense first layer if {@link #denseInput} found one (tests and benchmarks). */
    synchronized DenseLayer denseLayer() {
        return dense;
    }

    private IncrementalInference incremental;
    private int forcedCut = Integer.getInteger("explain4j.incremental.cut", -1);

    /** Tests: use the deepest cut at most operator {@code k} whatever the cost model says (-1: let it choose). */
    synchronized void forceIncrementalCut(int k) {
        forcedCut = k;
        if (incremental != null) {
            incremental.forcedCut = k;
        }
    }

    /** The incremental-inference state, if any was made (tests and benchmarks). */
    synchronized IncrementalInference incremental() {
        return incremental;
    }

    @Override
    public ModelSignature signature() {
        return signature;
    }

    @Override
    public ModelInfo info() {
        return new ModelInfo(path.getFileName().toString(), join(sha256));
    }

    @Override
    public void close() {
        closeQuietly();
    }

    private void closeQuietly() {
        synchronized (this) {
            if (incremental != null) {
                incremental.close();
                incremental = null;
            }
            if (dense != null) {
                dense.close();
                dense = null;
            }
            if (single != null) {
                single.close();
                single = null;
            }
            singleRefused = true;
        }
        if (ownsSession) {
            session.close();
        }
    }

    /** How many forward sessions this model (or the model it is a view of) has made: 0 or 1 (tests). */
    int forwardSessionsCreated() {
        return session.created();
    }

    /** Whether the forward session exists now (tests). */
    boolean forwardSessionOpen() {
        return session.open();
    }

    static String firstLine(String s) {
        if (s == null) {
            return "unknown error";
        }
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).trim();
    }

    /**
     * System property: {@code off} computes the model's SHA-256 on the loading thread, after the
     * checks, instead of on a thread of its own during them (comparisons).
     */
    public static final String PARALLEL_DIGEST = "explain4j.parallelDigest";

    /** The digest's value, or its error (the same exception as computed on this thread). */
    private static String join(java.util.concurrent.FutureTask<String> digest) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return digest.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException r) {
                throw r;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(c);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** The SHA-256 of a file, streamed (never the whole file in memory). */
    static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int k = in.read(buf); k >= 0; k = in.read(buf)) {
                md.update(buf, 0, k);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        } catch (IOException e) {
            throw Explain4jException.file("--model", "--model " + file + " cannot be read: " + e.getMessage(), e);
        }
    }
}
