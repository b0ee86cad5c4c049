package org.explain4j.onnx.grad;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A backward graph in which every layer's weights can be switched between the model's values and
 * randomised ones at run time, so that one ONNX Runtime session serves every randomised copy of
 * a randomisation metric (MPRT's cascade: 21 copies of ResNet-18 with one compile instead of 21).
 *
 * <p>Each node that reads a layer's weights (the forward Conv/Gemm and the gradient nodes that
 * reuse them), together with the chain of constant-only nodes between the weights and it (the
 * gradient rules' Reshape/Transpose/Slice of a convolution kernel), is replaced by an ONNX
 * {@code If} on a boolean graph input {@code explain4j_randomise_<layer>}: the then-branch holds
 * the node with the randomised weights, the else-branch with the model's, both as the branch's
 * own initializers, so that ONNX Runtime still folds the chain and reorders and pre-packs the
 * weights of each branch. The rest of the graph is unchanged.
 *
 * <p>{@link #build} refuses (empty) a graph it cannot rewrite exactly: nodes with subgraphs (a
 * weight read inside a subgraph would not be switched), a weight or a value computed only from
 * weights that is a graph output or a graph input, a node reading the weights of two layers, a
 * node whose output type it cannot tell.
 */
public final class LayerSwitchGraph {
    /** The boolean input that switches layer {@code i} (the index in the draws' list). */
    public static String switchName(int layer) {
        return "explain4j_randomise_" + layer;
    }

    private LayerSwitchGraph() {
    }

    /**
     * {@code model} with layer {@code i}'s initializers (the keys of {@code draws.get(i)})
     * switched between their values in {@code model} and {@code draws.get(i)}'s by the input
     * {@link #switchName(int) switchName(i)}; empty where the graph cannot be rewritten so.
     */
    public static Optional<ModelProto> build(ModelProto model, List<Map<String, TensorProto>> draws) {
        GraphProto g = model.getGraph();
        Map<String, TensorProto> inits = new HashMap<>();
        g.getInitializerList().forEach(t -> inits.put(t.getName(), t));
        Set<String> graphInputs = new HashSet<>();
        g.getInputList().forEach(v -> graphInputs.add(v.getName()));
        Set<String> graphOutputs = new HashSet<>();
        g.getOutputList().forEach(v -> graphOutputs.add(v.getName()));
        Map<String, Integer> producer = new HashMap<>();
        Map<String, List<Integer>> consumers = new HashMap<>();
        for (int i = 0; i < g.getNodeCount(); i++) {
            NodeProto n = g.getNode(i);
            for (AttributeProto a : n.getAttributeList()) {
                if (a.getType() == AttributeProto.AttributeType.GRAPH || a.getType() == AttributeProto.AttributeType.GRAPHS) {
                    return Optional.empty();
                }
            }
            for (String o : n.getOutputList()) {
                producer.put(o, i);
            }
            for (String in : n.getInputList()) {
                if (!in.isEmpty()) {
                    consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(i);
                }
            }
        }
        Map<String, Integer> layerOf = new HashMap<>();
        for (int l = 0; l < draws.size(); l++) {
            for (Map.Entry<String, TensorProto> e : draws.get(l).entrySet()) {
                TensorProto o = inits.get(e.getKey());
                TensorProto r = e.getValue();
                if (o == null || graphInputs.contains(e.getKey()) || graphOutputs.contains(e.getKey())
                        || layerOf.put(e.getKey(), l) != null || o.getDataType() != r.getDataType()
                        || !o.getDimsList().equals(r.getDimsList())) {
                    return Optional.empty();
                }
            }
        }
        Constants c = new Constants(g, inits, graphInputs, producer);
        // per node that reads a layer's weights (through constant-only nodes): that layer
        Map<Integer, Integer> switched = new HashMap<>();
        for (Map.Entry<String, Integer> w : layerOf.entrySet()) {
            Deque<String> todo = new ArrayDeque<>(List.of(w.getKey()));
            Set<Integer> seen = new HashSet<>();
            while (!todo.isEmpty()) {
                String v = todo.pop();
                if (graphOutputs.contains(v)) {
                    return Optional.empty(); // a weight (or a value of weights alone) leaves the graph
                }
                for (int i : consumers.getOrDefault(v, List.of())) {
                    if (!seen.add(i)) {
                        continue;
                    }
                    NodeProto n = g.getNode(i);
                    if (c.constantNode(i)) {
                        todo.addAll(n.getOutputList());
                    } else {
                        Integer before = switched.put(i, w.getValue());
                        if (before != null && !before.equals(w.getValue())) {
                            return Optional.empty(); // one node reads two layers' weights
                        }
                    }
                }
            }
        }
        Map<String, ValueInfoProto> types = new HashMap<>();
        g.getValueInfoList().forEach(v -> types.put(v.getName(), v));
        g.getOutputList().forEach(v -> types.put(v.getName(), v));
        ModelProto.Builder mb = model.toBuilder();
        GraphProto.Builder gb = mb.getGraphBuilder();
        gb.clearNode();
        for (int i = 0; i < g.getNodeCount(); i++) {
            Integer layer = switched.get(i);
            if (layer == null) {
                gb.addNode(g.getNode(i));
                continue;
            }
            List<Integer> chain = c.constantAncestors(i);
            List<ValueInfoProto> outs = new ArrayList<>();
            for (String o : g.getNode(i).getOutputList()) {
                if (o.isEmpty()) {
                    return Optional.empty();
                }
                Optional<Integer> type = outputType(g.getNode(i), o, types, inits, layerOf, chain, g);
                if (type.isEmpty()) {
                    return Optional.empty();
                }
                outs.add(ValueInfoProto.newBuilder().setName(o).setType(TypeProto.newBuilder()
                        .setTensorType(TypeProto.Tensor.newBuilder().setElemType(type.get()))).build());
            }
            NodeProto n = g.getNode(i);
            String tag = "explain4j/switch_" + i;
            NodeProto.Builder ifNode = NodeProto.newBuilder().setOpType("If").setName(tag)
                    .addInput(switchName(layer)).addAllOutput(n.getOutputList());
            ifNode.addAttribute(AttributeProto.newBuilder().setName("then_branch").setType(AttributeProto.AttributeType.GRAPH)
                    .setG(branch(g, n, chain, c, inits, draws.get(layer), tag + "/randomised", outs)));
            ifNode.addAttribute(AttributeProto.newBuilder().setName("else_branch").setType(AttributeProto.AttributeType.GRAPH)
                    .setG(branch(g, n, chain, c, inits, Map.of(), tag + "/original", outs)));
            gb.addNode(ifNode);
        }
        // constant-only nodes and initializers that nothing reads any more (the chains now in the branches)
        Set<String> read = new HashSet<>();
        while (true) {
            read.clear();
            read.addAll(graphOutputs);
            for (NodeProto n : gb.getNodeList()) {
                read.addAll(n.getInputList());
                for (AttributeProto a : n.getAttributeList()) {
                    if (a.hasG()) {
                        a.getG().getNodeList().forEach(m -> read.addAll(m.getInputList())); // outer-scope reads
                    }
                }
            }
            List<NodeProto> kept = new ArrayList<>();
            for (NodeProto n : gb.getNodeList()) {
                if (n.getOpType().equals("If") && n.getName().startsWith("explain4j/switch_")
                        || n.getOutputList().stream().anyMatch(read::contains)) {
                    kept.add(n);
                }
            }
            if (kept.size() == gb.getNodeCount()) {
                break;
            }
            gb.clearNode().addAllNode(kept);
        }
        List<TensorProto> keptInits = new ArrayList<>();
        for (TensorProto t : g.getInitializerList()) {
            if (read.contains(t.getName()) || graphInputs.contains(t.getName())) {
                keptInits.add(t);
            }
        }
        gb.clearInitializer().addAllInitializer(keptInits);
        for (int l = 0; l < draws.size(); l++) {
            gb.addInput(ValueInfoProto.newBuilder().setName(switchName(l)).setType(TypeProto.newBuilder()
                    .setTensorType(TypeProto.Tensor.newBuilder().setElemType(DataType.BOOL_VALUE)
                            .setShape(TensorShapeProto.getDefaultInstance()))));
        }
        return Optional.of(mb.build());
    }

    /** The element type of a switched node's output: from the graph's types, or that of the weights it reads. */
    private static Optional<Integer> outputType(NodeProto n, String output, Map<String, ValueInfoProto> types,
                                                Map<String, TensorProto> inits, Map<String, Integer> layerOf,
                                                List<Integer> chain, GraphProto g) {
        ValueInfoProto v = types.get(output);
        if (v != null && v.getType().hasTensorType() && v.getType().getTensorType().getElemType() != 0) {
            return Optional.of(v.getType().getTensorType().getElemType());
        }
        if (!Set.of("Conv", "ConvTranspose", "Gemm", "MatMul", "Add", "Sub", "Mul").contains(n.getOpType())
                || !n.getDomain().isEmpty() || n.getOutputCount() != 1) {
            return Optional.empty();
        }
        // these ops give their (floating) inputs' type: the type of the weights read, directly or through the chain
        Set<Integer> typesRead = new HashSet<>();
        for (String w : layerOf.keySet()) {
            typesRead.add(inits.get(w).getDataType());
        }
        Set<Integer> layerTypes = new LinkedHashSet<>();
        for (String in : n.getInputList()) {
            TensorProto t = inits.get(in);
            if (t != null && layerOf.containsKey(in)) {
                layerTypes.add(t.getDataType());
            }
        }
        if (layerTypes.isEmpty() && typesRead.size() == 1) {
            layerTypes.addAll(typesRead); // read through a chain: the one floating type of all weights
        }
        return layerTypes.size() == 1 ? Optional.of(layerTypes.iterator().next()) : Optional.empty();
    }

    /** One branch: the chain and the node, with their initializers (the draws where given) under the branch's names. */
    private static GraphProto branch(GraphProto g, NodeProto n, List<Integer> chain, Constants c,
                                     Map<String, TensorProto> inits, Map<String, TensorProto> values, String tag,
                                     List<ValueInfoProto> outs) {
        Set<String> local = new HashSet<>();
        Set<String> usedInits = new LinkedHashSet<>();
        List<NodeProto> nodes = new ArrayList<>();
        for (int i : chain) {
            nodes.add(g.getNode(i));
        }
        nodes.add(n);
        for (NodeProto m : nodes) {
            for (String in : m.getInputList()) {
                if (!in.isEmpty() && c.constant(in)) {
                    local.add(in);
                    if (inits.containsKey(in) && !c.producedByNode(in)) {
                        usedInits.add(in);
                    }
                }
            }
            local.addAll(m.getOutputList());
        }
        GraphProto.Builder b = GraphProto.newBuilder().setName(tag);
        for (NodeProto m : nodes) {
            NodeProto.Builder nb = m.toBuilder().setName(tag + "/" + m.getName()).clearInput().clearOutput();
            for (String in : m.getInputList()) {
                nb.addInput(in.isEmpty() || !local.contains(in) ? in : tag + "/" + in);
            }
            for (String o : m.getOutputList()) {
                nb.addOutput(o.isEmpty() ? o : tag + "/" + o);
            }
            b.addNode(nb);
        }
        for (String name : usedInits) {
            TensorProto t = values.getOrDefault(name, inits.get(name));
            b.addInitializer(t.toBuilder().setName(tag + "/" + name));
        }
        for (ValueInfoProto o : outs) {
            b.addOutput(o.toBuilder().setName(tag + "/" + o.getName()));
        }
        return b.build();
    }

    /** The boolean input that tells a hoisted graph ({@link #hoist}) to take its part below {@code cut} from the cache inputs. */
    static String cachedName(int cut) {
        return "explain4j_cached_" + cut;
    }

    /** The input that carries the cached value of boundary value {@code name} of the part below {@code cut}. */
    static String cacheInput(int cut, String name) {
        return "explain4j_cache_" + cut + "/" + name;
    }

    /**
     * One hoisted part of a switched graph: the nodes that depend on the explained input (and the
     * other fed inputs and the switches of layers below {@code cut}) but neither on the seed nor on
     * a switch of layer {@code cut} or above, computed by one {@code If} on {@link #cachedName}. With
     * that input false they are computed (the else-branch), and their values read outside the part,
     * the {@code boundary}, are also graph outputs; with it true those values are taken from the
     * inputs {@link #cacheInput} instead (the then-branch), so that a pass whose switches below
     * {@code cut} are off and whose inputs equal an earlier such pass's can skip the part.
     *
     * @param cut      the lowest layer whose switch the part does not read
     * @param boundary the values of the part read outside it, by name, with their ONNX element types
     */
    public record Level(int cut, Map<String, Integer> boundary) {
        public Level {
            boundary = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(boundary));
        }
    }

    /**
     * A switched graph with nested hoisted parts ({@link Level}), lowest cut first: the part of a
     * higher cut contains the {@code If} of the lower ones.
     */
    public record Hoisted(ModelProto model, List<Level> levels) {
        public Hoisted {
            levels = List.copyOf(levels);
        }
    }

    /**
     * {@code switched} (from {@link #build}, with {@code layers} switches) with its parts below each
     * of {@code cuts} hoisted (nested, see {@link Level}); empty where no cut has such a part. A cut
     * without a part, or with a boundary value whose element type cannot be told (the cache inputs
     * need it), is left out. {@code seedName} is the backward graph's seed input.
     */
    public static Optional<Hoisted> hoist(ModelProto switched, int layers, List<Integer> cuts, String seedName) {
        ModelProto m = switched;
        List<Level> levels = new ArrayList<>();
        for (int cut : new java.util.TreeSet<>(cuts)) {
            Optional<Map.Entry<ModelProto, Level>> h = hoist(m, layers, cut, seedName);
            if (h.isPresent()) {
                m = h.get().getKey();
                levels.add(h.get().getValue());
            }
        }
        return levels.isEmpty() ? Optional.empty() : Optional.of(new Hoisted(m, levels));
    }

    private static Optional<Map.Entry<ModelProto, Level>> hoist(ModelProto switched, int layers, int cut, String seedName) {
        if (cut <= 0 || cut >= layers) {
            return Optional.empty();
        }
        GraphProto g = switched.getGraph();
        Set<String> inits = new HashSet<>();
        g.getInitializerList().forEach(t -> inits.add(t.getName()));
        Set<String> excluded = new HashSet<>(List.of(seedName));
        for (int l = cut; l < layers; l++) {
            excluded.add(switchName(l));
        }
        Set<String> variable = new HashSet<>(); // values that depend on a fed graph input
        for (ValueInfoProto v : g.getInputList()) {
            if (!inits.contains(v.getName())) {
                variable.add(v.getName());
            }
        }
        Set<String> tainted = new HashSet<>(excluded); // values that depend on the seed or a high switch
        List<Integer> part = new ArrayList<>();
        Set<String> partValues = new HashSet<>();
        for (int i = 0; i < g.getNodeCount(); i++) {
            NodeProto n = g.getNode(i);
            boolean var = false;
            boolean taint = false;
            for (String in : reads(n)) {
                var |= variable.contains(in);
                taint |= tainted.contains(in);
            }
            if (taint) {
                tainted.addAll(n.getOutputList());
            }
            if (var) {
                variable.addAll(n.getOutputList());
            }
            if (var && !taint) {
                part.add(i);
                partValues.addAll(n.getOutputList());
            }
        }
        Set<String> boundarySet = new LinkedHashSet<>();
        Set<Integer> inPart = new HashSet<>(part);
        for (int i = 0; i < g.getNodeCount(); i++) {
            if (!inPart.contains(i)) {
                for (String in : reads(g.getNode(i))) {
                    if (partValues.contains(in)) {
                        boundarySet.add(in);
                    }
                }
            }
        }
        Set<String> graphOutputs = new HashSet<>();
        for (ValueInfoProto v : g.getOutputList()) {
            graphOutputs.add(v.getName());
            if (partValues.contains(v.getName())) {
                boundarySet.add(v.getName());
            }
        }
        if (part.isEmpty() || boundarySet.isEmpty()) {
            return Optional.empty();
        }
        Map<String, Integer> types = elementTypes(g);
        Map<String, Integer> boundary = new java.util.LinkedHashMap<>();
        for (String b : boundarySet) {
            Integer t = types.get(b);
            if (t == null || t == 0 || !CACHEABLE.contains(t)) {
                return Optional.empty();
            }
            boundary.put(b, t);
        }
        // the else-branch: the part's nodes, their values renamed (the outer graph keeps the names, as the If's outputs)
        Map<String, String> renamed = new HashMap<>();
        for (String v : partValues) {
            if (!v.isEmpty()) {
                renamed.put(v, "explain4j/hoist_" + cut + "/" + v);
            }
        }
        GraphProto.Builder compute = GraphProto.newBuilder().setName("explain4j/hoist_" + cut + "/compute");
        for (int i : part) {
            compute.addNode(rename(g.getNode(i), renamed, true));
        }
        GraphProto.Builder cached = GraphProto.newBuilder().setName("explain4j/hoist_" + cut + "/cached");
        for (Map.Entry<String, Integer> b : boundary.entrySet()) {
            compute.addOutput(typed(renamed.get(b.getKey()), b.getValue()));
            String out = "explain4j/hoist_" + cut + "/cached/" + b.getKey();
            cached.addNode(NodeProto.newBuilder().setOpType("Identity").setName(out)
                    .addInput(cacheInput(cut, b.getKey())).addOutput(out));
            cached.addOutput(typed(out, b.getValue()));
        }
        NodeProto.Builder ifNode = NodeProto.newBuilder().setOpType("If").setName("explain4j/hoist_" + cut)
                .addInput(cachedName(cut)).addAllOutput(boundary.keySet());
        ifNode.addAttribute(AttributeProto.newBuilder().setName("then_branch").setType(AttributeProto.AttributeType.GRAPH)
                .setG(cached));
        ifNode.addAttribute(AttributeProto.newBuilder().setName("else_branch").setType(AttributeProto.AttributeType.GRAPH)
                .setG(compute));
        ModelProto.Builder mb = switched.toBuilder();
        GraphProto.Builder gb = mb.getGraphBuilder();
        gb.clearNode();
        // nodes that read no fed input (constants) first, then the If, then the rest, each in graph order
        for (int i = 0; i < g.getNodeCount(); i++) {
            if (!inPart.contains(i) && g.getNode(i).getOutputList().stream().noneMatch(variable::contains)) {
                gb.addNode(g.getNode(i));
            }
        }
        gb.addNode(ifNode);
        for (int i = 0; i < g.getNodeCount(); i++) {
            if (!inPart.contains(i) && g.getNode(i).getOutputList().stream().anyMatch(variable::contains)) {
                gb.addNode(g.getNode(i));
            }
        }
        // value types of the part's values now inside the branch: dropped from the outer graph
        List<ValueInfoProto> infos = new ArrayList<>();
        for (ValueInfoProto v : g.getValueInfoList()) {
            if (!partValues.contains(v.getName()) || boundary.containsKey(v.getName())) {
                infos.add(v);
            }
        }
        gb.clearValueInfo().addAllValueInfo(infos);
        gb.addInput(ValueInfoProto.newBuilder().setName(cachedName(cut)).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(DataType.BOOL_VALUE)
                        .setShape(TensorShapeProto.getDefaultInstance()))));
        for (Map.Entry<String, Integer> b : boundary.entrySet()) {
            gb.addInput(typed(cacheInput(cut, b.getKey()), b.getValue()));
            if (!graphOutputs.contains(b.getKey())) {
                gb.addOutput(typed(b.getKey(), b.getValue()));
            }
        }
        return Optional.of(Map.entry(mb.build(), new Level(cut, boundary)));
    }

    /** Element types the cache can hold (those {@code OnnxTensor} makes from a buffer). */
    private static final Set<Integer> CACHEABLE = Set.of(DataType.FLOAT_VALUE, DataType.DOUBLE_VALUE,
            DataType.INT64_VALUE, DataType.INT32_VALUE, DataType.BOOL_VALUE, DataType.UINT8_VALUE, DataType.INT8_VALUE);

    private static ValueInfoProto typed(String name, int elemType) {
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(elemType))).build();
    }

    /** The values a node reads: its inputs, and the outer-scope values its subgraphs read. */
    static Set<String> reads(NodeProto n) {
        Set<String> out = new LinkedHashSet<>();
        for (String in : n.getInputList()) {
            if (!in.isEmpty()) {
                out.add(in);
            }
        }
        for (AttributeProto a : n.getAttributeList()) {
            if (a.hasG()) {
                out.addAll(outerReads(a.getG()));
            }
            for (GraphProto sg : a.getGraphsList()) {
                out.addAll(outerReads(sg));
            }
        }
        return out;
    }

    private static Set<String> outerReads(GraphProto sg) {
        Set<String> local = new HashSet<>();
        sg.getInitializerList().forEach(t -> local.add(t.getName()));
        sg.getInputList().forEach(v -> local.add(v.getName()));
        Set<String> out = new LinkedHashSet<>();
        for (NodeProto m : sg.getNodeList()) {
            for (String in : reads(m)) {
                if (!local.contains(in)) {
                    out.add(in);
                }
            }
            local.addAll(m.getOutputList());
        }
        for (ValueInfoProto v : sg.getOutputList()) {
            if (!local.contains(v.getName())) {
                out.add(v.getName());
            }
        }
        return out;
    }

    /** {@code n} with the values in {@code renamed} renamed where it reads them (also inside its subgraphs) and, if asked, where it makes them. */
    private static NodeProto rename(NodeProto n, Map<String, String> renamed, boolean outputs) {
        NodeProto.Builder b = n.toBuilder().clearInput();
        for (String in : n.getInputList()) {
            b.addInput(renamed.getOrDefault(in, in));
        }
        if (outputs) {
            b.clearOutput();
            for (String o : n.getOutputList()) {
                b.addOutput(renamed.getOrDefault(o, o));
            }
        }
        for (int k = 0; k < b.getAttributeCount(); k++) {
            AttributeProto a = b.getAttribute(k);
            if (a.hasG()) {
                b.setAttribute(k, a.toBuilder().setG(renameOuter(a.getG(), renamed)));
            } else if (a.getGraphsCount() > 0) {
                AttributeProto.Builder ab = a.toBuilder().clearGraphs();
                a.getGraphsList().forEach(sg -> ab.addGraphs(renameOuter(sg, renamed)));
                b.setAttribute(k, ab);
            }
        }
        return b.build();
    }

    /** {@code sg} with its reads of outer-scope values in {@code renamed} renamed (its own values kept). */
    private static GraphProto renameOuter(GraphProto sg, Map<String, String> renamed) {
        Map<String, String> outer = new HashMap<>(renamed);
        sg.getInitializerList().forEach(t -> outer.remove(t.getName()));
        sg.getInputList().forEach(v -> outer.remove(v.getName()));
        for (NodeProto m : sg.getNodeList()) {
            m.getOutputList().forEach(outer::remove);
        }
        GraphProto.Builder b = sg.toBuilder().clearNode();
        for (NodeProto m : sg.getNodeList()) {
            b.addNode(rename(m, outer, false));
        }
        for (int k = 0; k < b.getOutputCount(); k++) {
            String o = b.getOutput(k).getName();
            if (outer.containsKey(o)) {
                b.setOutput(k, b.getOutput(k).toBuilder().setName(outer.get(o)));
            }
        }
        return b.build();
    }

    /**
     * The element types of the graph's values: declared ones (inputs, initializers, value infos,
     * outputs, the switch branches' outputs), and, node by node, those of the ops whose output type
     * follows from their inputs' or attributes' (unknown ops give none).
     */
    static Map<String, Integer> elementTypes(GraphProto g) {
        Map<String, Integer> t = new HashMap<>();
        for (TensorProto i : g.getInitializerList()) {
            t.put(i.getName(), i.getDataType());
        }
        List<ValueInfoProto> declared = new ArrayList<>(g.getInputList());
        declared.addAll(g.getValueInfoList());
        declared.addAll(g.getOutputList());
        for (ValueInfoProto v : declared) {
            if (v.getType().hasTensorType() && v.getType().getTensorType().getElemType() != 0) {
                t.put(v.getName(), v.getType().getTensorType().getElemType());
            }
        }
        for (NodeProto n : g.getNodeList()) {
            if (!n.getDomain().isEmpty() && !n.getDomain().equals("ai.onnx")) {
                continue;
            }
            for (int k = 0; k < n.getOutputCount(); k++) {
                String o = n.getOutput(k);
                if (o.isEmpty() || t.containsKey(o)) {
                    continue;
                }
                Integer type = outputElementType(n, k, t);
                if (type != null && type != 0) {
                    t.put(o, type);
                }
            }
        }
        return t;
    }

    private static final Set<String> BOOLEAN_OPS = Set.of("Greater", "Less", "Equal", "GreaterOrEqual", "LessOrEqual",
            "Not", "And", "Or", "Xor", "IsNaN", "IsInf");
    private static final Set<String> INT64_OPS = Set.of("Shape", "Size", "ArgMax", "ArgMin", "NonZero");
    /** Ops whose outputs have the type of their first input. */
    private static final Set<String> SAME_AS_FIRST = Set.of("Relu", "Add", "Sub", "Mul", "Div", "Neg", "Abs", "Sqrt",
            "Exp", "Log", "Sigmoid", "Tanh", "LeakyRelu", "Clip", "MaxPool", "AveragePool", "GlobalAveragePool",
            "GlobalMaxPool", "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Identity", "Concat", "Slice",
            "Expand", "Gather", "Pad", "Conv", "ConvTranspose", "Gemm", "MatMul", "ReduceSum", "ReduceMean",
            "ReduceMax", "ReduceMin", "Max", "Min", "Sum", "Softmax", "LogSoftmax", "Tile", "Split", "Erf", "Pow",
            "BatchNormalization", "Sign", "Floor", "Ceil", "Reciprocal", "Softplus", "Elu", "Selu", "HardSigmoid",
            "HardSwish", "Gelu", "Mish", "Resize", "LayerNormalization", "Dropout", "Einsum", "CumSum", "TopK");

    private static Integer outputElementType(NodeProto n, int k, Map<String, Integer> t) {
        String op = n.getOpType();
        if (BOOLEAN_OPS.contains(op)) {
            return DataType.BOOL_VALUE;
        }
        if (INT64_OPS.contains(op) || (op.equals("MaxPool") || op.equals("TopK")) && k == 1) {
            return DataType.INT64_VALUE;
        }
        if (op.equals("Dropout") && k == 1) {
            return DataType.BOOL_VALUE;
        }
        if (op.equals("Cast")) {
            return n.getAttributeList().stream().filter(a -> a.getName().equals("to")).map(a -> (int) a.getI())
                    .findFirst().orElse(null);
        }
        if (op.equals("Where")) {
            return n.getInputCount() > 1 ? t.get(n.getInput(1)) : null;
        }
        if (op.equals("If")) {
            for (AttributeProto a : n.getAttributeList()) {
                if (a.getName().equals("then_branch") && a.getG().getOutputCount() > k) {
                    TypeProto tp = a.getG().getOutput(k).getType();
                    return tp.hasTensorType() ? tp.getTensorType().getElemType() : null;
                }
            }
            return null;
        }
        if (SAME_AS_FIRST.contains(op) && k == 0 && n.getInputCount() > 0) {
            return t.get(n.getInput(0));
        }
        if (op.equals("Split") && n.getInputCount() > 0) {
            return t.get(n.getInput(0));
        }
        return null;
    }

    /** Which values are constants: initializers that are not inputs, and outputs of nodes reading constants only. */
    private static final class Constants {
        private final GraphProto g;
        private final Map<String, TensorProto> inits;
        private final Set<String> graphInputs;
        private final Map<String, Integer> producer;
        private final Map<String, Boolean> memo = new HashMap<>();

        Constants(GraphProto g, Map<String, TensorProto> inits, Set<String> graphInputs, Map<String, Integer> producer) {
            this.g = g;
            this.inits = inits;
            this.graphInputs = graphInputs;
            this.producer = producer;
        }

        boolean producedByNode(String v) {
            return producer.containsKey(v);
        }

        boolean constant(String v) {
            if (v.isEmpty()) {
                return true;
            }
            Boolean known = memo.get(v);
            if (known != null) {
                return known;
            }
            Integer p = producer.get(v);
            boolean r = p != null ? constantNode(p) : inits.containsKey(v) && !graphInputs.contains(v);
            memo.put(v, r);
            return r;
        }

        /** A node whose value is fixed by the graph: Constant, or a deterministic op reading constants only. */
        boolean constantNode(int i) {
            NodeProto n = g.getNode(i);
            if (!n.getDomain().isEmpty() && !n.getDomain().equals("ai.onnx")) {
                return false;
            }
            if (n.getInputCount() == 0) {
                return n.getOpType().equals("Constant");
            }
            if (n.getOpType().startsWith("Random") || n.getOpType().equals("Multinomial")) {
                return false;
            }
            for (String in : n.getInputList()) {
                if (!constant(in)) {
                    return false;
                }
            }
            return true;
        }

        /** The constant-only nodes that {@code i}'s constant inputs come from, in graph order. */
        List<Integer> constantAncestors(int i) {
            Set<Integer> found = new HashSet<>();
            Deque<Integer> todo = new ArrayDeque<>(List.of(i));
            while (!todo.isEmpty()) {
                for (String in : g.getNode(todo.pop()).getInputList()) {
                    Integer p = producer.get(in);
                    if (p != null && constant(in) && found.add(p)) {
                        todo.push(p);
                    }
                }
            }
            return found.stream().sorted().toList();
        }
    }
}
