package org.explain4j.onnx.grad;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The randomised draws of every layer of a model for one seed, and the backward sessions in
 * which each layer's weights are switched between the model's values and those draws at run time
 * ({@link LayerSwitchGraph}): one compile per backward request for all the randomised copies
 * made from these draws ({@link ReweightedModel} with a switch), instead of one per copy.
 *
 * <p>Sessions are compiled on first use and closed by {@link #close()}; a session in use by a
 * backward pass is closed when that pass ends. Where a graph cannot be switched, {@link #acquire}
 * answers null and the copy compiles a session of its own, as without a switch.
 */
public final class LayerSwitch implements AutoCloseable {
    private final OnnxDifferentiableModel template;
    /** Per layer, its draws by initializer name; made on a helper thread by the series (joined where needed). */
    private final java.util.concurrent.CompletableFuture<List<Map<String, TensorProto>>> draws;
    /** How many copies may run their passes on the switched session at once ({@link #copiesAtOnce()}). */
    private final int copiesAtOnce;
    /** Per request key: the compiled session, or empty where the graph cannot be switched. Guarded by this. */
    private final Map<OnnxDifferentiableModel.Key, Optional<Switched>> sessions = new HashMap<>();

    /**
     * A switched session, and the cache of its hoisted lower part where it has one (null where the
     * graph has no part to hoist or hoisting is off).
     */
    record Switched(OrtSession session, HoistCache hoist) {
    }

    /**
     * System property: {@code off} compiles the switched graph without the hoisted lower part
     * ({@link LayerSwitchGraph#hoist}), so that every pass computes its whole forward half (the
     * fourth round's graph; for comparisons and tests).
     */
    public static final String HOIST = "explain4j.mprt.hoist";

    /**
     * The cuts of the hoisted parts: a quarter, half and three quarters of the layers. In MPRT's
     * top-down cascade the copies with the top quarter randomised then skip the lower three
     * quarters of the forward pass, the next quarter of the copies half of it, the next a quarter
     * (for a network whose layers cost about the same, as ResNet's stages: channels double where
     * the resolution halves). The bottom-up order switches layer 0 first and never skips; the
     * independent order skips in its copies of the upper three quarters. {@code
     * explain4j.mprt.hoistCuts} (comma-separated layers) overrides them (tests, comparisons).
     */
    private static List<Integer> cuts(int layers) {
        String p = System.getProperty("explain4j.mprt.hoistCuts", "").trim();
        if (!p.isEmpty()) {
            try {
                return java.util.Arrays.stream(p.split(",")).map(String::trim).map(Integer::valueOf).toList();
            } catch (NumberFormatException e) {
                throw org.explain4j.core.Explain4jException.usage("explain4j.mprt.hoistCuts", "-Dexplain4j.mprt.hoistCuts="
                        + p + " is not a list of layer numbers: give comma-separated layers, e.g. 5,10,15");
            }
        }
        return java.util.stream.IntStream.of(layers / 4, layers / 2, 3 * layers / 4).filter(c -> c > 0 && c < layers)
                .distinct().boxed().toList();
    }

    private int users;
    /** Set once under this object's lock; read without it by {@link #routing} and {@link #original}. */
    private volatile boolean closed;
    /** Switched sessions open in this process (test hook). */
    private static final AtomicInteger OPEN = new AtomicInteger();
    /** Switched sessions compiled in this process (test hook). */
    private static final AtomicInteger COMPILED = new AtomicInteger();
    /**
     * As the copies' sessions, idle threads do not spin by default (on a loaded machine spinning
     * took CPU from the other processes); {@code -Dexplain4j.mprt.switchSpinning=on} lets them spin,
     * for a comparison on an idle machine (same results: spinning changes only how threads wait).
     */
    private static Map<String, String> config() {
        boolean spin = "on".equals(System.getProperty("explain4j.mprt.switchSpinning", "off").trim());
        return Map.of("session.intra_op.allow_spinning", spin ? "1" : "0");
    }

    /**
     * System property: {@code off} keeps one pass at a time on the switched session, with the
     * template's intra-op threads (the path of the third round; for comparisons and tests).
     */
    public static final String CONCURRENT = "explain4j.mprt.concurrent";

    /**
     * How many passes should share {@code template}'s cores at once: 2 on the CPU where the template
     * runs on at least 2 intra-op threads (0, ONNX Runtime's choice, counts as the available
     * processors), each pass then on half of them; else 1. A 4-row pass of ResNet-18 keeps 2 threads
     * busy only part of the time (the small late layers, the reorders between the branches), while
     * two passes on one thread each keep both cores busy.
     */
    private static int copiesAtOnce(OnnxDifferentiableModel template) {
        if ("off".equals(System.getProperty(CONCURRENT, "on").trim()) || template.model().options().device().cuda()) {
            return 1;
        }
        return cores(template) >= 2 ? 2 : 1;
    }

    private static int cores(OnnxDifferentiableModel template) {
        int threads = template.model().options().intraOpThreads();
        return threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    }

    /**
     * How many copies of these draws the caller should explain at the same time, each on a thread
     * of its own (the switched session is compiled for that many concurrent passes; ONNX Runtime
     * runs concurrent passes on one session safely), given {@code first}: whether the original's
     * first backward request through {@link #explainOriginal} got the switched session. Waits for
     * it (that request's compile, or the explanation's end where it makes none). The results do not
     * depend on it. 1 where the request did not get it: a copy that cannot share the switched
     * session compiles its own with the template's threads, and two of those at once would
     * oversubscribe the cores and double the memory of the passes; a method without backward
     * requests (a perturbation method) is explained one copy at a time too.
     */
    public int copiesAtOnce(java.util.concurrent.CompletableFuture<Boolean> first) {
        if (copiesAtOnce < 2) {
            return copiesAtOnce;
        }
        return org.explain4j.core.Futures.join(first) ? copiesAtOnce : 1;
    }

    /**
     * Switches between {@code template}'s weights and {@code draws} (per layer, in the order of
     * the switch inputs: the randomised initializers by name, each of the same type and shape as
     * the one it replaces); {@code template} stays open longer than this object.
     */
    public LayerSwitch(OnnxDifferentiableModel template, List<Map<String, TensorProto>> draws) {
        this(template, java.util.concurrent.CompletableFuture.completedFuture(draws));
    }

    /**
     * As {@link #LayerSwitch(OnnxDifferentiableModel, List)}, with the draws still being made (on
     * another thread): what needs them waits for them; a failure to make them is rethrown there.
     */
    public LayerSwitch(OnnxDifferentiableModel template,
                       java.util.concurrent.CompletableFuture<List<Map<String, TensorProto>>> draws) {
        this.template = template;
        this.draws = draws.thenApply(d -> d.stream().map(m -> Map.copyOf(new LinkedHashMap<>(m))).toList());
        this.copiesAtOnce = copiesAtOnce(template);
    }

    /** The draws, per layer (waits until they are made). */
    private List<Map<String, TensorProto>> draws() {
        return org.explain4j.core.Futures.join(draws);
    }

    /** A thread's explanation of the original through a switch, and its first request's outcome. */
    private record Routing(LayerSwitch via, java.util.concurrent.CompletableFuture<Boolean> first) {
    }

    /** The switch whose session runs the original model's backward passes on this thread ({@link #explainOriginal}), or null. */
    private static final ThreadLocal<Routing> ORIGINAL = new ThreadLocal<>();

    /**
     * Runs {@code explanation} (the template's own explanation: MPRT's column 0) with the template's
     * backward passes on this thread going to the switched session with every layer kept, where the
     * request's graph can be switched ({@link OnnxDifferentiableModel#backward}): the original then
     * needs no session of its own, whose compile and first run would compete with the switched
     * compile, and its explanation can run beside the first copies (which wait for the same session).
     * Its values equal the template's own session's within float rounding (the switched graph keeps
     * every layer's values, as the copies' results equal their own sessions'), and are the same from
     * run to run: which session a request takes depends only on the request. Forward passes,
     * activation captures and requests the switch cannot serve go to the template as always; other
     * threads' calls on the template are not affected. {@code first} is completed with whether the
     * first backward request got the switched session, or with false when the explanation ends
     * without one (see {@link #copiesAtOnce}).
     */
    public <T> T explainOriginal(java.util.function.Supplier<T> explanation,
                                 java.util.concurrent.CompletableFuture<Boolean> first) {
        Routing before = ORIGINAL.get();
        ORIGINAL.set(new Routing(this, first));
        try {
            return explanation.get();
        } finally {
            if (before == null) {
                ORIGINAL.remove();
            } else {
                ORIGINAL.set(before);
            }
            first.complete(false);
        }
    }

    /** The switch that explains {@code template} on this thread ({@link #explainOriginal}), or null. */
    static LayerSwitch routing(OnnxDifferentiableModel template) {
        Routing r = route(template);
        return r == null ? null : r.via();
    }

    /** This thread's routing of {@code template} through an open switch, or null. */
    private static Routing route(OnnxDifferentiableModel template) {
        Routing r = ORIGINAL.get();
        return r != null && r.via().template == template && !r.via().closed ? r : null;
    }

    /**
     * Prepares {@code request} at {@code inputShape} (for a template explained through this switch,
     * {@link OnnxDifferentiableModel#prepare}): the switched session where the request's graph can
     * be switched; false where it cannot (the template then prepares its own session).
     */
    boolean prepareOriginal(org.explain4j.core.grad.BackwardRequest request, int[] inputShape) {
        Map<String, org.explain4j.core.Tensor> fed = OnnxDifferentiableModel.checkInputs(request.inputs(),
                template.signature());
        OnnxDifferentiableModel.Key key = template.key(request, inputShape, fed);
        BackwardGraph graph = template.graph(key, fed);
        return switchable(key, graph) && prepare(key, graph);
    }

    /**
     * The backward pass of {@code template} (the original model) on the switched session with every
     * layer kept, when this thread explains the original through a switch of {@code template} and
     * the request's graph can be switched; else null (the template runs it as always).
     */
    static org.explain4j.core.grad.BackwardResult original(OnnxDifferentiableModel template, org.explain4j.core.Tensor input,
                                                            org.explain4j.core.Tensor seed,
                                                            org.explain4j.core.grad.BackwardRequest request) {
        Routing routing = route(template);
        if (routing == null) {
            return null;
        }
        org.explain4j.core.model.ModelSignature sig = template.signature();
        sig.validate(input, "input");
        Map<String, org.explain4j.core.Tensor> fed = OnnxDifferentiableModel.checkInputs(request.inputs(), sig);
        OnnxDifferentiableModel.Key key = template.key(request, input.shape(), fed);
        BackwardGraph graph = template.graph(key, fed);
        LayerSwitch ls = routing.via();
        if (!ls.switchable(key, graph)) {
            routing.first().complete(false);
            return null;
        }
        return ls.pass(key, graph, ls.switches(Map.of()), input, seed, request, shared -> {
            routing.first().complete(shared);
            if (shared) {
                ORIGINAL_PASSES.incrementAndGet();
            }
        });
    }

    /**
     * A backward pass on the switched session of {@code graph} with {@code switches} (a copy's layers,
     * or none for the original), or null where this switch has no session for it (closed, or ONNX
     * Runtime refused the switched graph); {@code acquired} is told first whether there is one.
     */
    org.explain4j.core.grad.BackwardResult pass(OnnxDifferentiableModel.Key key, BackwardGraph graph,
                                                Map<String, Boolean> switches, org.explain4j.core.Tensor input,
                                                org.explain4j.core.Tensor seed,
                                                org.explain4j.core.grad.BackwardRequest request,
                                                java.util.function.Consumer<Boolean> acquired) {
        Switched s = acquire(key, graph);
        acquired.accept(s != null);
        if (s == null) {
            return null;
        }
        try {
            OnnxDifferentiableModel.Compiled c = new OnnxDifferentiableModel.Compiled(graph, s.session(), switches,
                    s.hoist());
            return template.backward(input, seed, request, (r, shape, f) -> c);
        } finally {
            release();
        }
    }

    private static final AtomicInteger ORIGINAL_PASSES = new AtomicInteger();

    /** Backward passes of an original model run on a switched session ({@link #explainOriginal}), in this process (test hook). */
    public static int originalPasses() {
        return ORIGINAL_PASSES.get();
    }

    /** Whether copies of these draws can share {@code graph} at all (as {@link ReweightedModel#shares}). */
    private boolean switchable(OnnxDifferentiableModel.Key key, BackwardGraph graph) {
        if (!key.rules().isGradient() && template.canonical(key.rules().canonizers()) != template.proto()) {
            return false;
        }
        for (Map<String, TensorProto> layer : draws()) {
            for (String name : layer.keySet()) {
                if (graph.valueInputs().contains(name)) {
                    return false;
                }
            }
        }
        return true;
    }

    OnnxDifferentiableModel template() {
        return template;
    }

    /**
     * The switch inputs that give a copy with {@code replaced} (initializers by name): layer i on
     * where all of its draws are replaced by these very values, off where none is; null where
     * {@code replaced} is not such a set (other values, part of a layer, an initializer of no layer).
     */
    Map<String, Boolean> switches(Map<String, TensorProto> replaced) {
        List<Map<String, TensorProto>> draws = draws();
        Map<String, Boolean> out = new LinkedHashMap<>();
        int matched = 0;
        for (int l = 0; l < draws.size(); l++) {
            int on = 0;
            for (Map.Entry<String, TensorProto> e : draws.get(l).entrySet()) {
                TensorProto r = replaced.get(e.getKey());
                if (r != null) {
                    if (r != e.getValue() && !r.equals(e.getValue())) {
                        return null;
                    }
                    on++;
                }
            }
            if (on != 0 && on != draws.get(l).size()) {
                return null;
            }
            matched += on;
            out.put(LayerSwitchGraph.switchName(l), on != 0);
        }
        return matched == replaced.size() ? out : null;
    }

    /**
     * The switched session of {@code graph} (the template's graph for {@code key}), compiled on
     * first use; null where the graph cannot be switched or this object is closed. A non-null
     * answer must be followed by {@link #release()} once the pass has run.
     */
    synchronized Switched acquire(OnnxDifferentiableModel.Key key, BackwardGraph graph) {
        if (closed) {
            return null;
        }
        Optional<Switched> s = sessions.get(key);
        if (s == null) {
            org.explain4j.core.Timeline.mark("switch: build start");
            List<Map<String, TensorProto>> d = draws();
            Optional<ModelProto> switched = LayerSwitchGraph.build(graph.model(), d);
            // not on CUDA (not measured there): every boundary value is a graph output, which the Java
            // API copies to the host after each pass, and a served pass copies them back
            Optional<LayerSwitchGraph.Hoisted> hoisted = "off".equals(System.getProperty(HOIST, "on").trim())
                    || template.model().options().device().cuda()
                    ? Optional.empty()
                    : switched.flatMap(m -> LayerSwitchGraph.hoist(m, d.size(), cuts(d.size()), graph.seedName()));
            org.explain4j.core.Timeline.mark("switch: graph built");
            // with concurrent passes each runs on its share of the cores (one thread on two cores)
            int threads = copiesAtOnce > 1 ? Math.max(1, cores(template) / copiesAtOnce) : 0;
            try {
                OrtSession hs = null;
                if (hoisted.isPresent()) {
                    try {
                        // a refusal here is the graph's own (a derived element type): no retry with the
                        // weights inside, the unhoisted graph below is the fallback
                        hs = session(hoisted.get().model(), graph, threads, false);
                    } catch (org.explain4j.core.Explain4jException e) {
                        // ONNX Runtime refused the hoisted graph (a derived element type it disagrees
                        // with): the switched graph without hoisting still serves every copy
                        String why = String.valueOf(e.getMessage());
                        org.explain4j.core.Timeline.mark("switch: hoisted graph refused: "
                                + why.substring(0, Math.min(why.length(), 200)).lines().findFirst().orElse(""));
                    }
                }
                if (hs != null) {
                    s = Optional.of(new Switched(hs, new HoistCache(hoisted.get())));
                } else {
                    s = switched.map(m -> new Switched(session(m, graph, threads, true), null));
                }
                org.explain4j.core.Timeline.mark("switch: session made");
            } catch (org.explain4j.core.Explain4jException e) {
                s = Optional.empty(); // ONNX Runtime refused the rewritten graph: the copies compile their own
            }
            sessions.put(key, s);
            if (s.isPresent()) {
                OPEN.incrementAndGet();
                COMPILED.incrementAndGet();
            }
        }
        if (s.isEmpty()) {
            return null;
        }
        users++;
        return s.get();
    }

    /**
     * System property: {@code off} hands the switched graph's branch weights to ONNX Runtime inside the
     * model bytes instead of through a temporary file ({@link BranchWeights}; for comparisons and tests:
     * the same session either way, made in about twice the time).
     */
    public static final String WEIGHTS_FILE = "explain4j.mprt.weightsFile";

    /**
     * The session of a switched (and perhaps hoisted) graph, its branch weights read from a temporary
     * file ({@link BranchWeights}) in {@code explain4j.mprt.weightsDir} (system property, by default
     * {@code java.io.tmpdir}), removed once the session exists. Where the file cannot be written the
     * model is handed over with its weights inside, as before; where ONNX Runtime refuses the model
     * that references the file, {@code retryInside} decides whether that is tried next (when a
     * fallback of the caller's follows anyway, it is not). Off on Windows, where a mapped file cannot
     * be removed while the session lives.
     */
    private OrtSession session(ModelProto m, BackwardGraph graph, int threads, boolean retryInside) {
        Optional<BranchWeights> w = !weightsFile() ? Optional.empty()
                : BranchWeights.write(m, java.nio.file.Path.of(System.getProperty("explain4j.mprt.weightsDir",
                        System.getProperty("java.io.tmpdir"))));
        if (w.isEmpty()) {
            return template.session(m, graph, config(), threads);
        }
        org.explain4j.core.Timeline.mark("switch: branch weights written");
        try (BranchWeights file = w.get()) {
            OrtSession s = template.session(file.model(), graph, config(), threads);
            WEIGHTS_FILES.incrementAndGet();
            return s;
        } catch (org.explain4j.core.Explain4jException e) {
            String why = String.valueOf(e.getMessage());
            org.explain4j.core.Timeline.mark("switch: weights file refused: "
                    + why.substring(0, Math.min(why.length(), 200)).lines().findFirst().orElse(""));
            if (!retryInside) {
                throw e;
            }
            OrtSession s = template.session(m, graph, config(), threads);
            // the same graph with its weights inside worked: the file route is what failed here, so
            // this process stops trying it
            fileRefused = true;
            return s;
        }
    }

    /** Set when ONNX Runtime refused a model whose weights were in a file but took it with them inside. */
    private static volatile boolean fileRefused;

    private static boolean weightsFile() {
        return !fileRefused && !"off".equals(System.getProperty(WEIGHTS_FILE, "on").trim())
                && !System.getProperty("os.name", "").startsWith("Windows");
    }

    private static final AtomicInteger WEIGHTS_FILES = new AtomicInteger();

    /** Switched sessions made with their branch weights from a file, in this process (test hook). */
    public static int weightsFileSessions() {
        return WEIGHTS_FILES.get();
    }

    /** Compiles the session of {@code key} unless made or closed; whether it is there now. */
    private synchronized boolean prepare(OnnxDifferentiableModel.Key key, BackwardGraph graph) {
        if (acquire(key, graph) == null) {
            return false;
        }
        users--; // not a pass: nothing runs on it here
        return true;
    }

    /** Ends a backward pass on a session from {@link #acquire}. */
    synchronized void release() {
        users--;
        if (closed && users == 0) {
            closeSessions();
        }
    }

    /** Closes the sessions (those in use when their passes end). */
    @Override
    public synchronized void close() {
        closed = true;
        if (users == 0) {
            closeSessions();
        }
    }

    private void closeSessions() {
        for (Optional<Switched> s : sessions.values()) {
            if (s.isPresent()) {
                OPEN.decrementAndGet();
                if (s.get().hoist() != null) {
                    s.get().hoist().close();
                }
                try {
                    s.get().session().close();
                } catch (OrtException e) {
                    // nothing more can be done with a session that fails to close
                }
            }
        }
        sessions.clear();
    }

    /** Passes that took the hoisted lower part's values from the cache, in this process (test hook). */
    public static int hoistServed() {
        return HoistCache.served();
    }

    /** Passes that computed the hoisted lower part with the switches below the cut off, in this process (test hook). */
    public static int hoistComputed() {
        return HoistCache.computed();
    }

    /**
     * Pass results that a hoisted part's cache keeps and has not closed yet, in this process (test
     * hook): counted when a pass's result is kept, uncounted when it is closed.
     */
    public static int hoistHeld() {
        return HoistCache.held();
    }

    /** Switched sessions open in this process (test hook). */
    public static int openSessions() {
        return OPEN.get();
    }

    /** Switched sessions compiled in this process so far (test hook). */
    public static int compiledSessions() {
        return COMPILED.get();
    }
}
