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
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.explain4j.core.DType;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
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
 * session for every later call. Safe to call from several threads.
 *
 * <p>{@link #close()} closes only the sessions this object created, never the wrapped model's.
 */
public final class OnnxDifferentiableModel implements DifferentiableModel, RowMemory {
    /**
     * A backward pass's bytes per row over the forward activations' (all tensors of a probe run of
     * one row). The backward graph keeps the forward activations for the backward pass and adds a
     * gradient of the same size for most of them, plus masks and layout copies; measured on
     * ResNet-18 at 224x224 (docs/BENCHMARKS.md, "The automatic batch size").
     */
    public static final double BACKWARD_FACTOR = 2.0;
    /** The cache key of a compiled backward model. */
    record Key(RuleSet rules, List<String> captures, List<String> feeds, boolean inputGradient, List<Integer> shape,
               String input, Map<String, List<Integer>> fedShapes, Map<String, List<Double>> smallFedValues) {
    }

    /**
     * Fed inputs of at most this many elements are part of the cache key by value: such inputs
     * (a sample rate, a flag) may decide an {@code If} that the lowering folds into the derived
     * graph, so another value must not reuse that graph. Larger fed inputs (masks, states) are
     * keyed by shape only.
     */
    static final int SMALL_FED_INPUT = 64;

    /** A backward model and its session. */
    record Compiled(BackwardGraph graph, OrtSession session) {
    }

    private final OnnxModel model;
    private final RuleRegistry registry;
    private final BackwardGraphBuilder builder;
    private final OrtEnvironment env = OnnxModel.environment();
    private final Map<Key, Compiled> compiled = new ConcurrentHashMap<>();
    private volatile ModelProto proto;
    private final Map<List<Canonizer>, ModelProto> canonical = new ConcurrentHashMap<>();
    private volatile boolean closed;
    private volatile Consumer<OnnxTensor> tensorListener = t -> { };
    private final Map<List<Object>, Long> activationBytes = new ConcurrentHashMap<>();

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
        this.builder = new BackwardGraphBuilder(rules);
    }

    /**
     * The same model explaining its input {@code name}, the others fed as given; a new object
     * with its own compiled sessions (close it too).
     */
    public OnnxDifferentiableModel explaining(String name) {
        return name.equals(model.signature().inputName()) ? this
                : new OnnxDifferentiableModel(model.explaining(name), registry);
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
        return ShapeProbe.run(env, p, input, type, row.shape(), fed).bytes();
    }

    /** The backward model for a request at an input shape (built or taken from the cache), for inspection. */
    public BackwardGraph backwardGraph(BackwardRequest request, int... inputShape) {
        return compiled(request, inputShape, checkInputs(request.inputs(), model.signature())).graph();
    }

    @Override
    public BackwardResult backward(Tensor input, Tensor seed, BackwardRequest request) {
        ModelSignature sig = model.signature();
        sig.validate(input, "input");
        Tensor in = input.dtype() == sig.inputType() ? input : input.to(sig.inputType());
        Map<String, Tensor> fed = checkInputs(request.inputs(), sig);
        Compiled c = compiled(request, in.shape(), fed);
        BackwardGraph g = c.graph();
        Tensor s = checkSeed(seed, g.outputMeta());
        Map<String, Tensor> feeds = checkFeeds(request.feeds(), g);
        List<OnnxTensor> created = new ArrayList<>();
        try {
            Map<String, OnnxTensor> inputs = new HashMap<>();
            inputs.put(g.inputName(), track(OrtTensors.toOrt(env, in), created));
            inputs.put(g.seedName(), track(OrtTensors.toOrt(env, s), created));
            for (Map.Entry<String, Tensor> f : feeds.entrySet()) {
                inputs.put(g.feedInputs().get(f.getKey()), track(OrtTensors.toOrt(env, f.getValue()), created));
            }
            for (Map.Entry<String, Tensor> f : fed.entrySet()) {
                inputs.put(f.getKey(), track(OrtTensors.toOrt(env, f.getValue()), created));
            }
            try (OrtSession.Result r = c.session().run(inputs)) {
                return result(r, g, in, feeds, request);
            }
        } catch (OrtException e) {
            throw Explain4jException.model("--model", "ONNX Runtime failed on the backward pass of "
                    + model.info().name() + " with input " + input.describe() + ": "
                    + ShapeProbe.firstLine(e.getMessage()), e);
        } finally {
            OnnxValue.close(created);
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
    private static Map<String, Tensor> checkInputs(Map<String, Tensor> fed, ModelSignature sig) {
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

    /** The compiled backward model for a request at an input shape, built and cached on first use. */
    Compiled compiled(BackwardRequest request, int[] inputShape) {
        return compiled(request, inputShape, checkInputs(request.inputs(), model.signature()));
    }

    private Compiled compiled(BackwardRequest request, int[] inputShape, Map<String, Tensor> fed) {
        if (closed) {
            throw Explain4jException.usage("model", "this differentiable model is closed");
        }
        Key key = new Key(request.rules(), List.copyOf(new TreeSet<>(request.captures())),
                List.copyOf(new TreeSet<>(request.feeds().keySet())), request.inputGradient(),
                Arrays.stream(inputShape).boxed().toList(), model.signature().inputName(), shapes(fed), smallValues(fed));
        Compiled c = compiled.computeIfAbsent(key, k -> compile(k, fed));
        if (closed) {
            closeQuietly(compiled.remove(key));
            throw Explain4jException.usage("model", "this differentiable model is closed");
        }
        return c;
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

    private Compiled compile(Key key, Map<String, Tensor> fed) {
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
        String diskKey = DerivationKey.of(model, proto(), registry, key, fed);
        BackwardGraph graph = BackwardGraphCache.get(diskKey,
                () -> key.rules().isGradient() ? builder.build(proto(), spec)
                        : Canonizers.build(builder, canonical(key.rules().canonizers()), spec));
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setOptimizationLevel(model.options().optimization());
            so.setSessionLogLevel(ai.onnxruntime.OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL);
            if (model.options().intraOpThreads() > 0) {
                so.setIntraOpNumThreads(model.options().intraOpThreads());
            }
            String profile = System.getenv("EXPLAIN4J_ORT_PROFILE");
            if (profile != null && !profile.isBlank()) {
                // performance work only: ONNX Runtime writes a per-op timing trace with this prefix
                so.enableProfiling(profile);
                diskKey = null;
            }
            // and ONNX Runtime's optimised form of it
            return new Compiled(graph, OptimizedSessionCache.create(env, diskKey, so, model.options().optimization(),
                    o -> ExternalData.createSession(env, graph.model(), o)));
        } catch (OrtException e) {
            throw Explain4jException.model("--model", "ONNX Runtime rejected the backward graph of "
                    + model.info().name() + " (opset " + graph.opset() + "): " + ShapeProbe.firstLine(e.getMessage())
                    + "; this is a bug in explain4j's backward rules, please report it", e);
        }
    }

    private ModelProto proto() {
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
    private ModelProto canonical(List<Canonizer> canonizers) {
        return canonizers.isEmpty() ? proto() : canonical.computeIfAbsent(canonizers,
                c -> Canonizers.canonize(proto(), c));
    }

    /** Test hook: sees every native tensor this model creates for a backward pass. */
    void onTensorCreated(Consumer<OnnxTensor> listener) {
        this.tensorListener = listener;
    }

    /** Number of compiled backward sessions held. */
    int compiledCount() {
        return compiled.size();
    }

    /** Closes every backward session this model created; the wrapped model stays open. */
    @Override
    public void close() {
        closed = true;
        for (Key k : List.copyOf(compiled.keySet())) {
            closeQuietly(compiled.remove(k));
        }
    }

    private static void closeQuietly(Compiled c) {
        if (c == null) {
            return;
        }
        try {
            c.session().close();
        } catch (OrtException e) {
            // nothing more can be done with a session that fails to close
        }
    }
}
