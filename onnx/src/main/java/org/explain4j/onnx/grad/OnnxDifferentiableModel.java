package org.explain4j.onnx.grad;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.explain4j.core.DType;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.core.grad.ActivationCapture;
import org.explain4j.core.grad.BackwardRequest;
import org.explain4j.core.grad.BackwardResult;
import org.explain4j.core.grad.DifferentiableModel;
import org.explain4j.core.grad.RuleSet;
import org.explain4j.core.model.ModelInfo;
import org.explain4j.core.model.ModelSignature;
import org.explain4j.onnx.OnnxModel;
import org.explain4j.onnx.OrtTensors;
import org.explain4j.onnx.cache.BackwardGraphCache;
import org.explain4j.onnx.cache.OptimizedSessionCache;
import org.explain4j.core.engine.RowMemory;
import org.explain4j.core.grad.Canonizer;
import org.explain4j.onnx.grad.propagation.Canonizers;

/**
 * An {@link OnnxModel} that also runs backward passes: for each (rule set, captures, feeds,
 * input-gradient flag, input shape) it builds the backward graph once with
 * {@link BackwardGraphBuilder}, compiles it into an ONNX Runtime session once, and reuses that
 * session for every later call. The derived graphs are kept apart from the sessions, so that
 * copies of the model with other initializer values ({@link #reweighted}) take them without a
 * derivation of their own. Safe to call from several threads.
 *
 * <p>{@link #close()} closes only the sessions this object created, never the wrapped model's.
 */
public final class OnnxDifferentiableModel implements DifferentiableModel, ActivationCapture, RowMemory {
    /**
     * A backward pass's bytes per row over the forward activations' (all tensors of a probe run of
     * one row). The backward graph keeps the forward activations for the backward pass and adds a
     * gradient of the same size for most of them, plus masks and layout copies; measured on
     * ResNet-18 at 224x224 (docs/BENCHMARKS.md, "The automatic batch size").
     */
    public static final double BACKWARD_FACTOR = 2.0;
    /**
     * The cache key of a compiled backward model. {@code stridedConv} is the strided Conv gradient's
     * form ({@link org.explain4j.onnx.grad.rules.Polyphase#mode()}, a system property read at each
     * request): a process that changes it gets graphs of the form it asks for, as the disk key does.
     */
    record Key(RuleSet rules, List<String> captures, List<String> feeds, boolean inputGradient, List<Integer> shape,
               String input, Map<String, List<Integer>> fedShapes, Map<String, List<Double>> smallFedValues,
               Map<String, String> foldedFedDigests, String stridedConv) {
    }

    /**
     * Fed inputs of at most this many elements are part of the cache key by value: such inputs
     * (a sample rate, a flag) may decide an {@code If} that the lowering folds into the derived
     * graph, so another value must not reuse that graph. Larger fed inputs (masks, states) are
     * keyed by shape only, unless the lowering reads a constant computed from their values (an
     * {@code If}'s condition, say: {@link #foldedInputs}): those are keyed by a digest of their values too.
     */
    static final int SMALL_FED_INPUT = 64;

    /** Graph inputs the lowering may fold by value (see {@link #foldedInputs}); null until asked. */
    private volatile Set<String> folded;

    /**
     * The model's graph inputs from whose values the lowering reads a constant: an {@code If}'s
     * condition, a {@code Loop}'s trip count and condition ({@link ControlFlowInlining}) and a
     * recurrent node's {@code sequence_lens} ({@link RecurrentUnrolling}). The derived graph is only
     * valid for the values the probe saw there. A control-flow node whose body holds further
     * control flow counts with everything it reads (the inner conditions are read after inlining).
     */
    private Set<String> foldedInputs() {
        Set<String> f = folded;
        if (f == null) {
            ai.onnx.proto.OnnxMl.GraphProto g = proto().getGraph();
            List<ai.onnx.proto.OnnxMl.NodeProto> nodes = g.getNodeList();
            Set<String> read = new java.util.HashSet<>();
            for (ai.onnx.proto.OnnxMl.NodeProto n : nodes) {
                if (ControlFlowInlining.isControlFlow(n) && nestsControlFlow(n)) {
                    read.addAll(Graphs.allInputs(n));
                } else if (n.getOpType().equals("If")) {
                    read.add(n.getInput(0));
                } else if (n.getOpType().equals("Loop")) {
                    n.getInputList().subList(0, Math.min(2, n.getInputCount())).forEach(read::add);
                } else if (RecurrentUnrolling.isRecurrent(n) && n.getInputCount() > 4) {
                    read.add(n.getInput(4));
                }
            }
            read.remove("");
            Set<String> ancestors = Dataflow.valueAncestors(nodes, read);
            Set<String> inits = new java.util.HashSet<>();
            g.getInitializerList().forEach(t -> inits.add(t.getName()));
            Set<String> out = new TreeSet<>();
            for (ai.onnx.proto.OnnxMl.ValueInfoProto in : g.getInputList()) {
                if (!inits.contains(in.getName()) && ancestors.contains(in.getName())) {
                    out.add(in.getName());
                }
            }
            folded = f = Set.copyOf(out);
        }
        return f;
    }

    private static boolean nestsControlFlow(ai.onnx.proto.OnnxMl.NodeProto n) {
        for (ai.onnx.proto.OnnxMl.AttributeProto a : n.getAttributeList()) {
            List<ai.onnx.proto.OnnxMl.GraphProto> subs = new ArrayList<>(a.getGraphsList());
            if (a.hasG()) {
                subs.add(a.getG());
            }
            for (ai.onnx.proto.OnnxMl.GraphProto sub : subs) {
                for (ai.onnx.proto.OnnxMl.NodeProto inner : sub.getNodeList()) {
                    if (ControlFlowInlining.isControlFlow(inner) || RecurrentUnrolling.isRecurrent(inner)
                            || nestsControlFlow(inner)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private Map<String, String> foldedDigests(Map<String, Tensor> fed) {
        if (fed.isEmpty()) {
            return Map.of();
        }
        Map<String, String> d = new TreeMap<>();
        Set<String> foldable = foldedInputs();
        fed.forEach((k, v) -> {
            if (v.size() > SMALL_FED_INPUT && foldable.contains(k)) {
                d.put(k, DerivationKey.valuesDigest(v));
            }
        });
        return d;
    }

    /**
     * A backward model and its session, held in the process's {@link SessionCache}: counted while
     * calls use it, closed once evicted (or its model closed) and unused.
     */
    static final class Compiled {
        private final BackwardGraph graph;
        private final OrtSession session;
        final OnnxDifferentiableModel owner;
        final Key key;
        final long bytes;
        /** Calls running on the session; guarded by the cache. */
        int users;
        /** Dropped from the cache; closed when unused. Guarded by the cache. */
        boolean evicted;
        private boolean sessionClosed;
        private final SharedWeights.Lease weights;
        /** Boolean inputs fed to every pass (a {@link LayerSwitch}'s session: which layers are randomised). */
        final Map<String, Boolean> switches;
        /** Where not null: the cache of the switched session's hoisted lower part ({@link LayerSwitchGraph#hoist}). */
        final HoistCache hoist;

        /**
         * A {@link LayerSwitch}'s session (owned and closed by the switch) with the switch inputs of
         * one randomised copy.
         */
        Compiled(BackwardGraph graph, OrtSession session, Map<String, Boolean> switches, HoistCache hoist) {
            this.graph = graph;
            this.session = session;
            this.owner = null;
            this.key = null;
            this.weights = null;
            this.bytes = 2L * graph.model().getSerializedSize();
            this.switches = Map.copyOf(switches);
            this.hoist = hoist;
        }

        /**
         * A session outside the process's cache: a reweighted copy's ({@link ReweightedModel}), which
         * owns and closes it itself.
         */
        Compiled(BackwardGraph graph, OrtSession session) {
            this(graph, session, null, null, null);
        }

        /**
         * A cached session of {@code owner}'s; {@code weights} keeps the shared weights its session
         * reads alive until the session is closed (ONNX Runtime does not copy them).
         */
        Compiled(BackwardGraph graph, OrtSession session, OnnxDifferentiableModel owner, Key key,
                 SharedWeights.Lease weights) {
            this.graph = graph;
            this.session = session;
            this.owner = owner;
            this.key = key;
            this.weights = weights;
            this.bytes = 2L * graph.model().getSerializedSize();
            this.switches = Map.of();
            this.hoist = null;
        }

        BackwardGraph graph() {
            return graph;
        }

        /** Whether its session has been closed (tests). */
        synchronized boolean sessionClosed() {
            return sessionClosed;
        }

        OrtSession session() {
            return session;
        }

        synchronized void closeSession() {
            if (!sessionClosed) {
                sessionClosed = true;
                closeQuietly(this);
                if (weights != null) {
                    weights.close();
                }
            }
        }
    }

    private final OnnxModel model;
    private final RuleRegistry registry;
    private final BackwardGraphBuilder builder;
    private final OrtEnvironment env = OnnxModel.environment();
    private final SessionCache cache = SessionCache.global();
    private final Map<Key, Compiled> compiled = new ConcurrentHashMap<>();
    private final Map<Key, BackwardGraph> graphs = new ConcurrentHashMap<>();
    /** The disk-cache key of each derived graph (when the cache is on and the model cacheable). */
    private final Map<Key, String> diskKeys = new ConcurrentHashMap<>();
    private volatile ModelProto proto;
    private final Map<List<Canonizer>, ModelProto> canonical = new ConcurrentHashMap<>();
    private volatile boolean closed;
    private volatile Consumer<OnnxTensor> tensorListener = t -> { };
    private final Map<List<Object>, Long> activationBytes = new ConcurrentHashMap<>();
    /** The model's weights, one native copy for all the sessions this object makes; made on first use. */
    private SharedWeights weights;
    /** Probe runs of the model itself, by input name, shape and fed inputs (so one probe serves the batch-size estimate and the backward graph). */
    private final Map<List<Object>, ShapeProbe.Result> probes = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicInteger probeRuns = new java.util.concurrent.atomic.AtomicInteger();
    /** Fed inputs larger than this are not part of a probe's cache key (it is then not cached). */
    private static final int MAX_KEYED_FED = 1 << 16;
    /** Sessions with the shared weights, and probes of the model itself cached. */
    private final OrtAccess access = new OrtAccess() {
        @Override
        public OrtSession createSession(OrtEnvironment e, ModelProto p, OrtSession.SessionOptions so) throws OrtException {
            // callers hold a lease of the weights (probes below; compile and captureSession)
            return weights().createSession(e, p, so);
        }

        @Override
        public ShapeProbe.Result probe(OrtEnvironment e, ModelProto m, String inputName, int inputType, int[] shape,
                                       Map<String, Tensor> fed) {
            List<Object> key = m == proto ? probeKey(inputName, shape, fed) : null;
            return key == null ? run(e, m, inputName, inputType, shape, fed)
                    : probes.computeIfAbsent(key, k -> run(e, m, inputName, inputType, shape, fed));
        }

        private ShapeProbe.Result run(OrtEnvironment e, ModelProto m, String inputName, int inputType, int[] shape,
                                      Map<String, Tensor> fed) {
            probeRuns.incrementAndGet();
            try (SharedWeights.Lease l = lease()) {
                return ShapeProbe.run(e, this, m, inputName, inputType, shape, fed);
            }
        }
    };
    /** Forward-only sessions returning the output and some intermediate tensors, by the tensors' names. */
    private final Map<List<String>, OrtSession> captureSessions = new ConcurrentHashMap<>();

    /** Wraps {@code model} with the default gradient rules. */
    public OnnxDifferentiableModel(OnnxModel model) {
        this(model, RuleRegistry.defaults());
    }

    /** Wraps {@code model} with the given rules (e.g. defaults plus propagation rules). */
    public OnnxDifferentiableModel(OnnxModel model, RuleRegistry rules) {
        if (model == null || rules == null) {
            throw new IllegalArgumentException("model and rules are required");
        }
        this.model = model;
        this.registry = rules;
        this.builder = new BackwardGraphBuilder(rules).withAccess(access);
    }

    /**
     * The same model explaining its input {@code name}, the others fed as given; a new object
     * with its own compiled sessions (close it too).
     */
    public OnnxDifferentiableModel explaining(String name) {
        return name.equals(model.signature().inputName()) ? this
                : new OnnxDifferentiableModel(model.explaining(name), registry);
    }

    /**
     * This model with the initializers {@code replaced} (by name, each of the same type and shape
     * as the one it replaces) given other values, in memory: it shares this model's derived
     * backward graphs and compiles its own sessions; {@code rebuild} makes a model of the edited
     * graph for forward passes and for the requests whose graph cannot be shared (see
     * {@link ReweightedModel}), on first need. Close it before this model.
     */
    public ReweightedModel reweighted(Map<String, ai.onnx.proto.OnnxMl.TensorProto> replaced, ModelInfo info,
                                      java.util.function.Supplier<? extends DifferentiableModel> rebuild) {
        return new ReweightedModel(this, replaced, info, rebuild, null);
    }

    /**
     * As {@link #reweighted(Map, ModelInfo, java.util.function.Supplier)}, running its backward
     * passes on {@code layerSwitch}'s session (one for all copies of those draws, with the copy's
     * layers switched on) where {@code replaced} is a set of whole layers of its draws and the
     * graph can be switched; else on a session of its own. {@code layerSwitch} (of this model)
     * stays open longer than the copy.
     */
    public ReweightedModel reweighted(Map<String, ai.onnx.proto.OnnxMl.TensorProto> replaced, ModelInfo info,
                                      java.util.function.Supplier<? extends DifferentiableModel> rebuild,
                                      LayerSwitch layerSwitch) {
        if (layerSwitch != null && layerSwitch.template() != this) {
            throw new IllegalArgumentException("the layer switch must be made for this model");
        }
        return new ReweightedModel(this, replaced, info, rebuild, layerSwitch);
    }

    /** The wrapped model. */
    public OnnxModel model() {
        return model;
    }

    @Override
    public Tensor forward(Tensor input) {
        return model.forward(input);
    }

    @Override
    public Tensor forward(Tensor input, Map<String, Tensor> fed) {
        return model.forward(input, fed);
    }

    @Override
    public ModelSignature signature() {
        return model.signature();
    }

    @Override
    public ModelInfo info() {
        return model.info();
    }

    /**
     * The activations of one row, from a probe run of the model on a zero row of {@code row}'s
     * shape (with {@code fedRow}): every tensor of the run, once per shape; a backward pass counts
     * {@value #BACKWARD_FACTOR} times that. Empty when the probe cannot run (control flow whose
     * shapes need the lowering); then the engine sizes batches from the input and output rows.
     */
    @Override
    public OptionalLong bytesPerRow(Tensor row, Map<String, Tensor> fedRow, Call call) {
        List<Object> key = List.of(Arrays.stream(row.shape()).boxed().toList(), shapes(new TreeMap<>(fedRow)),
                model.signature().inputName());
        long forward;
        try {
            forward = activationBytes.computeIfAbsent(key, k -> probeBytes(row, fedRow));
        } catch (Explain4jException e) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(call == Call.BACKWARD ? (long) Math.ceil(BACKWARD_FACTOR * forward) : forward);
    }

    private long probeBytes(Tensor row, Map<String, Tensor> fedRow) {
        ModelProto p = proto();
        String input = model.signature().inputName();
        int type = p.getGraph().getInputList().stream().filter(v -> v.getName().equals(input)).findFirst()
                .map(v -> v.getType().getTensorType().getElemType())
                .orElseThrow(() -> Explain4jException.usage("input", "no model input " + input));
        Map<String, Tensor> fed = new TreeMap<>();
        for (Map.Entry<String, Tensor> f : fedRow.entrySet()) {
            DType want = model.signature().input(f.getKey()).map(s -> s.type()).orElse(f.getValue().dtype());
            fed.put(f.getKey(), f.getValue().dtype() == want || f.getValue().dtype().isFloating() != want.isFloating()
                    ? f.getValue() : f.getValue().to(want));
        }
        // kept on disk with the derived graphs: with both cached, a later process runs no probe at all
        String diskKey = org.explain4j.onnx.cache.CacheSettings.enabled()
                ? DerivationKey.rowMemory(model, p, input, row.shape(), fed) : null;
        return org.explain4j.onnx.cache.RowMemoryCache.get(diskKey,
                () -> access.probe(env, p, input, type, row.shape(), fed).bytes());
    }

    /** The backward model for a request at an input shape (built or taken from the cache), for inspection. */
    public BackwardGraph backwardGraph(BackwardRequest request, int... inputShape) {
        Compiled c = compiled(request, inputShape, checkInputs(request.inputs(), model.signature()));
        cache.release(c);
        return c.graph();
    }

    @Override
    public BackwardResult backward(Tensor input, Tensor seed, BackwardRequest request) {
        // MPRT's column 0 explained through a layer switch on this thread: its switched session, all layers kept
        BackwardResult routed = LayerSwitch.original(this, input, seed, request);
        return routed != null ? routed : backward(input, seed, request, this::compiled);
    }

    /**
     * Makes the backward graph and session of {@code request} at {@code inputShape} on a background
     * (daemon) thread, as the first {@link #backward} call of that request and shape would; that
     * call then finds them made, or waits for them (the compiled map's {@code computeIfAbsent}
     * holds the key while they are made). An error here is dropped: nothing is stored, and the
     * backward call makes them again itself and reports its error as always. What is prepared and
     * never used is held, unused, in the session cache and closed with this model;
     * {@link #close()} waits for preparations still running. {@code explain4j.prepare=off}
     * (system property) turns this off, for comparisons.
     */
    @Override
    public void prepare(BackwardRequest request, int... inputShape) {
        if (closed || "off".equals(System.getProperty(PREPARE))) {
            return;
        }
        int[] shape = inputShape.clone();
        // an original explained through a layer switch on this thread prepares the switched session
        // its passes will take, where the request can be switched, and its own session only where not
        LayerSwitch via = LayerSwitch.routing(this);
        Thread[] self = new Thread[1];
        Thread t = org.explain4j.core.NativeThreads.daemonFactory("explain4j-prepare").newThread(() -> {
            try {
                org.explain4j.core.Timeline.mark("prepare: start");
                if (via != null && via.prepareOriginal(request, shape)) {
                    org.explain4j.core.Timeline.mark("prepare: end (switched)");
                    return;
                }
                Compiled c = compiled(request, shape, checkInputs(request.inputs(), model.signature()));
                cache.release(c);
                org.explain4j.core.Timeline.mark("prepare: end");
            } catch (RuntimeException | OutOfMemoryError e) {
                // made again, and reported, by the call that needs it
            } finally {
                synchronized (preparing) {
                    preparing.remove(self[0]); // a long-lived model (the service) keeps no finished threads
                }
            }
        });
        self[0] = t;
        synchronized (preparing) {
            preparing.add(t);
        }
        t.start();
    }

    /** System property: {@code off} makes {@link #prepare} do nothing. */
    public static final String PREPARE = "explain4j.prepare";

    /** Preparations started by {@link #prepare}; joined by {@link #close()}. */
    private final List<Thread> preparing = new ArrayList<>();

    /** Preparations started and not yet finished (tests). */
    int preparingCount() {
        synchronized (preparing) {
            return preparing.size();
        }
    }

    /** Waits for the preparations started so far (tests; {@link #close()}). */
    void awaitPrepared() {
        List<Thread> ts;
        synchronized (preparing) {
            ts = List.copyOf(preparing);
            preparing.clear();
        }
        boolean interrupted = false;
        for (Thread t : ts) {
            while (true) {
                try {
                    t.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Where a backward pass's compiled graph comes from (this model's own, or a reweighted copy's). */
    interface Sessions {
        Compiled get(BackwardRequest request, int[] inputShape, Map<String, Tensor> fed);
    }

    /** A backward pass with the compiled graph that {@code sessions} gives for the request. */
    BackwardResult backward(Tensor input, Tensor seed, BackwardRequest request, Sessions sessions) {
        ModelSignature sig = model.signature();
        sig.validate(input, "input");
        Tensor in = input.dtype() == sig.inputType() ? input : input.to(sig.inputType());
        Map<String, Tensor> fed = checkInputs(request.inputs(), sig);
        Compiled c = sessions.get(request, in.shape(), fed);
        List<OnnxTensor> created = new ArrayList<>();
        try {
            BackwardGraph g = c.graph();
            Tensor s = checkSeed(seed, g.outputMeta());
            Map<String, Tensor> feeds = checkFeeds(request.feeds(), g);
            Map<String, OnnxTensor> inputs = new HashMap<>();
            inputs.put(g.inputName(), track(OrtTensors.toOrt(env, in), created));
            inputs.put(g.seedName(), track(OrtTensors.toOrt(env, s), created));
            for (Map.Entry<String, Tensor> f : feeds.entrySet()) {
                inputs.put(g.feedInputs().get(f.getKey()), track(OrtTensors.toOrt(env, f.getValue()), created));
            }
            for (Map.Entry<String, Tensor> f : fed.entrySet()) {
                inputs.put(f.getKey(), track(OrtTensors.toOrt(env, f.getValue()), created));
            }
            for (Map.Entry<String, Boolean> f : c.switches.entrySet()) {
                inputs.put(f.getKey(), track(OnnxTensor.createTensor(env, f.getValue()), created));
            }
            HoistCache.Pass pass = null;
            if (c.hoist != null) {
                Map<String, Tensor> key = new HashMap<>(fed);
                key.put(g.inputName(), in);
                feeds.forEach((name, t) -> key.put(g.feedInputs().get(name), t));
                pass = c.hoist.begin(env, c.switches, key, inputs, created);
            }
            org.explain4j.core.Timeline.mark("backward run: start");
            OrtSession.Result r = null;
            boolean kept = false;
            try {
                r = c.session().run(inputs);
                org.explain4j.core.Timeline.mark("backward run: end");
                BackwardResult out = result(r, g, in, feeds, request);
                kept = pass != null && pass.keep(r); // the hoisted part's values, for the next passes
                return out;
            } finally {
                if (pass != null) {
                    pass.end();
                }
                if (r != null && !kept) {
                    r.close();
                }
            }
        } catch (OrtException e) {
            throw Explain4jException.model("--model", "ONNX Runtime failed on the backward pass of "
                    + model.info().name() + " with input " + input.describe() + ": "
                    + ShapeProbe.firstLine(e.getMessage()), e);
        } finally {
            OnnxValue.close(created);
            if (c.owner != null) {
                cache.release(c);
            }
        }
    }

    /**
     * The output and the values of {@code tensors} from a forward pass alone: a session of the
     * model with those tensors as extra outputs, made once per set of names. Names that are not
     * outputs of the model's nodes (the input, an initializer, a tensor the model lacks) go through
     * the backward graph with a zero seed, which also reports a missing name.
     */
    @Override
    public BackwardResult capture(Tensor input, List<String> tensors, Map<String, Tensor> inputs) {
        ModelSignature sig = model.signature();
        sig.validate(input, "input");
        Tensor in = input.dtype() == sig.inputType() ? input : input.to(sig.inputType());
        Map<String, Tensor> fed = checkInputs(inputs, sig);
        List<String> names = List.copyOf(new TreeSet<>(tensors));
        if (closed) {
            throw Explain4jException.usage("model", "this differentiable model is closed");
        }
        OrtSession session = captureSessions.get(names);
        if (session == null && !nodeOutputs(proto()).containsAll(names)) {
            BackwardRequest request = new BackwardRequest(RuleSet.gradient(), names, Map.of(), false, inputs);
            TensorMeta out = graph(key(request, in.shape(), fed), fed).outputMeta();
            BackwardResult b = backward(in, Tensor.zeros(dtypeOf(out), out.intShape()), request);
            return new BackwardResult(b.output(), Optional.empty(), b.activations(), Map.of());
        }
        if (session == null) {
            session = captureSessions.computeIfAbsent(names, this::captureSession);
            if (closed) {
                closeQuietly(captureSessions.remove(names));
                throw Explain4jException.usage("model", "this differentiable model is closed");
            }
        }
        List<OnnxTensor> created = new ArrayList<>();
        try {
            Map<String, OnnxTensor> feeds = new HashMap<>();
            feeds.put(sig.inputName(), track(OrtTensors.toOrt(env, in), created));
            for (Map.Entry<String, Tensor> f : fed.entrySet()) {
                feeds.put(f.getKey(), track(OrtTensors.toOrt(env, f.getValue()), created));
            }
            java.util.Set<String> wanted = new java.util.LinkedHashSet<>(names);
            wanted.add(model.outputName());
            try (OrtSession.Result r = session.run(feeds, wanted)) {
                Tensor out = read(r, model.outputName());
                if (out.rank() == 1) {
                    out = out.reshape(out.dim(0), 1);
                } else if (out.rank() > 2) {
                    out = out.reshape(out.dim(0), out.exampleSize());
                }
                Map<String, Tensor> acts = new LinkedHashMap<>();
                for (String name : names) {
                    acts.put(name, read(r, name));
                }
                return new BackwardResult(out, Optional.empty(), acts, Map.of());
            }
        } catch (OrtException e) {
            throw Explain4jException.model("--model", "ONNX Runtime failed on " + model.info().name()
                    + " with input " + input.describe() + ": " + ShapeProbe.firstLine(e.getMessage()), e);
        } finally {
            OnnxValue.close(created);
        }
    }

    /** The shared weights of the model, made on first use. */
    private synchronized SharedWeights weights() {
        if (weights == null) {
            try {
                weights = new SharedWeights(env, proto());
            } catch (OrtException e) {
                throw Explain4jException.model("--model", "ONNX Runtime could not hold the weights of "
                        + model.info().name() + ": " + ShapeProbe.firstLine(e.getMessage()), e);
            }
        }
        return weights;
    }

    /** Number of weights held in the shared native copy now (0 once freed; for tests). */
    synchronized int sharedWeightCount() {
        return weights == null ? 0 : weights.size();
    }

    /** Keeps the shared weights alive while a session is made (and, for a probe, run). */
    private SharedWeights.Lease lease() {
        if (closed) {
            throw Explain4jException.usage("model", "this differentiable model is closed");
        }
        return weights().lease();
    }

    /** A probe's cache key: the input's name and shape and the fed inputs' types, shapes and values; null when too large. */
    private static List<Object> probeKey(String inputName, int[] shape, Map<String, Tensor> fed) {
        List<Object> key = new ArrayList<>();
        key.add(inputName);
        key.add(Arrays.stream(shape).boxed().toList());
        for (Map.Entry<String, Tensor> f : new TreeMap<>(fed).entrySet()) {
            Tensor t = f.getValue();
            if (t.size() > MAX_KEYED_FED) {
                return null;
            }
            key.add(List.of(f.getKey(), t.dtype(), Arrays.stream(t.shape()).boxed().toList(),
                    Arrays.stream(t.toDoubleArray()).boxed().toList()));
        }
        return key;
    }

    private static java.util.Set<String> nodeOutputs(ModelProto p) {
        java.util.Set<String> out = new java.util.HashSet<>();
        p.getGraph().getNodeList().forEach(n -> out.addAll(n.getOutputList()));
        out.remove("");
        return out;
    }

    /** The model (batch relaxed, as for the backward graphs) with {@code names} as extra outputs, compiled. */
    private OrtSession captureSession(List<String> names) {
        ModelProto p = proto();
        ai.onnx.proto.OnnxMl.GraphProto.Builder g = p.getGraph().toBuilder();
        java.util.Set<String> outputs = new java.util.HashSet<>();
        g.getOutputList().forEach(o -> outputs.add(o.getName()));
        for (String name : names) {
            if (outputs.add(name)) {
                // type and shape left to ONNX Runtime's inference
                g.addOutput(ai.onnx.proto.OnnxMl.ValueInfoProto.newBuilder().setName(name));
            }
        }
        try (SharedWeights.Lease l = lease(); OrtSession.SessionOptions so = sessionOptions()) {
            return access.createSession(env, p.toBuilder().setGraph(g).build(), so);
        } catch (OrtException e) {
            throw Explain4jException.model("--model", "ONNX Runtime could not compile " + model.info().name()
                    + " with " + names + " as outputs: " + ShapeProbe.firstLine(e.getMessage()), e);
        }
    }

    /** The options of every session this model creates: the wrapped model's optimisation and threads. */
    private OrtSession.SessionOptions sessionOptions() throws OrtException {
        OrtSession.SessionOptions so = new OrtSession.SessionOptions();
        try {
            so.setOptimizationLevel(model.options().optimization());
            so.setSessionLogLevel(ai.onnxruntime.OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL);
            // No memory pattern: with it, ONNX Runtime's second run of a session allocates one block of the
            // first run's peak size outside the arena and touches it afresh (ResNet-18, 25 rows: 80k page
            // faults, about 0.15 s in a one-shot process, and 0.3-0.5 GB more peak memory); without it every run
            // after the first reuses the arena's chunks. NOTES, "Cold start, fourth round".
            so.setMemoryPatternOptimization(false);
            if (model.options().intraOpThreads() > 0) {
                so.setIntraOpNumThreads(model.options().intraOpThreads());
            }
            // the backward and capture sessions run where the forward one does
            model.options().configure(so);
            String profile = System.getenv("EXPLAIN4J_ORT_PROFILE");
            if (profile != null && !profile.isBlank()) {
                // performance work only: ONNX Runtime writes a per-op timing trace with this prefix
                so.enableProfiling(profile);
            }
            String tuning = System.getenv("EXPLAIN4J_ORT_SESSION");
            if (tuning != null && !tuning.isBlank()) {
                // performance work only: "mempattern=on|off", "arena=off" or ONNX Runtime config entries, comma-separated
                for (String kv : tuning.split(",")) {
                    String[] p = kv.trim().split("=", 2);
                    if (p.length != 2) {
                        continue; // not key=value: ignored
                    }
                    if (p[0].equals("mempattern")) {
                        so.setMemoryPatternOptimization(p[1].equals("on"));
                    } else if (p[0].equals("arena")) {
                        so.setCPUArenaAllocator(!p[1].equals("off"));
                    } else {
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

    private OnnxTensor track(OnnxTensor t, List<OnnxTensor> created) {
        created.add(t);
        tensorListener.accept(t);
        return t;
    }

    private BackwardResult result(OrtSession.Result r, BackwardGraph g, Tensor in, Map<String, Tensor> feeds,
                                  BackwardRequest request) {
        Tensor out = read(r, g.outputName());
        if (out.rank() == 1) {
            out = out.reshape(out.dim(0), 1);
        } else if (out.rank() > 2) {
            out = out.reshape(out.dim(0), out.exampleSize());
        }
        Optional<Tensor> inGrad = Optional.empty();
        Map<String, Tensor> grads = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : g.gradientOutputs().entrySet()) {
            Tensor t = read(r, e.getValue());
            if (request.inputGradient() && e.getKey().equals(g.inputName())) {
                inGrad = Optional.of(t);
            }
            if (request.captures().contains(e.getKey()) || feeds.containsKey(e.getKey())) {
                grads.put(e.getKey(), t);
            }
        }
        Map<String, Tensor> acts = new LinkedHashMap<>(feeds);
        for (Map.Entry<String, String> e : g.activationOutputs().entrySet()) {
            acts.putIfAbsent(e.getKey(), read(r, e.getValue()));
        }
        return new BackwardResult(out, inGrad, acts, grads);
    }

    private static Tensor read(OrtSession.Result r, String name) {
        OnnxValue v = r.get(name).orElseThrow(() -> new IllegalStateException("backward output missing: " + name));
        return OrtTensors.fromOrt((OnnxTensor) v);
    }

    private static Tensor checkSeed(Tensor seed, TensorMeta out) {
        seed.requireFinite("seed");
        int[] shape = out.intShape();
        long n = out.size();
        boolean same = Arrays.equals(seed.shape(), shape);
        boolean flat = seed.rank() == 2 && shape.length >= 1 && seed.dim(0) == shape[0] && seed.size() == n;
        if (!same && !(flat && shape.length != 2)) {
            throw Explain4jException.shape("seed", "the seed has shape " + Tensor.shapeString(seed.shape())
                    + " but the model output has shape " + Tensor.shapeString(shape)
                    + "; pass one seed value per output element");
        }
        Tensor s = same ? seed : seed.reshape(shape);
        return s.dtype() == dtypeOf(out) ? s : s.to(dtypeOf(out));
    }

    private static Map<String, Tensor> checkFeeds(Map<String, Tensor> feeds, BackwardGraph g) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> f : feeds.entrySet()) {
            TensorMeta m = g.feedMetas().get(f.getKey());
            Tensor t = f.getValue();
            if (!Arrays.equals(t.shape(), m.intShape())) {
                throw Explain4jException.shape("--layer", "the value fed to '" + f.getKey() + "' has shape "
                        + Tensor.shapeString(t.shape()) + " but that tensor has shape "
                        + Tensor.shapeString(m.intShape()) + " for this input");
            }
            out.put(f.getKey(), t.dtype() == dtypeOf(m) ? t : t.to(dtypeOf(m)));
        }
        return out;
    }

    /** The model's other inputs: every one given, each in its declared floating type. */
    static Map<String, Tensor> checkInputs(Map<String, Tensor> fed, ModelSignature sig) {
        Map<String, Tensor> out = new TreeMap<>();
        for (String name : sig.fedInputNames()) {
            Tensor t = fed.get(name);
            if (t == null) {
                throw Explain4jException.usage("input", "the model's input '" + name + "' "
                        + sig.input(name).orElseThrow().describe() + " is not given; feed it (--input " + name + "=FILE)");
            }
            DType want = sig.input(name).orElseThrow().type();
            boolean convertible = t.dtype().isFloating() == want.isFloating();
            out.put(name, t.dtype() == want || !convertible ? t : t.to(want));
        }
        for (String name : fed.keySet()) {
            if (!out.containsKey(name)) {
                throw Explain4jException.usage("input", "the model has no other input named '" + name + "'; it is fed "
                        + sig.fedInputNames());
            }
        }
        return out;
    }

    private static DType dtypeOf(TensorMeta m) {
        return ShapeProbe.dtypeOf(m.elemType(), "output");
    }

    /** The compiled backward model for a request at an input shape, built and cached on first use (for tests). */
    Compiled compiled(BackwardRequest request, int[] inputShape) {
        Compiled c = compiled(request, inputShape, checkInputs(request.inputs(), model.signature()));
        cache.release(c);
        return c;
    }

    /** Drops an evicted session from this model's table (the cache closes it). */
    void forget(Compiled c) {
        compiled.remove(c.key, c);
    }

    private Compiled compiled(BackwardRequest request, int[] inputShape, Map<String, Tensor> fed) {
        if (closed) {
            throw Explain4jException.usage("model", "this differentiable model is closed");
        }
        Key key = key(request, inputShape, fed);
        while (true) {
            Compiled c = compiled.computeIfAbsent(key, k -> {
                org.explain4j.core.Timeline.mark("backward graph: start");
                BackwardGraph g = graph(k, fed);
                org.explain4j.core.Timeline.mark("backward graph: end");
                SharedWeights.Lease held = lease();
                org.explain4j.core.Timeline.mark("shared weights held");
                try {
                    Compiled made = new Compiled(g, backwardSession(k, g), this, k, held);
                    org.explain4j.core.Timeline.mark("backward session made");
                    return made;
                } catch (RuntimeException e) {
                    held.close();
                    throw e;
                }
            });
            if (!cache.acquire(c)) {
                compiled.remove(key, c); // evicted between the lookup and now: compile again
                continue;
            }
            if (closed) {
                Compiled gone = compiled.remove(key);
                cache.release(c);
                if (gone != null && cache.remove(gone)) {
                    gone.closeSession();
                }
                throw Explain4jException.usage("model", "this differentiable model is closed");
            }
            return c;
        }
    }

    private static Map<String, List<Double>> smallValues(Map<String, Tensor> fed) {
        Map<String, List<Double>> s = new TreeMap<>();
        fed.forEach((k, v) -> {
            if (v.size() <= SMALL_FED_INPUT) {
                s.put(k, Arrays.stream(v.toDoubleArray()).boxed().toList());
            }
        });
        return s;
    }

    private static Map<String, List<Integer>> shapes(Map<String, Tensor> fed) {
        Map<String, List<Integer>> s = new TreeMap<>();
        fed.forEach((k, v) -> s.put(k, Arrays.stream(v.shape()).boxed().toList()));
        return s;
    }

    /** The cache key of a request at an input shape with the model's other inputs {@code fed} (checked). */
    Key key(BackwardRequest request, int[] inputShape, Map<String, Tensor> fed) {
        return new Key(request.rules(), List.copyOf(new TreeSet<>(request.captures())),
                List.copyOf(new TreeSet<>(request.feeds().keySet())), request.inputGradient(),
                Arrays.stream(inputShape).boxed().toList(), model.signature().inputName(), shapes(fed), smallValues(fed),
                foldedDigests(fed), org.explain4j.onnx.grad.rules.Polyphase.mode());
    }

    /** The backward graph of a key, derived once (also for reweighted copies, which share it). */
    BackwardGraph graph(Key key, Map<String, Tensor> fed) {
        if (closed) {
            throw Explain4jException.usage("model", "this differentiable model is closed");
        }
        return graphs.computeIfAbsent(key, k -> derive(k, fed));
    }

    private BackwardGraph derive(Key key, Map<String, Tensor> fed) {
        String input = model.signature().inputName();
        List<String> grads = new ArrayList<>();
        if (key.inputGradient()) {
            grads.add(input);
        }
        for (String name : key.captures()) {
            if (!grads.contains(name)) {
                grads.add(name);
            }
        }
        for (String name : key.feeds()) {
            if (!grads.contains(name)) {
                grads.add(name);
            }
        }
        int[] shape = key.shape().stream().mapToInt(Integer::intValue).toArray();
        BackwardSpec spec = new BackwardSpec(input, model.outputName(), shape, grads, key.captures(), key.feeds(),
                key.rules(), fed);
        // propagation rule sets run on the model after the canonizers they ask for (BatchNorm merging)
        // the derived graph is kept on disk between processes (org.explain4j.onnx.cache)
        // (the key hashes every fed value: computed only when the cache is on)
        String diskKey = org.explain4j.onnx.cache.CacheSettings.enabled()
                ? DerivationKey.of(model, proto(), registry, key, fed) : null;
        if (diskKey != null) {
            diskKeys.put(key, diskKey);
        }
        return BackwardGraphCache.get(diskKey, proto(),
                () -> key.rules().isGradient() ? builder.build(proto(), spec)
                        : Canonizers.build(builder, canonical(key.rules().canonizers()), spec));
    }

    /**
     * The session of the graph derived for {@code key}: made from ONNX Runtime's optimised form of
     * it stored in the disk cache by an earlier process, with optimisations off (no graph
     * transformers, no constant folding); else made the usual way, with ONNX Runtime writing its
     * optimised form, which is stored without the shared weights and the folded zeros
     * ({@link SharedWeights#strip}). Anything unexpected in a stored form makes the session the usual way.
     */
    private OrtSession backwardSession(Key key, BackwardGraph g) {
        OrtSession.SessionOptions.OptLevel level = model.options().optimization();
        String graphKey = diskKeys.get(key);
        String optKey = graphKey == null || level == OrtSession.SessionOptions.OptLevel.NO_OPT ? null
                : OptimizedSessionCache.key(graphKey, level.name(), model.options().device().toString());
        if (optKey == null) {
            return session(g.model(), g);
        }
        java.util.Optional<byte[]> hit = OptimizedSessionCache.get(optKey);
        if (hit.isPresent()) {
            try (SharedWeights.Lease l = lease(); OrtSession.SessionOptions so = sessionOptions()) {
                so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
                OrtSession s = weights().createStripped(env, ModelProto.parseFrom(hit.get()), so);
                OptimizedSessionCache.hit();
                return s;
            } catch (java.io.IOException | OrtException | IllegalStateException e) {
                // not usable here (weights not shared, a format change): made and stored again below
            }
        }
        java.util.Optional<java.nio.file.Path> file = OptimizedSessionCache.temporaryFile();
        if (file.isEmpty()) {
            return session(g.model(), g);
        }
        try {
            OrtSession s;
            try {
                s = session(g.model(), g, file.get());
            } catch (Explain4jException e) {
                // ONNX Runtime fails the session when it cannot write the optimised form (a read-only or
                // full cache folder, a form over 2 GiB): the cache is optional, so the usual session
                return session(g.model(), g);
            }
            try {
                ModelProto optimized = ModelProto.parseFrom(java.nio.file.Files.readAllBytes(file.get()));
                java.nio.file.Files.deleteIfExists(file.get());
                OptimizedSessionCache.put(optKey, weights().strip(optimized).toByteArray());
            } catch (java.io.IOException | RuntimeException | OutOfMemoryError e) {
                // not stored: the next process optimises again
            }
            return s;
        } finally {
            try {
                java.nio.file.Files.deleteIfExists(file.get());
            } catch (java.io.IOException e) {
                // removed with the cache's stale temporary files
            }
        }
    }

    /** A session for {@code backwardModel}: {@code graph}'s model, or a copy with other initializer values. */
    OrtSession session(ModelProto backwardModel, BackwardGraph graph) {
        return session(backwardModel, graph, Map.of(), null);
    }

    /** As {@link #session(ModelProto, BackwardGraph)}, with these ONNX Runtime session configuration entries added. */
    OrtSession session(ModelProto backwardModel, BackwardGraph graph, Map<String, String> config) {
        return session(backwardModel, graph, config, null);
    }

    /**
     * As {@link #session(ModelProto, BackwardGraph, Map)}, on {@code intraOpThreads} intra-op
     * threads instead of the model's (0: the model's).
     */
    OrtSession session(ModelProto backwardModel, BackwardGraph graph, Map<String, String> config, int intraOpThreads) {
        return session(backwardModel, graph, config, null, intraOpThreads);
    }

    /** The same, with ONNX Runtime writing its optimised form of the model to {@code optimizedFile} when not null. */
    private OrtSession session(ModelProto backwardModel, BackwardGraph graph, java.nio.file.Path optimizedFile) {
        return session(backwardModel, graph, Map.of(), optimizedFile);
    }

    private OrtSession session(ModelProto backwardModel, BackwardGraph graph, Map<String, String> config,
                               java.nio.file.Path optimizedFile) {
        return session(backwardModel, graph, config, optimizedFile, 0);
    }

    private OrtSession session(ModelProto backwardModel, BackwardGraph graph, Map<String, String> config,
                               java.nio.file.Path optimizedFile, int intraOpThreads) {
        try (SharedWeights.Lease l = lease(); OrtSession.SessionOptions so = sessionOptions()) {
            if (intraOpThreads > 0) {
                so.setIntraOpNumThreads(intraOpThreads);
            }
            for (Map.Entry<String, String> e : config.entrySet()) {
                so.addConfigEntry(e.getKey(), e.getValue());
            }
            if (optimizedFile != null) {
                so.setOptimizedModelFilePath(optimizedFile.toString());
            }
            return access.createSession(env, backwardModel, so);
        } catch (OrtException e) {
            throw Explain4jException.model("--model", "ONNX Runtime rejected the backward graph of "
                    + model.info().name() + " (opset " + graph.opset() + "): " + ShapeProbe.firstLine(e.getMessage())
                    + "; this is a bug in explain4j's backward rules, please report it", e);
        }
    }

    ModelProto proto() {
        ModelProto p = proto;
        if (p == null) {
            p = ExternalData.load(model);
            if (model.signature().fixedBatch() > 0) {
                p = relaxBatch(p, model.signature().fixedBatch());
            }
            proto = p;
        }
        return p;
    }

    /**
     * A model exported with a fixed batch, with that batch dimension left open in its inputs and
     * outputs, so that the backward graph can take path points or a reference beside the input
     * in one call (the forward model itself is still called with its fixed batch). Declared
     * intermediate shapes are dropped; the shape probe learns them again.
     */
    static ModelProto relaxBatch(ModelProto p, int fixed) {
        ai.onnx.proto.OnnxMl.GraphProto.Builder g = p.getGraph().toBuilder().clearValueInfo();
        for (int i = 0; i < g.getInputCount(); i++) {
            // every dimension of that size: a fed input's batch axis need not be its first
            g.setInput(i, relax(g.getInput(i), fixed, false));
        }
        for (int i = 0; i < g.getOutputCount(); i++) {
            g.setOutput(i, relax(g.getOutput(i), fixed, true));
        }
        return p.toBuilder().setGraph(g).build();
    }

    private static ai.onnx.proto.OnnxMl.ValueInfoProto relax(ai.onnx.proto.OnnxMl.ValueInfoProto v, int fixed,
                                                             boolean firstOnly) {
        if (!v.getType().hasTensorType() || !v.getType().getTensorType().hasShape()) {
            return v;
        }
        var b = v.toBuilder();
        var shape = b.getTypeBuilder().getTensorTypeBuilder().getShapeBuilder();
        for (int i = 0; i < (firstOnly ? Math.min(1, shape.getDimCount()) : shape.getDimCount()); i++) {
            if (shape.getDim(i).hasDimValue() && shape.getDim(i).getDimValue() == fixed) {
                shape.getDimBuilder(i).clearDimValue().setDimParam("explain4j_batch_" + i);
            }
        }
        return b.build();
    }

    /** The model after the given canonizers, computed once per list. */
    ModelProto canonical(List<Canonizer> canonizers) {
        return canonizers.isEmpty() ? proto() : canonical.computeIfAbsent(canonizers,
                c -> Canonizers.canonize(proto(), c));
    }

    /** Test hook: sees every native tensor this model creates for a backward pass. */
    void onTensorCreated(Consumer<OnnxTensor> listener) {
        this.tensorListener = listener;
    }

    /** Number of shape probes run so far. */
    int probeRuns() {
        return probeRuns.get();
    }

    /** Number of forward-only capture sessions held. */
    int captureCount() {
        return captureSessions.size();
    }

    /** Number of compiled backward sessions held. */
    int compiledCount() {
        return compiled.size();
    }

    /** Closes every backward session this model created; the wrapped model stays open. */
    @Override
    public void close() {
        closed = true;
        awaitPrepared(); // no session is made after this model is closed
        for (Key k : List.copyOf(compiled.keySet())) {
            Compiled c = compiled.remove(k);
            if (c != null && cache.remove(c)) {
                c.closeSession();
            }
        }
        graphs.clear();
        diskKeys.clear();
        for (List<String> k : List.copyOf(captureSessions.keySet())) {
            closeQuietly(captureSessions.remove(k));
        }
        synchronized (this) {
            if (weights != null) {
                // freed now, or when a session being made or a probe running releases its lease
                weights.close();
            }
        }
    }

    private static void closeQuietly(Compiled c) {
        if (c != null) {
            closeQuietly(c.session());
        }
    }

    private static void closeQuietly(OrtSession s) {
        if (s == null) {
            return;
        }
        try {
            s.close();
        } catch (OrtException e) {
            // nothing more can be done with a session that fails to close
        }
    }
}
