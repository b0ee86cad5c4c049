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
