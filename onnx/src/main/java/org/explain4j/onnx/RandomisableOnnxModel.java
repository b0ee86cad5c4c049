package org.explain4j.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.core.grad.BackwardRequest;
import org.explain4j.core.grad.BackwardResult;
import org.explain4j.core.grad.DifferentiableModel;
import org.explain4j.core.metrics.InputShiftable;
import org.explain4j.core.metrics.Randomisable;
import org.explain4j.core.model.Model;
import org.explain4j.core.model.ModelInfo;
import org.explain4j.core.model.ModelSignature;
import org.explain4j.onnx.grad.LayerSwitch;
import org.explain4j.onnx.grad.OnnxDifferentiableModel;
import org.explain4j.onnx.grad.ReweightedModel;
import org.explain4j.onnx.grad.propagation.PropagationRegistry;

/**
 * An ONNX model whose weights the randomisation metrics can replace ({@link Randomisable}) and
 * whose first convolution can absorb an input shift ({@link InputShiftable}). Every edit is made
 * on an in-memory copy of the graph (from {@link OnnxModel#modelBytes()}), loaded into a new ONNX
 * Runtime session; the user's file and the wrapped model are never changed.
 *
 * <p>Layers are the nodes with weights stored as initializers, in graph order: Conv,
 * ConvTranspose, Gemm and MatMul (with the initializer of an Add that alone reads it, PyTorch's
 * Linear on more than two dimensions). BatchNormalization is not a layer: the golden
 * specification counts Conv and Gemm only (PyTorch's exporter folds BatchNorm into the Conv in
 * eval mode), and resetting it would not randomise anything. Randomising a layer follows
 * PyTorch's {@code reset_parameters}, which Quantus calls: weight and bias i.i.d.
 * U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (fan_in = input features, or in-channels/groups * kernel
 * size). Like Quantus (which
 * re-seeds torch with {@code seed + 1} before each layer), every layer's draws start from the
 * same stream of the seed, so layers of equal shape get equal weights and a layer keeps its
 * values throughout a cascade. The stream is Java's {@link SplittableRandom}, not torch's
 * Mersenne twister: values differ from Quantus's, their distribution does not, which is what
 * the statistical tolerance of the MPRT golden cases checks.
 *
 * <p>A randomised copy is a {@link ReweightedModel}: its backward passes reuse the backward graph
 * derived once for this model (one shape probe and derivation per request shape for all copies),
 * with the randomised initializers swapped in and compiled into a session of the copy's own; its
 * forward session is made only when a method calls {@code forward}. The graph a copy runs is the
 * one a derivation of the edited model would give, so its results are the same to the bit.
 * While a {@link #series} of a seed is open, the copies of that seed instead share one session
 * per request in which every layer is switched to its draws at run time ({@link LayerSwitch}):
 * one compile for all of them, results equal to within float rounding.
 */
public final class RandomisableOnnxModel implements DifferentiableModel, Randomisable, InputShiftable {
    /** One parameterised layer: its node and the initializers it owns (weight first). */
    private record Layer(String name, NodeProto node, List<String> initializers) {
    }

    private final OnnxModel onnx;
    private final DifferentiableModel differentiable;
    private final ModelProto proto;
    private final Map<String, Layer> layers;
    /** Derives the backward graphs the randomised copies share; made here (and closed by {@link #close}) unless given. */
    private OnnxDifferentiableModel derivations;
    private final boolean ownsDerivations;
    /** The last randomisation's draws (seed and tensors by initializer name): a cascade redraws the same layers. */
    private long lastSeed;
    private Map<String, TensorProto> lastDraws = Map.of();
    /** The open series' layer switch (every layer's draws for its seed, one switched session), or null. Guarded by this. */
    private LayerSwitch layerSwitch;
    private long switchSeed;
    /** Open series of {@link #switchSeed}; the switch is closed when the last one is. Guarded by this. */
    private int openSeries;
    /**
     * Which switch the open series belong to: a new switch and {@link #close()} each start a new
     * generation, so a series closed after its switch was dropped changes nothing. Guarded by this.
     */
    private long switchGeneration;
    /**
     * Every layer's draws of the open series (what its switch holds), by initializer name, made on
     * a helper thread while the original model's explanation starts. Guarded by this.
     */
    private java.util.concurrent.CompletableFuture<Map<String, TensorProto>> switchDraws = NO_DRAWS;
    private static final java.util.concurrent.CompletableFuture<Map<String, TensorProto>> NO_DRAWS =
            java.util.concurrent.CompletableFuture.completedFuture(Map.of());

    /**
     * System property: {@code off} makes {@link #series} share nothing, so that every copy compiles
     * a session of its own (the path before the layer switch; for comparisons and tests).
     */
    public static final String SWITCHED = "explain4j.mprt.switched";

    /**
     * Wraps {@code onnx} and the model that runs its backward passes (e.g. an
     * {@link OnnxDifferentiableModel} of it); this object closes neither. The randomised copies
     * share backward graphs derived by a differentiable model of {@code onnx} with the standard
     * rules, made on first use and closed by {@link #close()}.
     */
    public RandomisableOnnxModel(OnnxModel onnx, DifferentiableModel differentiable) {
        this(onnx, differentiable, null);
    }

    /**
     * As {@link #RandomisableOnnxModel(OnnxModel, DifferentiableModel)}, with the randomised
     * copies sharing the backward graphs of {@code derivations} (a differentiable model of
     * {@code onnx}, e.g. the one {@code differentiable} uses, so that a graph derived for the
     * original model serves the copies too); this object does not close it.
     */
    public RandomisableOnnxModel(OnnxModel onnx, DifferentiableModel differentiable, OnnxDifferentiableModel derivations) {
        if (onnx == null || differentiable == null) {
            throw new IllegalArgumentException("onnx and differentiable are required");
        }
        if (derivations != null && derivations.model() != onnx) {
            throw new IllegalArgumentException("derivations must be a differentiable model of the same OnnxModel");
        }
        this.onnx = onnx;
        this.differentiable = differentiable;
        this.derivations = derivations;
        this.ownsDerivations = derivations == null;
        try {
            this.proto = ModelProto.parseFrom(onnx.modelBytes());
        } catch (InvalidProtocolBufferException e) {
            throw Explain4jException.model("--model", "cannot parse the model's graph: " + e.getMessage(), e);
        }
        this.layers = findLayers(proto.getGraph());
    }

    @Override
    public Tensor forward(Tensor input) {
        return differentiable.forward(input);
    }

    @Override
    public BackwardResult backward(Tensor input, Tensor seed, BackwardRequest request) {
        return differentiable.backward(input, seed, request);
    }

    @Override
    public ModelSignature signature() {
        return differentiable.signature();
    }

    @Override
    public ModelInfo info() {
        return differentiable.info();
    }

    @Override
    public List<String> layers() {
        return List.copyOf(layers.keySet());
    }

    /**
     * A copy with the layers {@code names} randomised from {@code seed}, in memory (its info has
     * no SHA-256: there is no file); the caller closes it, before this object.
     */
    @Override
    public Model randomised(List<String> names, long seed) {
        Map<String, TensorProto> replaced = draws(names, seed);
        String what = "randomised " + names;
        LayerSwitch shared;
        synchronized (this) {
            shared = layerSwitch != null && switchSeed == seed ? layerSwitch : null;
        }
        return derivations().reweighted(replaced, new ModelInfo(onnx.info().name() + " (" + what + ", seed " + seed + ")",
                "none"), () -> load(replaceInitializers(replaced), what), shared);
    }

    /**
     * Until the returned series is closed, copies from {@code seed} run their backward passes on
     * one session per request in which every layer is switched to its draws or kept at run time
     * ({@link LayerSwitch}): one compile for the series instead of one per copy. Every layer's
     * draws are made from now on, on a helper thread (the same values {@link #randomised} gives);
     * the original's explanation runs through the series ({@link Series#explainOriginal}: on the
     * switched session with every layer kept), and the series asks for
     * {@link LayerSwitch#copiesAtOnce(java.util.concurrent.CompletableFuture)} copies at once beside
     * it (1 until the original's explanation has begun through it). Where a graph cannot be
     * switched, and with {@code -Dexplain4j.mprt.switched=off}, the copies compile their own
     * sessions as without a series. A series of another seed while one is open shares nothing.
     */
    @Override
    public Series series(long seed) {
        long generation;
        if ("off".equals(System.getProperty(SWITCHED, "on").trim())) {
            return () -> { };
        }
        LayerSwitch ls;
        synchronized (this) {
            if (layerSwitch == null) {
                // the draws of every layer (11.7M values for ResNet-18) are made on a helper thread:
                // the original's explanation (graph derivation, its compile) starts meanwhile, and
                // only the switched compile and the copies wait for them
                java.util.concurrent.CompletableFuture<Map<String, TensorProto>> union = new java.util.concurrent.CompletableFuture<>();
                Thread t = org.explain4j.core.NativeThreads.create(() -> {
                    try {
                        org.explain4j.core.Timeline.mark("series: draws start");
                        union.complete(drawAll(seed));
                        org.explain4j.core.Timeline.mark("series: draws end");
                    } catch (Throwable e) {
                        union.completeExceptionally(e);
                    }
                }, "explain4j-mprt-draws");
                t.setDaemon(true);
                t.start();
                layerSwitch = new LayerSwitch(derivations(), union.thenApply(u -> {
                    List<Map<String, TensorProto>> all = new ArrayList<>();
                    for (Layer layer : layers.values()) {
                        Map<String, TensorProto> one = new LinkedHashMap<>();
                        layer.initializers().forEach(i -> one.put(i, u.get(i)));
                        all.add(one);
                    }
                    return all;
                }));
                switchSeed = seed;
                switchDraws = union; // the copies of the series take these very tensors
                switchGeneration++;
            } else if (switchSeed != seed) {
                return () -> { };
            }
            openSeries++;
            generation = switchGeneration;
            ls = layerSwitch;
        }
        long mine = generation;
        boolean[] closed = new boolean[1];
        return new Series() {
            /** Whether the original's first request through this series got the switched session; null before. */
            private volatile java.util.concurrent.CompletableFuture<Boolean> first;

            @Override
            public int copiesAtOnce() {
                java.util.concurrent.CompletableFuture<Boolean> f = first;
                return f == null ? 1 : ls.copiesAtOnce(f);
            }

            @Override
            public <T> T explainOriginal(java.util.function.Supplier<T> explanation) {
                java.util.concurrent.CompletableFuture<Boolean> f = new java.util.concurrent.CompletableFuture<>();
                first = f;
                return ls.explainOriginal(explanation, f);
            }

            @Override
            public void close() {
                closeSeries(mine, closed);
            }
        };
    }

    /** Every layer's draws for {@code seed}, by initializer name (the values {@link #randomised} gives). */
    private Map<String, TensorProto> drawAll(long seed) {
        Map<String, TensorProto> out = new HashMap<>();
        for (Layer layer : layers.values()) {
            for (TensorProto t : randomise(layer, seed)) {
                out.put(t.getName(), t);
            }
        }
        return out;
    }

    private void closeSeries(long mine, boolean[] closed) {
        synchronized (this) {
            // idempotent, and a no-op once the model was closed or the switch replaced
            if (closed[0] || mine != switchGeneration || layerSwitch == null) {
                closed[0] = true;
                return;
            }
            closed[0] = true;
            if (--openSeries == 0) {
                layerSwitch.close();
                layerSwitch = null;
                switchDraws = NO_DRAWS;
            }
        }
    }

    /**
     * Compiles {@code next}'s backward session for the request {@code previous} shared its graph
     * for (both copies from {@link #randomised}; {@link ReweightedModel#prepareLike}): MPRT calls
     * it on a helper thread, so that the next copy's session is made while the current copy runs.
     */
    @Override
    public void prepareLike(Model next, Model previous) throws InterruptedException {
        if (next instanceof ReweightedModel n && previous instanceof ReweightedModel p) {
            n.prepareLike(p);
        }
    }

    /** The graph with the layers {@code names} randomised from {@code seed}. */
    ModelProto randomisedProto(List<String> names, long seed) {
        return replaceInitializers(draws(names, seed));
    }

    /** The randomised initializers of the layers {@code names}, by name. */
    private Map<String, TensorProto> draws(List<String> names, long seed) {
        // the series' draws are waited for without this object's lock (about a second for ResNet-18),
        // so that other callers (another series, close) are not held meanwhile
        java.util.concurrent.CompletableFuture<Map<String, TensorProto>> pending;
        synchronized (this) {
            pending = layerSwitch != null && seed == switchSeed ? switchDraws : null;
        }
        return draws(names, seed, pending == null ? null : org.explain4j.core.Futures.join(pending));
    }

    /** As {@link #draws(List, long)}, with the series' draws of {@code seed} when there is one. */
    private synchronized Map<String, TensorProto> draws(List<String> names, long seed, Map<String, TensorProto> seriesDraws) {
        Map<String, TensorProto> replaced = new HashMap<>();
        for (String name : names) {
            Layer layer = layers.get(name);
            if (layer == null) {
                throw Explain4jException.usage("layer", "the model has no parameterised layer '" + name + "'; its layers are "
                        + layers.keySet());
            }
            boolean drawn = seed == lastSeed && layer.initializers().stream().allMatch(lastDraws::containsKey);
            if (seriesDraws != null) {
                layer.initializers().forEach(i -> replaced.put(i, seriesDraws.get(i)));
                continue; // the series' tensors (and the cascade's memory below left as it is)
            }
            if (drawn) {
                layer.initializers().forEach(i -> replaced.put(i, lastDraws.get(i)));
            } else {
                for (TensorProto t : randomise(layer, seed)) {
                    replaced.put(t.getName(), t);
                }
            }
        }
        lastSeed = seed;
        lastDraws = replaced;
        return replaced;
    }

    private synchronized OnnxDifferentiableModel derivations() {
        if (derivations == null) {
            derivations = new OnnxDifferentiableModel(onnx, PropagationRegistry.standard());
        }
        return derivations;
    }

    /** Closes the differentiable model made for the copies' backward graphs, if this object made one. */
    @Override
    public synchronized void close() {
        if (layerSwitch != null) {
            layerSwitch.close();
            layerSwitch = null;
            openSeries = 0;
            switchDraws = NO_DRAWS;
        }
        switchGeneration++; // series still open now close without effect
        if (ownsDerivations && derivations != null) {
            derivations.close();
            derivations = null;
        }
    }

    @Override
    public Model shiftedFirstLayer(double inputShift, int[] exampleShape) {
        Layer first = layers.values().stream().findFirst().orElse(null);
        if (first == null || !first.node().getOpType().equals("Conv")) {
            throw Explain4jException.unsupported("model", "input-invariance needs a model whose first parameterised layer "
                    + "is a Conv (found " + (first == null ? "none" : first.node().getOpType()) + ")");
        }
        NodeProto conv = first.node();
        TensorProto w = initializer(conv.getInput(1));
        int[] d = dims(w);
        int m = d[0];
        double[] weights = values(w);
        double[] bias = conv.getInputCount() > 2 && !conv.getInput(2).isEmpty() ? values(initializer(conv.getInput(2)))
                : new double[m];
        double[] min = ConvShift.minimumOfConstantInput(conv, d, weights, bias, inputShift, exampleShape);
        double[] shifted = new double[m];
        for (int c = 0; c < m; c++) {
            shifted[c] = 2 * bias[c] - min[c];
        }
        int type = w.getDataType();
        ModelProto.Builder b = proto.toBuilder();
        if (conv.getInputCount() > 2 && !conv.getInput(2).isEmpty()) {
            TensorProto old = initializer(conv.getInput(2));
            return load(replaceInitializers(Map.of(old.getName(), encode(old.getName(), old.getDataType(), dims(old),
                    shifted))), "input shift " + inputShift);
        }
        String name = conv.getOutput(0) + "_shift_bias";
        GraphProto.Builder g = b.getGraphBuilder();
        g.addInitializer(encode(name, type, new int[] {m}, shifted));
        for (int i = 0; i < g.getNodeCount(); i++) {
            if (g.getNode(i).equals(conv)) {
                NodeProto.Builder nb = g.getNode(i).toBuilder();
                while (nb.getInputCount() < 2) {
                    nb.addInput("");
                }
                if (nb.getInputCount() == 2) {
                    nb.addInput(name);
                } else {
                    nb.setInput(2, name);
                }
                g.setNode(i, nb.build());
                break;
            }
        }
        return load(b.build(), "input shift " + inputShift);
    }

    // ---- layers ----

    private static Map<String, Layer> findLayers(GraphProto g) {
        Set<String> inits = new HashSet<>();
        for (TensorProto t : g.getInitializerList()) {
            if (t.getDataType() == DataType.FLOAT_VALUE || t.getDataType() == DataType.DOUBLE_VALUE) {
                inits.add(t.getName());
            }
        }
        Map<String, Integer> readers = new HashMap<>();
        for (NodeProto n : g.getNodeList()) {
            for (String in : n.getInputList()) {
                readers.merge(in, 1, Integer::sum);
            }
        }
        Map<String, Layer> out = new LinkedHashMap<>();
        for (int i = 0; i < g.getNodeCount(); i++) {
            NodeProto n = g.getNode(i);
            List<String> params = new ArrayList<>();
            switch (n.getOpType()) {
                case "Conv", "ConvTranspose", "Gemm" -> {
                    for (int k = 1; k < n.getInputCount(); k++) {
                        if (inits.contains(n.getInput(k))) {
                            params.add(n.getInput(k));
                        }
                    }
                    if (params.isEmpty() || !params.get(0).equals(n.getInput(1))) {
                        params.clear(); // weights computed at run time: nothing to randomise
                    }
                }
                case "MatMul" -> {
                    for (String in : n.getInputList()) {
                        if (inits.contains(in)) {
                            params.add(in);
                        }
                    }
                    if (params.size() == 1 && readers.getOrDefault(n.getOutput(0), 0) == 1) {
                        for (NodeProto add : g.getNodeList()) {
                            if (add.getOpType().equals("Add") && add.getInputList().contains(n.getOutput(0))) {
                                for (String in : add.getInputList()) {
                                    if (inits.contains(in)) {
                                        params.add(in);
                                    }
                                }
                            }
                        }
                    }
                    if (params.size() > 2) {
                        params.clear();
                    }
                }
                default -> {
                }
            }
            if (!params.isEmpty()) {
                String name = n.getName().isEmpty() ? n.getOpType() + "_" + i : n.getName();
                while (out.containsKey(name)) {
                    name = name + "_" + i;
                }
                out.put(name, new Layer(name, n, List.copyOf(params)));
            }
        }
        return out;
    }

    private List<TensorProto> randomise(Layer layer, long seed) {
        NodeProto n = layer.node();
        List<TensorProto> out = new ArrayList<>();
        TensorProto w = initializer(layer.initializers().get(0));
        int[] d = dims(w);
        int fanIn = switch (n.getOpType()) {
            case "Gemm" -> attrInt(n, "transB", 0) == 1 ? d[1] : d[0];
            case "MatMul" -> n.getInput(1).equals(w.getName()) ? d[Math.max(0, d.length - 2)] : d[d.length - 1];
            default -> {
                int f = 1;
                for (int i = 1; i < d.length; i++) {
                    f *= d[i];
                }
                yield f;
            }
        };
        double bound = 1.0 / Math.sqrt(fanIn);
        SplittableRandom rng = new SplittableRandom(seed + 1);
        for (String name : layer.initializers()) {
            TensorProto t = initializer(name);
            out.add(draw(t, bound, rng));
        }
        return out;
    }

    /**
     * {@code t}'s shape and type filled with U(-bound, bound) draws from {@code rng}, in element order,
     * written straight into the tensor's bytes ({@link #encode}: no double array, ResNet-18's 11.7M values
     * would be 94 MB of doubles).
     */
    private static TensorProto draw(TensorProto t, double bound, SplittableRandom rng) {
        return encode(t.getName(), t.getDataType(), dims(t), size(t), i -> -bound + 2 * bound * rng.nextDouble());
    }

    // ---- graph copies ----

    private ModelProto replaceInitializers(Map<String, TensorProto> replaced) {
        ModelProto.Builder b = proto.toBuilder();
        GraphProto.Builder g = b.getGraphBuilder();
        for (int i = 0; i < g.getInitializerCount(); i++) {
            TensorProto t = replaced.get(g.getInitializer(i).getName());
            if (t != null) {
                g.setInitializer(i, t);
            }
        }
        return b.build();
    }

    private DifferentiableModel load(ModelProto edited, String what) {
        OnnxModel copy = OnnxModel.fromBytes(onnx.path().getFileName() + " (" + what + ")", edited.toByteArray(),
                onnx.options().withInputName(onnx.signature().inputName()).withOutputName(onnx.outputName()));
        OnnxDifferentiableModel d = new OnnxDifferentiableModel(copy, PropagationRegistry.standard());
        return new Owned(copy, d);
    }

    /** A randomised or shifted copy: closes its own sessions. */
    private static final class Owned implements DifferentiableModel, org.explain4j.core.engine.RowMemory {
        private final OnnxModel onnx;
        private final OnnxDifferentiableModel d;

        Owned(OnnxModel onnx, OnnxDifferentiableModel d) {
            this.onnx = onnx;
            this.d = d;
        }

        @Override
        public Tensor forward(Tensor input) {
            return onnx.forward(input);
        }

        @Override
        public BackwardResult backward(Tensor input, Tensor seed, BackwardRequest request) {
            return d.backward(input, seed, request);
        }

        @Override
        public ModelSignature signature() {
            return onnx.signature();
        }

        /** The copy's own estimate, so that {@code --batch-size auto} sizes its passes by its activations. */
        @Override
        public java.util.OptionalLong bytesPerRow(Tensor row, Map<String, Tensor> fedRow, Call call) {
            return d.bytesPerRow(row, fedRow, call);
        }

        @Override
        public ModelInfo info() {
            return onnx.info();
        }

        @Override
        public void close() {
            try {
                d.close();
            } finally {
                onnx.close();
            }
        }
    }

    // ---- tensors ----

    private TensorProto initializer(String name) {
        for (TensorProto t : proto.getGraph().getInitializerList()) {
            if (t.getName().equals(name)) {
                if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
                    throw Explain4jException.unsupported("model", "initializer " + name + " is stored outside the model file; "
                            + "randomisation needs the weights inside it");
                }
                return t;
            }
        }
        throw Explain4jException.unsupported("model", "the weight " + name + " is not an initializer of the model");
    }

    private static int[] dims(TensorProto t) {
        return t.getDimsList().stream().mapToInt(Long::intValue).toArray();
    }

    private static int size(TensorProto t) {
        int s = 1;
        for (long d : t.getDimsList()) {
            s = Math.multiplyExact(s, Math.toIntExact(d));
        }
        return s;
    }

    static double[] values(TensorProto t) {
        int n = size(t);
        double[] out = new double[n];
        boolean raw = !t.getRawData().isEmpty();
        ByteBuffer b = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            if (t.getDataType() == DataType.FLOAT_VALUE) {
                out[i] = raw ? b.getFloat(4 * i) : t.getFloatData(i);
            } else {
                out[i] = raw ? b.getDouble(8 * i) : t.getDoubleData(i);
            }
        }
        return out;
    }

    private static TensorProto encode(String name, int type, int[] dims, double[] v) {
        return encode(name, type, dims, v.length, i -> v[i]);
    }

    /**
     * A tensor of {@code type} (float, else double) and {@code dims} holding {@code value(0..n-1)}, asked in
     * that order, written straight into its bytes (not copied again into the {@link ByteString}).
     */
    private static TensorProto encode(String name, int type, int[] dims, int n, java.util.function.IntToDoubleFunction value) {
        boolean single = type == DataType.FLOAT_VALUE;
        byte[] bytes = new byte[Math.multiplyExact(n, single ? 4 : 8)];
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            double v = value.applyAsDouble(i);
            if (single) {
                b.putFloat(4 * i, (float) v);
            } else {
                b.putDouble(8 * i, v);
            }
        }
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(type)
                .setRawData(com.google.protobuf.UnsafeByteOperations.unsafeWrap(bytes)); // nobody else holds bytes
        for (int d : dims) {
            t.addDims(d);
        }
        return t.build();
    }

    static int attrInt(NodeProto n, String name, int dflt) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals(name)) {
                return (int) a.getI();
            }
        }
        return dflt;
    }

    static int[] attrInts(NodeProto n, String name, int[] dflt) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a.getIntsList().stream().mapToInt(Long::intValue).toArray();
            }
        }
        return dflt;
    }

    static String attrString(NodeProto n, String name, String dflt) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a.getS().toStringUtf8();
            }
        }
        return dflt;
    }

    /** The convolution of a constant input, for the input shift (Quantus's add_mean_shift_to_first_layer). */
    private static final class ConvShift {
        private ConvShift() {
        }

        /** Per output channel: min over positions of conv(full(shift)) + bias, zero padding as in the node. */
        static double[] minimumOfConstantInput(NodeProto conv, int[] wDims, double[] w, double[] bias, double shift,
                                               int[] exampleShape) {
            int spatial = wDims.length - 2;
            if (spatial < 1 || spatial > 2 || exampleShape.length != spatial + 1) {
                throw Explain4jException.unsupported("model", "input-invariance supports 1-D and 2-D convolutions first "
                        + "(found a weight of rank " + wDims.length + " for examples of shape "
                        + Tensor.shapeString(exampleShape) + ")");
            }
            String autoPad = attrString(conv, "auto_pad", "NOTSET");
            if (!autoPad.equals("NOTSET") && !autoPad.equals("VALID")) {
                throw Explain4jException.unsupported("model", "input-invariance does not support auto_pad " + autoPad
                        + " on the first Conv");
            }
            int m = wDims[0];
            int cg = wDims[1];
            int kh = spatial == 2 ? wDims[2] : 1;
            int kw = wDims[wDims.length - 1];
            int h = spatial == 2 ? exampleShape[1] : 1;
            int wd = exampleShape[exampleShape.length - 1];
            int[] strides = attrInts(conv, "strides", spatial == 2 ? new int[] {1, 1} : new int[] {1});
            int[] dil = attrInts(conv, "dilations", spatial == 2 ? new int[] {1, 1} : new int[] {1});
            int[] pads = autoPad.equals("VALID") ? new int[2 * spatial] : attrInts(conv, "pads", new int[2 * spatial]);
            int group = attrInt(conv, "group", 1);
            int sh = spatial == 2 ? strides[0] : 1;
            int sw = strides[spatial - 1];
            int dh = spatial == 2 ? dil[0] : 1;
            int dw = dil[spatial - 1];
            int pt = spatial == 2 ? pads[0] : 0;
            int pl = pads[spatial - 1];
            int pb = spatial == 2 ? pads[2] : 0;
            int pr = pads[2 * spatial - 1];
            int oh = (h + pt + pb - dh * (kh - 1) - 1) / sh + 1;
            int ow = (wd + pl + pr - dw * (kw - 1) - 1) / sw + 1;
            int perGroup = m / group;
            double[] min = new double[m];
            for (int c = 0; c < m; c++) {
                double best = Double.POSITIVE_INFINITY;
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        double s = 0;
                        for (int ci = 0; ci < cg; ci++) {
                            for (int ky = 0; ky < kh; ky++) {
                                int iy = oy * sh - pt + ky * dh;
                                if (iy < 0 || iy >= h) {
                                    continue;
                                }
                                for (int kx = 0; kx < kw; kx++) {
                                    int ix = ox * sw - pl + kx * dw;
                                    if (ix >= 0 && ix < wd) {
                                        s += w[((c * cg + ci) * kh + ky) * kw + kx];
                                    }
                                }
                            }
                        }
                        best = Math.min(best, shift * s + bias[c]);
                    }
                }
                min[c] = best;
            }
            if (perGroup <= 0) {
                throw Explain4jException.unsupported("model", "the first Conv has " + m + " outputs for " + group + " groups");
            }
            return min;
        }
    }
}
