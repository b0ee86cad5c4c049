package org.explain4j.onnx.grad;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.OrtEnvironment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;

/**
 * Derives the backward pass of an ONNX model as a second ONNX model: vector-Jacobian products
 * emitted op by op, in reverse topological order, by the {@link OpRule}s of a {@link RuleRegistry}.
 *
 * <p>The built model's inputs are the model input, the seed {@value #SEED} (of the explained
 * output's shape) and one input per fed tensor; its outputs are the forward output, the VJP of
 * the seed with respect to every requested tensor ({@value #GRAD_PREFIX}{@code <name>}) and the
 * captured activations ({@value #ACTIVATION_PREFIX}{@code <name>}). Only nodes on a path from a
 * requested tensor to the output are differentiated; weight gradients are never computed. The
 * graph is specialised to one input shape, learnt by a probe run of the original model. Control
 * flow, recurrent ops and opsets before 11 on the gradient path are first lowered to plain ops
 * ({@link GraphLowering}). The caller's model is never modified.
 */
public final class BackwardGraphBuilder {
    /** The seed input. */
    public static final String SEED = "explain4j_seed";
    /** The prefix of VJP outputs. */
    public static final String GRAD_PREFIX = "explain4j_grad__";
    /** The prefix of captured activation outputs. */
    public static final String ACTIVATION_PREFIX = "explain4j_act__";
    /** The prefix of fed-tensor inputs. */
    public static final String FEED_PREFIX = "explain4j_feed__";
    /** The oldest supported default-domain opset. */
    public static final int MIN_OPSET = 7;
    /** The newest supported default-domain opset. */
    public static final int MAX_OPSET = 21;

    private final RuleRegistry registry;
    private final OrtEnvironment env;
    private final boolean optimisedForms;
    private final OrtAccess access;

    /** A builder with the default gradient rules. */
    public BackwardGraphBuilder() {
        this(RuleRegistry.defaults());
    }

    public BackwardGraphBuilder(RuleRegistry registry) {
        this(registry, true);
    }

    private BackwardGraphBuilder(RuleRegistry registry, boolean optimisedForms) {
        this(registry, optimisedForms, OrtAccess.PLAIN);
    }

    private BackwardGraphBuilder(RuleRegistry registry, boolean optimisedForms, OrtAccess access) {
        this.registry = registry;
        this.env = OrtEnvironment.getEnvironment();
        this.optimisedForms = optimisedForms;
        this.access = access;
    }

    /** The same builder making its probe sessions and running its probes through {@code access}. */
    BackwardGraphBuilder withAccess(OrtAccess access) {
        return new BackwardGraphBuilder(registry, optimisedForms, access);
    }

    /**
     * The same builder without the faster formulations: those that keep a CNN's gradients in
     * ONNX Runtime's blocked CPU layout (ReLU masks by scaling and Clip, depthwise-convolution
     * scalings, a separate MaxPool for the indices) and the ReLU-then-MaxPool shortcut (the mask
     * applied on the pooled side). Every rule then emits its textbook form. The results agree to
     * rounding; the plain graph suits execution providers without that layout and serves as the
     * reference in tests.
     */
    public BackwardGraphBuilder plainRules() {
        return new BackwardGraphBuilder(registry, false, access);
    }

    /** Builds the backward model of {@code model} (which is not modified) for {@code spec}. */
    public BackwardGraph build(ModelProto model, BackwardSpec spec) {
        new Build(model, spec, Map.of()).check(); // names and shapes first: lowering may probe
        GraphLowering.Result lowered = GraphLowering.lower(env, access, model, spec);
        return new Build(lowered.model(), spec, lowered.refused()).lowered(lowered.model() != model).run();
    }

    /** The model's default-domain opset, refusing those outside {@value #MIN_OPSET}..{@value #MAX_OPSET}. */
    public static int defaultOpset(ModelProto model) {
        int opset = -1;
        for (OperatorSetIdProto o : model.getOpsetImportList()) {
            if (o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")) {
                opset = (int) o.getVersion();
            }
        }
        if (opset < MIN_OPSET || opset > MAX_OPSET) {
            throw Explain4jException.unsupported("--model", "the model uses ONNX opset " + opset
                    + "; the backward-graph builder supports opsets " + MIN_OPSET + " to " + MAX_OPSET
                    + " (convert the model with onnx.version_converter); " + Unsupported.perturbationHint());
        }
        return opset;
    }

    private static int irVersionFor(int opset) {
        return opset <= 11 ? 6 : opset <= 14 ? 7 : opset <= 18 ? 8 : opset <= 20 ? 9 : 10;
    }

    /** The state of one build. */
    private final class Build implements RuleContext.Host {
        private final ModelProto model;
        private final BackwardSpec spec;
        private final GraphProto graph;
        private final int opset;
        private final Map<String, TensorProto> initializers = new HashMap<>();
        private final Set<String> producedNames = new LinkedHashSet<>();
        private final Set<String> taken = new HashSet<>();
        private final Map<String, TensorMeta> metas = new HashMap<>();
        private final Map<String, String> feedInputs = new LinkedHashMap<>();
        private Set<String> valueDependent;
        private Set<String> active;
        private final Map<String, List<String>> contributions = new HashMap<>();
        private final Map<String, String> sums = new HashMap<>();
        private final Map<NodeProto, Integer> nodeIndex = new IdentityHashMap<>();
        private List<NodeProto> nodes;
        private Map<String, Integer> producerIndex;
        private Map<String, long[]> probeLongs;
        private GraphEmitter emitter;
        private final Map<String, String> refused;
        /** Tensors whose values the rules read while the graph was built. */
        private final Set<String> valuesRead = new HashSet<>();
        private boolean lowered;

        Build(ModelProto model, BackwardSpec spec, Map<String, String> refused) {
            this.model = model;
            this.refused = refused;
            this.spec = spec;
            this.graph = model.getGraph();
            this.opset = defaultOpset(model);
        }

        /** Marks a build of a lowered model, whose folds depended on values not tracked here. */
        Build lowered(boolean on) {
            this.lowered = on;
            return this;
        }

        void check() {
            index();
            validate();
        }

        BackwardGraph run() {
            index();
            ValueInfoProto input = validate();
            probe(input);
            rewriteFeeds();
            Map<String, String> targets = targets();
            List<String> sources = new ArrayList<>(feedInputs.values());
            sources.add(spec.inputName());
            sources.addAll(spec.fedInputs().keySet());
            valueDependent = Dataflow.valueDependent(nodes, sources);
            active = Dataflow.active(nodes, targets.values(), metas);
            List<Integer> relevant = Dataflow.relevant(nodes, spec.outputName(), active, metas);
            for (int i : relevant) {
                String why = refused.get(GraphLowering.key(nodes.get(i)));
                if (why != null) {
                    throw Unsupported.error(nodes.get(i), opset, why);
                }
            }
            RuleSelection.Choice choice = RuleSelection.choose(relevant.stream().map(nodes::get).toList(),
                    spec.rules(), registry, opset);
            int target = opset;
            for (OpRule r : choice.rules()) {
                target = Math.max(target, r.minOpset());
            }
            Map<Integer, Fused> fused = optimisedForms ? fusePairs(relevant, choice) : Map.of();
            for (Fused f : fused.values()) {
                target = Math.max(target, f.rule().minOpset());
            }
            emitter = new GraphEmitter(taken, target);
            emitBackward(relevant, choice, fused);
            return assemble(input, targets, target);
        }

        // ---- indexing and validation ----

        private void index() {
            for (TensorProto t : graph.getInitializerList()) {
                initializers.put(t.getName(), t);
                taken.add(t.getName());
            }
            graph.getInputList().forEach(v -> taken.add(v.getName()));
            graph.getOutputList().forEach(v -> taken.add(v.getName()));
            for (NodeProto n : graph.getNodeList()) {
                for (String o : n.getOutputList()) {
                    if (!o.isEmpty()) {
                        producedNames.add(o);
                        taken.add(o);
                    }
                }
            }
            taken.add(SEED);
        }

        private ValueInfoProto validate() {
            ValueInfoProto input = graph.getInputList().stream()
                    .filter(v -> v.getName().equals(spec.inputName()) && !initializers.containsKey(v.getName()))
                    .findFirst()
                    .orElseThrow(() -> Explain4jException.usage("--input-name", "the model has no input named '"
                            + spec.inputName() + "'; its inputs are " + graph.getInputList().stream()
                            .map(ValueInfoProto::getName).filter(n -> !initializers.containsKey(n)).toList()));
            if (!producedNames.contains(spec.outputName())) {
                throw Explain4jException.usage("--output-name", "the model has no output named '" + spec.outputName()
                        + "'; its outputs are " + graph.getOutputList().stream().map(ValueInfoProto::getName).toList());
            }
            if (graph.getNodeList().stream().anyMatch(n -> n.getOutputList().contains(SEED))) {
                throw Explain4jException.unsupported("--model", "the model already has a tensor named '" + SEED
                        + "', which the backward graph needs for its seed");
            }
            for (String name : spec.gradients()) {
                requireTensor(name, "gradients", true);
            }
            for (String name : spec.captures()) {
                requireTensor(name, "captures", true);
            }
            for (String name : spec.feeds()) {
                requireTensor(name, "feeds", false);
            }
            List<TensorShapeProto.Dimension> dims = input.getType().getTensorType().getShape().getDimList();
            int[] shape = spec.inputShape();
            if (input.getType().getTensorType().hasShape() && dims.size() != shape.length) {
                throw Explain4jException.shape("input", "the input has shape " + Tensor.shapeString(shape)
                        + " but the model's input '" + spec.inputName() + "' has rank " + dims.size());
            }
            for (int i = 0; i < dims.size() && i < shape.length; i++) {
                if (dims.get(i).hasDimValue() && dims.get(i).getDimValue() > 0 && dims.get(i).getDimValue() != shape[i]) {
                    throw Explain4jException.shape("input", "the input has shape " + Tensor.shapeString(shape)
                            + " but dimension " + i + " of the model's input '" + spec.inputName() + "' is "
                            + dims.get(i).getDimValue());
                }
            }
            return input;
        }

        private void requireTensor(String name, String what, boolean inputAllowed) {
            boolean isInput = name.equals(spec.inputName());
            if (producedNames.contains(name) || initializers.containsKey(name) || (inputAllowed && isInput)) {
                return;
            }
            String hint = isInput ? "the model input cannot be fed; feed an intermediate tensor"
                    : "tensors of this model include " + producedNames.stream().limit(8)
                    .map(s -> "'" + s + "'").collect(Collectors.joining(", "))
                    + (producedNames.size() > 8 ? " (" + producedNames.size() + " in all)" : "");
            throw Explain4jException.usage("--layer", "the model has no tensor '" + name + "' to use in " + what + "; "
                    + hint);
        }

        private void probe(ValueInfoProto input) {
            int inputType = input.getType().getTensorType().getElemType();
            ShapeProbe.Result r = access.probe(env, model, spec.inputName(), inputType, spec.inputShape(),
                    spec.fedInputs());
            metas.putAll(r.metas());
            probeLongs = r.longs();
            long[] shape = java.util.Arrays.stream(spec.inputShape()).asLongStream().toArray();
            metas.put(spec.inputName(), new TensorMeta(inputType, shape));
            for (ValueInfoProto v : graph.getInputList()) {
                Tensor fed = spec.fedInputs().get(v.getName());
                if (fed != null) {
                    metas.put(v.getName(), new TensorMeta(v.getType().getTensorType().getElemType(),
                            java.util.Arrays.stream(fed.shape()).asLongStream().toArray()));
                }
            }
            for (TensorProto t : initializers.values()) {
                metas.put(t.getName(), new TensorMeta(t.getDataType(),
                        t.getDimsList().stream().mapToLong(Long::longValue).toArray()));
            }
        }

        private void rewriteFeeds() {
            Map<String, String> renames = new HashMap<>();
            for (String f : spec.feeds()) {
                if (!feedInputs.containsKey(f)) {
                    String in = Names.unique(FEED_PREFIX, f, taken);
                    feedInputs.put(f, in);
                    renames.put(f, in);
                    metas.put(in, meta(f));
                }
            }
            nodes = new ArrayList<>();
            for (NodeProto n : graph.getNodeList()) {
                NodeProto r = renames.isEmpty() ? n : Graphs.renameInputs(n, renames);
                nodeIndex.put(r, nodes.size());
                nodes.add(r);
            }
        }

        /** Requested tensor name to the graph tensor its VJP is taken at (the fed input for a fed tensor). */
        private Map<String, String> targets() {
            Map<String, String> t = new LinkedHashMap<>();
            for (String name : spec.gradients()) {
                String g = feedInputs.getOrDefault(name, name);
                TensorMeta m = meta(g);
                if (!m.isFloating()) {
                    String fix = name.equals(spec.inputName())
                            ? "; the input holds " + TensorMeta.typeName(m.elemType()) + " values (e.g. token ids), so ask"
                            + " for the gradient at a float tensor such as an embedding output (--layer)"
                            : "; choose a float tensor";
                    throw Explain4jException.dtype("--layer", "cannot take a gradient with respect to '" + name
                            + "', which is " + TensorMeta.typeName(m.elemType()) + fix);
                }
                t.put(name, g);
            }
            return t;
        }

        // ---- emission ----

        /** A fused pair: the pair rule and the position (in {@code relevant}) of the producer. */
        private record Fused(FusedPairRule rule, int producer) {
        }

        /**
         * The pairs of the registry's fused pair rules, keyed by the consumer's position in
         * {@code relevant}: a producer on the differentiated path whose output only the consumer
         * reads, and whose own data input needs a gradient.
         */
        private Map<Integer, Fused> fusePairs(List<Integer> relevant, RuleSelection.Choice choice) {
            Map<Integer, Fused> fused = new HashMap<>();
            if (registry.fusedPairs().isEmpty()) {
                return fused;
            }
            Map<Integer, Integer> position = new HashMap<>();
            for (int k = 0; k < relevant.size(); k++) {
                position.put(relevant.get(k), k);
            }
            Set<Integer> taken = new HashSet<>();
            for (int k = 0; k < relevant.size(); k++) {
                NodeProto consumer = nodes.get(relevant.get(k));
                if (consumer.getInputCount() == 0 || consumer.getOutputCount() == 0) {
                    continue;
                }
                Integer pi = producers().get(consumer.getInput(0));
                Integer pk = pi == null ? null : position.get(pi);
                if (pk == null || taken.contains(pk) || fused.containsKey(pk)) {
                    continue;
                }
                NodeProto producer = nodes.get(pi);
                if (producer.getOutputCount() != 1 || producer.getInputCount() == 0
                        || !onlyConsumer(consumer.getInput(0), consumer) || !active.contains(producer.getInput(0))) {
                    continue;
                }
                for (FusedPairRule r : registry.fusedPairs()) {
                    if (r.matches(producer, choice.rules().get(pk), consumer, choice.rules().get(k))) {
                        fused.put(k, new Fused(r, pk));
                        taken.add(pk);
                        break;
                    }
                }
            }
            return fused;
        }

        private void emitBackward(List<Integer> relevant, RuleSelection.Choice choice, Map<Integer, Fused> fused) {
            if (active.contains(spec.outputName())) {
                contributions.computeIfAbsent(spec.outputName(), k -> new ArrayList<>()).add(SEED);
            }
            Set<Integer> producers = new HashSet<>();
            fused.values().forEach(f -> producers.add(f.producer()));
            for (int k = relevant.size() - 1; k >= 0; k--) {
                if (producers.contains(k)) {
                    continue; // its backward was emitted with its consumer's
                }
                NodeProto n = nodes.get(relevant.get(k));
                String[] grads = new String[n.getOutputCount()];
                boolean any = false;
                for (int i = 0; i < grads.length; i++) {
                    grads[i] = n.getOutput(i).isEmpty() ? null : sum(n.getOutput(i));
                    any |= grads[i] != null;
                }
                if (!any) {
                    continue;
                }
                RuleContext here = new RuleContext(this, emitter, n, grads, opset, choice.params().get(k));
                Fused f = fused.get(k);
                if (f == null) {
                    choice.rules().get(k).backward(here);
                } else {
                    NodeProto p = nodes.get(relevant.get(f.producer()));
                    f.rule().backward(new RuleContext(this, emitter, p, new String[p.getOutputCount()], opset,
                            choice.params().get(f.producer())), here);
                }
            }
        }

        /** The accumulated gradient of a tensor (Add of its contributions), or null when none flows. */
        private String sum(String tensor) {
            String s = sums.get(tensor);
            if (s != null) {
                return s;
            }
            List<String> c = contributions.get(tensor);
            if (c == null || c.isEmpty()) {
                return null;
            }
            String acc = c.get(0);
            for (int i = 1; i < c.size(); i++) {
                acc = emitter.op("Add", List.of(acc, c.get(i)));
            }
            sums.put(tensor, acc);
            return acc;
        }

        @Override
        public TensorMeta meta(String tensor) {
            TensorMeta m = metas.get(tensor);
            if (m == null) {
                throw Explain4jException.unsupported("--model", "the probe run learnt no shape for tensor '" + tensor
                        + "' (not a plain tensor?); " + Unsupported.perturbationHint());
            }
            return m;
        }

        @Override
        public boolean isActive(String tensor) {
            return active.contains(tensor);
        }

        @Override
        public void addGrad(String tensor, String grad) {
            if (sums.containsKey(tensor)) {
                throw new IllegalStateException("the gradient of '" + tensor + "' was used before all contributions");
            }
            contributions.computeIfAbsent(tensor, k -> new ArrayList<>()).add(grad);
        }

        @Override
        public long[] constantLongs(String tensor) {
            TensorProto init = initializers.get(tensor);
            if (init != null) {
                valuesRead.add(tensor);
                return TensorProtos.toLongs(init);
            }
            if (valueDependent.contains(tensor)) {
                return null;
            }
            long[] v = probeLongs.get(tensor);
            if (v != null) {
                valuesRead.add(tensor);
            }
            return v == null ? null : v.clone();
        }

        @Override
        public double[] constantDoubles(String tensor) {
            TensorProto init = initializers.get(tensor);
            if (init != null) {
                valuesRead.add(tensor);
                return TensorProtos.toDoubles(init);
            }
            for (NodeProto n : nodes) {
                if (n.getOpType().equals("Constant") && n.getOutputCount() == 1 && n.getOutput(0).equals(tensor)) {
                    if (Attr.find(n, "value_float").isPresent()) {
                        return new double[] {Attr.getFloat(n, "value_float", 0f)};
                    }
                    return Attr.find(n, "value").filter(a -> a.hasT()).map(a -> TensorProtos.toDoubles(a.getT()))
                            .orElse(null);
                }
            }
            return null;
        }

        @Override
        public boolean optimisedForms() {
            return optimisedForms;
        }

        /** Whether {@code node} is the only reader of {@code tensor}, which is neither a graph output nor requested. */
        private boolean onlyConsumer(String tensor, NodeProto node) {
            if (spec.gradients().contains(tensor) || spec.captures().contains(tensor) || spec.feeds().contains(tensor)
                    || graph.getOutputList().stream().anyMatch(v -> v.getName().equals(tensor))) {
                return false;
            }
            int uses = 0;
            boolean here = false;
            for (NodeProto n : nodes) {
                for (String in : n.getInputList()) {
                    if (in.equals(tensor)) {
                        uses++;
                        here |= n.getOutputCount() > 0 && node.getOutputCount() > 0
                                && n.getOutput(0).equals(node.getOutput(0));
                    }
                }
            }
            return uses == 1 && here;
        }

        /** Output name to the index of the node producing it (outputs never change name). */
        private Map<String, Integer> producers() {
            if (producerIndex == null) {
                producerIndex = new HashMap<>();
                for (int i = 0; i < nodes.size(); i++) {
                    for (String o : nodes.get(i).getOutputList()) {
                        if (!o.isEmpty()) {
                            producerIndex.put(o, i);
                        }
                    }
                }
            }
            return producerIndex;
        }

        @Override
        public String forwardOutput(NodeProto node, int index) {
            int i = nodeIndex.get(node);
            NodeProto current = nodes.get(i);
            if (index < current.getOutputCount() && !current.getOutput(index).isEmpty()) {
                return current.getOutput(index);
            }
            NodeProto.Builder b = current.toBuilder();
            while (b.getOutputCount() <= index) {
                b.addOutput("");
            }
            String name = emitter.fresh(current.getOpType() + "_out" + index);
            b.setOutput(index, name);
            nodes.set(i, b.build());
            return name;
        }

        // ---- assembly ----

        private BackwardGraph assemble(ValueInfoProto input, Map<String, String> targets, int target) {
            List<ValueInfoProto> outputs = new ArrayList<>();
            outputs.add(valueInfo(spec.outputName(), meta(spec.outputName())));
            Map<String, String> gradOutputs = new LinkedHashMap<>();
            for (Map.Entry<String, String> e : targets.entrySet()) {
                TensorMeta m = meta(e.getValue());
                String g = sum(e.getValue());
                if (g == null) {
                    g = emitter.zeros(m.shape(), m.elemType());
                }
                String out = Names.unique(GRAD_PREFIX, e.getKey(), taken);
                emitter.nodes().add(identity(g, out));
                outputs.add(valueInfo(out, m));
                gradOutputs.put(e.getKey(), out);
            }
            Map<String, String> actOutputs = new LinkedHashMap<>();
            for (String c : new LinkedHashSet<>(spec.captures())) {
                String src = feedInputs.getOrDefault(c, c);
                String out = Names.unique(ACTIVATION_PREFIX, c, taken);
                emitter.nodes().add(identity(src, out));
                outputs.add(valueInfo(out, meta(src)));
                actOutputs.put(c, out);
            }
            List<NodeProto> forward = target > opset
                    ? new OpsetUpgrader(opset, target, emitter, this::meta).upgrade(nodes) : nodes;
            List<NodeProto> all = new ArrayList<>(forward);
            all.addAll(emitter.nodes());
            Set<String> needed = new HashSet<>();
            outputs.forEach(o -> needed.add(o.getName()));
            List<NodeProto> kept = Dataflow.prune(all, needed);
            GraphProto.Builder g = GraphProto.newBuilder().setName(graph.getName() + "_explain4j_backward")
                    .addAllNode(kept).addAllOutput(outputs);
            g.addInput(valueInfo(spec.inputName(), meta(spec.inputName())));
            g.addInput(valueInfo(SEED, meta(spec.outputName())));
            for (String fed : spec.fedInputs().keySet()) {
                g.addInput(valueInfo(fed, meta(fed)));
            }
            Map<String, TensorMeta> feedMetas = new LinkedHashMap<>();
            feedInputs.forEach((t, in) -> {
                g.addInput(valueInfo(in, meta(in)));
                feedMetas.put(t, meta(in));
            });
            for (ValueInfoProto v : graph.getInputList()) {
                if (initializers.containsKey(v.getName()) && needed.contains(v.getName())) {
                    g.addInput(v);
                }
            }
            graph.getInitializerList().stream().filter(t -> needed.contains(t.getName())).forEach(g::addInitializer);
            emitter.initializers().stream().filter(t -> needed.contains(t.getName())).forEach(g::addInitializer);
            g.addAllSparseInitializer(graph.getSparseInitializerList());
            Set<String> declared = new HashSet<>(initializers.keySet());
            g.getInputList().forEach(v -> declared.add(v.getName()));
            outputs.forEach(v -> declared.add(v.getName()));
            for (NodeProto n : kept) {
                for (String o : n.getOutputList()) {
                    if (producedNames.contains(o) && !declared.contains(o) && metas.containsKey(o)) {
                        g.addValueInfo(valueInfo(o, metas.get(o)));
                    }
                }
            }
            ModelProto.Builder m = model.toBuilder().setGraph(g).clearOpsetImport()
                    .setIrVersion(Math.max(model.getIrVersion(), irVersionFor(target)));
            for (OperatorSetIdProto o : model.getOpsetImportList()) {
                boolean dflt = o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx");
                m.addOpsetImport(dflt ? o.toBuilder().setVersion(target).build() : o);
            }
            return new BackwardGraph(m.build(), target, spec.inputName(), SEED, spec.outputName(),
                    meta(spec.outputName()), gradOutputs, actOutputs, feedInputs, feedMetas, valueInputs());
        }

        /**
         * The initializers whose values the graph depends on beyond the tensors it reads them
         * into: those the rules read, and those an integer value the rules took from the probe
         * was computed from; every initializer of a lowered model.
         */
        private Set<String> valueInputs() {
            if (lowered) {
                return initializers.keySet();
            }
            Set<String> out = new HashSet<>();
            for (String t : Dataflow.valueAncestors(nodes, valuesRead)) {
                if (initializers.containsKey(t)) {
                    out.add(t);
                }
            }
            return out;
        }

        private NodeProto identity(String from, String to) {
            return NodeProto.newBuilder().setOpType("Identity").setName(emitter.fresh("output"))
                    .addInput(from).addOutput(to).build();
        }
    }

    static ValueInfoProto valueInfo(String name, TensorMeta meta) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (long d : meta.shape()) {
            s.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(meta.elemType()).setShape(s))).build();
    }
}
