package org.explain4j.onnx.grad;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnxruntime.OrtException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.core.grad.BackwardRequest;
import org.explain4j.core.grad.BackwardResult;
import org.explain4j.core.grad.DifferentiableModel;
import org.explain4j.core.model.ModelInfo;
import org.explain4j.core.model.ModelSignature;

/**
 * A model equal to an {@link OnnxDifferentiableModel}'s except for the values of some
 * initializers (the randomised copies of the randomisation metrics). Its backward passes take
 * the original model's derived backward graph (shape probe and derivation done once, for every
 * copy) with those initializers replaced, compiled into a session of this copy's own: the same
 * graph a derivation of the edited model would give, so the same results to the bit.
 *
 * <p>Where the derivation read one of the replaced values ({@link BackwardGraph#valueInputs()}),
 * where a canonizer rewrote the weights (propagation rule sets that merge BatchNorm into a layer)
 * or where a replaced initializer is not in the graph as it is in the model, that request falls
 * back to {@code rebuilt}: a model made from the edited graph, which derives its own. Forward
 * passes also go to {@code rebuilt}, made on first use: a backward-only method (saliency) never
 * creates it. Nothing is written to disk; the original model is never changed.
 *
 * <p>A copy made with a {@link LayerSwitch} whose draws it consists of runs its shareable backward
 * requests on the switch's session instead (one for all such copies, owned by the switch), with
 * its layers switched on; where the switch cannot serve a graph it compiles its own, as above.
 */
public final class ReweightedModel implements DifferentiableModel, org.explain4j.core.engine.RowMemory {
    private final OnnxDifferentiableModel template;
    private final Map<String, TensorProto> replaced;
    private final Map<String, TensorProto> original;
    private final ModelInfo info;
    private final Supplier<? extends DifferentiableModel> rebuild;
    private final Map<OnnxDifferentiableModel.Key, OnnxDifferentiableModel.Compiled> compiled = new ConcurrentHashMap<>();
    private DifferentiableModel rebuilt;
    private volatile boolean closed;
    /** The first backward request this copy shared the graph for (key and fed inputs), for {@link #prepareLike}. */
    private volatile Request first;
    /** Counted down at the first shared backward request or at close, whichever comes first. */
    private final CountDownLatch firstOrClosed = new CountDownLatch(1);
    /** Backward sessions of all copies open now (test hook: copies must not outlive their use). */
    private static final AtomicInteger OPEN_SESSIONS = new AtomicInteger();

    private record Request(OnnxDifferentiableModel.Key key, Map<String, Tensor> fed) {
    }

    /** Where not null: the shared session whose switch inputs give this copy's weights ({@link LayerSwitch}). */
    private final LayerSwitch layerSwitch;
    /** This copy's switch inputs for {@link #layerSwitch}; null where the copy is not a set of its layers. */
    private final Map<String, Boolean> switches;
    /** Backward passes run on a switched session (test hook). */
    private final AtomicInteger switchedPasses = new AtomicInteger();

    ReweightedModel(OnnxDifferentiableModel template, Map<String, TensorProto> replaced, ModelInfo info,
                    Supplier<? extends DifferentiableModel> rebuild, LayerSwitch layerSwitch) {
        this.template = template;
        this.replaced = Map.copyOf(replaced);
        this.info = info;
        this.rebuild = rebuild;
        this.original = initializers(template.proto().getGraph());
        for (TensorProto t : this.replaced.values()) {
            TensorProto o = original.get(t.getName());
            if (o == null || o.getDataType() != t.getDataType() || !o.getDimsList().equals(t.getDimsList())) {
                throw new IllegalArgumentException("replaced initializer " + t.getName() + " must replace one of the same "
                        + "type and shape");
            }
        }
        this.switches = layerSwitch == null ? null : layerSwitch.switches(this.replaced);
        this.layerSwitch = switches == null ? null : layerSwitch;
    }

    @Override
    public Tensor forward(Tensor input) {
        return rebuilt().forward(input);
    }

    @Override
    public Tensor forward(Tensor input, Map<String, Tensor> fed) {
        return rebuilt().forward(input, fed);
    }

    @Override
    public BackwardResult backward(Tensor input, Tensor seed, BackwardRequest request) {
        if (closed) {
            throw Explain4jException.usage("model", "this differentiable model is closed");
        }
        ModelSignature sig = template.signature();
        sig.validate(input, "input");
        Map<String, Tensor> fed = OnnxDifferentiableModel.checkInputs(request.inputs(), sig);
        OnnxDifferentiableModel.Key key = template.key(request, input.shape(), fed);
        BackwardGraph graph = template.graph(key, fed);
        if (!shares(key, graph)) {
            return rebuilt().backward(input, seed, request);
        }
        if (layerSwitch != null) {
            BackwardResult out = switched(input, seed, request, key, graph);
            if (out != null) {
                return out;
            }
        }
        if (first == null) {
            first = new Request(key, fed);
            firstOrClosed.countDown();
        }
        return template.backward(input, seed, request, (r, shape, f) -> compiled(key, graph));
    }

    /** The pass on the layer switch's session with this copy's switch inputs; null where the switch has none for the graph. */
    private BackwardResult switched(Tensor input, Tensor seed, BackwardRequest request, OnnxDifferentiableModel.Key key,
                                    BackwardGraph graph) {
        return layerSwitch.pass(key, graph, switches, input, seed, request, shared -> {
            if (shared) {
                switchedPasses.incrementAndGet();
            }
        });
    }

    /** Backward passes of this copy that ran on a layer switch's shared session (test hook). */
    public int switchedPasses() {
        return switchedPasses.get();
    }

    /**
     * This copy's session for {@code key}, compiled on first use; under the copy's lock, so that
     * {@link #close()} never misses a session compiled on another thread.
     */
    private OnnxDifferentiableModel.Compiled compiled(OnnxDifferentiableModel.Key key, BackwardGraph graph) {
        OnnxDifferentiableModel.Compiled c = compiled.get(key);
        if (c != null) {
            return c;
        }
        synchronized (this) {
            if (closed) {
                throw Explain4jException.usage("model", "this differentiable model is closed");
            }
            return compiled.computeIfAbsent(key, k -> {
                OnnxDifferentiableModel.Compiled made = new OnnxDifferentiableModel.Compiled(graph,
                        template.session(reweighted(graph.model()), graph, CONFIG));
                OPEN_SESSIONS.incrementAndGet();
                return made;
            });
        }
    }

    /**
     * A copy's session runs while the next copy's session is compiled on another thread (MPRT's
     * lookahead): its intra-op threads wait for work without spinning, so they do not take the
     * compiling thread's core (same results: spinning changes only how idle threads wait).
     */
    private static final Map<String, String> CONFIG = Map.of("session.intra_op.allow_spinning", "0");
    /** Sessions compiled ahead by {@link #prepareLike} in this process (test hook). */
    private static final AtomicInteger PREPARED = new AtomicInteger();

    /**
     * Compiles this copy's backward session for the first request {@code previous} (another copy
     * of the same model) shared its graph for, so that this copy's first backward pass finds it
     * ready: MPRT calls it on a helper thread, for the next randomisation step, while the
     * previous copy is being explained. Waits until {@code previous} has received that request or
     * is closed; does nothing when it was closed without one, when the graph cannot be shared
     * (that request then builds what it needs itself), or when this copy is closed meanwhile.
     * Failures are left to the backward pass, which meets them again and reports them.
     */
    public void prepareLike(ReweightedModel previous) throws InterruptedException {
        if (previous == null || previous == this || previous.template != template) {
            return;
        }
        // a previous copy that ran on a layer switch's session records no request (nothing to
        // compile for this one either): this waits until it is closed and returns
        previous.firstOrClosed.await();
        Request r = previous.first;
        if (r == null || closed) {
            return;
        }
        try {
            BackwardGraph graph = template.graph(r.key(), r.fed());
            if (shares(r.key(), graph) && !compiled.containsKey(r.key())) {
                compiled(r.key(), graph);
                PREPARED.incrementAndGet();
            }
        } catch (RuntimeException e) {
            // the backward pass of this copy meets the same failure and reports it
        }
    }

    /** Backward sessions compiled ahead by {@link #prepareLike} in this process so far (test hook). */
    public static int preparedSessions() {
        return PREPARED.get();
    }

    /** Backward sessions of randomised copies open in this process (test hook). */
    public static int openSessions() {
        return OPEN_SESSIONS.get();
    }

    /** Whether this copy's graph for {@code key} is {@code graph} with the replaced initializers' values swapped. */
    boolean shares(OnnxDifferentiableModel.Key key, BackwardGraph graph) {
        if (!key.rules().isGradient() && template.canonical(key.rules().canonizers()) != template.proto()) {
            return false; // a canonizer changed the graph: its merged weights are computed from the old values
        }
        Map<String, TensorProto> inGraph = initializers(graph.model().getGraph());
        for (String name : replaced.keySet()) {
            TensorProto there = inGraph.get(name);
            if (graph.valueInputs().contains(name) || there == null || !there.equals(original.get(name))) {
                return false;
            }
        }
        return true;
    }

    /** {@code model} with the replaced initializers' values. */
    private ModelProto reweighted(ModelProto model) {
        ModelProto.Builder b = model.toBuilder();
        GraphProto.Builder g = b.getGraphBuilder();
        for (int i = 0; i < g.getInitializerCount(); i++) {
            TensorProto t = replaced.get(g.getInitializer(i).getName());
            if (t != null) {
                g.setInitializer(i, t);
            }
        }
        return b.build();
    }

    private static Map<String, TensorProto> initializers(GraphProto g) {
        Map<String, TensorProto> m = new HashMap<>();
        g.getInitializerList().forEach(t -> m.put(t.getName(), t));
        return m;
    }

    private synchronized DifferentiableModel rebuilt() {
        if (closed) {
            throw Explain4jException.usage("model", "this differentiable model is closed");
        }
        if (rebuilt == null) {
            rebuilt = rebuild.get();
        }
        return rebuilt;
    }

    @Override
    public ModelSignature signature() {
        return template.signature();
    }

    @Override
    public ModelInfo info() {
        return info;
    }

    /** Number of backward sessions of this copy's own (test hook). */
    int compiledCount() {
        return compiled.size();
    }

    /**
     * Whether this copy needed a model of its own edited graph (a forward pass, or a backward
     * request whose graph it could not share); false while every call took the shared graph.
     */
    public synchronized boolean rebuiltUsed() {
        return rebuilt != null;
    }

    /** Closes this copy's sessions and its rebuilt model, if one was made; the original model stays open. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        firstOrClosed.countDown();
        try {
            for (OnnxDifferentiableModel.Key k : List.copyOf(compiled.keySet())) {
                OnnxDifferentiableModel.Compiled c = compiled.remove(k);
                if (c != null) {
                    OPEN_SESSIONS.decrementAndGet();
                    try {
                        c.session().close();
                    } catch (OrtException e) {
                        // nothing more can be done with a session that fails to close
                    }
                }
            }
        } finally {
            synchronized (this) {
                if (rebuilt != null) {
                    rebuilt.close();
                    rebuilt = null;
                }
            }
        }
    }

    /**
     * The template's estimate: a copy has the template's graph and shapes, only other weights, so
     * {@code --batch-size auto} sizes a copy's passes (MPRT's explanations) as the original's
     * instead of from its input and output rows alone.
     */
    @Override
    public java.util.OptionalLong bytesPerRow(Tensor row, Map<String, Tensor> fedRow, Call call) {
        return template.bytesPerRow(row, fedRow, call);
    }
}
