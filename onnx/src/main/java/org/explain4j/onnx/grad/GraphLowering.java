package org.explain4j.onnx.grad;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.OrtEnvironment;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.explain4j.core.Explain4jException;

/**
 * Rewrites a model, before the backward graph is built, into plain ops the gradient rules know,
 * computing exactly what it computed for the given input shape (the caller's proto is not
 * modified): control flow on the gradient path whose course is fixed is inlined or unrolled
 * ({@link ControlFlowInlining}, repeated with a probe run per round for nested subgraphs), a model
 * of opset 7 to 10 is rewritten in opset-11 forms ({@link OpsetUpgrader#toOpset11}), and LSTM, GRU
 * and RNN nodes on the gradient path are unrolled ({@link RecurrentUnrolling}). Only nodes whose
 * inputs depend on the explained input or a requested tensor are rewritten; the others are left
 * to ONNX Runtime. A model with none of these needs no probe and comes back as it is.
 */
final class GraphLowering {
    /** Rounds of control-flow inlining (one per nesting level). */
    private static final int MAX_ROUNDS = 16;

    /**
     * The rewritten model and, keyed by the first output of each node left in place that should
     * have been rewritten, why it could not be (the builder reports it when the node is on the
     * gradient path).
     */
    record Result(ModelProto model, Map<String, String> refused) {
    }

    private GraphLowering() {
    }

    static Result lower(OrtEnvironment env, ModelProto model, BackwardSpec spec) {
        return lower(env, OrtAccess.PLAIN, model, spec);
    }

    /** As above, probing through {@code access}. */
    static Result lower(OrtEnvironment env, OrtAccess access, ModelProto model, BackwardSpec spec) {
        int opset = BackwardGraphBuilder.defaultOpset(model);
        GraphProto graph = model.getGraph();
        Set<String> inits = new HashSet<>();
        graph.getInitializerList().forEach(t -> inits.add(t.getName()));
        ValueInfoProto input = graph.getInputList().stream()
                .filter(v -> v.getName().equals(spec.inputName()) && !inits.contains(v.getName()))
                .findFirst().orElse(null);
        Set<String> sources = new LinkedHashSet<>();
        sources.add(spec.inputName());
        sources.addAll(spec.gradients());
        sources.addAll(spec.captures());
        sources.addAll(spec.feeds());
        Set<String> before = Dataflow.valueDependent(graph.getNodeList(), sources);
        boolean rewrites = graph.getNodeList().stream().anyMatch(n -> (ControlFlowInlining.isControlFlow(n)
                || RecurrentUnrolling.isRecurrent(n)) && dependsOn(n, before));
        if (input == null || (opset >= 11 && !rewrites)) {
            return new Result(model, Map.of());
        }
        int inputType = input.getType().getTensorType().getElemType();
        Map<String, String> refused = new HashMap<>();
        ModelProto current = model;
        ShapeProbe.Result probe;
        Set<String> dependent;
        for (int round = 0; ; round++) {
            probe = access.probe(env, runnable(current), spec.inputName(), inputType, spec.inputShape(),
                    spec.fedInputs());
            List<NodeProto> nodes = current.getGraph().getNodeList();
            dependent = Dataflow.valueDependent(nodes, sources);
            Set<String> dep = dependent;
            List<NodeProto> todo = nodes.stream().filter(n -> ControlFlowInlining.isControlFlow(n)
                    && dependsOn(n, dep) && !refused.containsKey(key(n))).toList();
            if (todo.isEmpty() || round == MAX_ROUNDS) {
                break;
            }
            GraphEmitter e = new GraphEmitter(allNames(current), opset);
            ControlFlowInlining inliner = new ControlFlowInlining(e, constants(current, probe, dependent),
                    metas(probe, current));
            current = rewrite(current, e, todo, inliner::inline, refused);
        }
        if (opset < 11) {
            GraphEmitter e = new GraphEmitter(allNames(current), 11);
            Map<String, TensorMeta> known = known(probe, current);
            List<NodeProto> nodes = OpsetUpgrader.toOpset11(current.getGraph().getNodeList(), opset, e, known::get);
            current = withNodes(current, nodes, e.initializers());
            ModelProto.Builder m = current.toBuilder().clearOpsetImport().setIrVersion(Math.max(current.getIrVersion(), 6));
            for (OperatorSetIdProto o : current.getOpsetImportList()) {
                boolean dflt = o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx");
                m.addOpsetImport(dflt ? o.toBuilder().setVersion(11).build() : o);
            }
            current = m.build();
            opset = 11;
        }
        Set<String> dep = dependent;
        List<NodeProto> recurrent = current.getGraph().getNodeList().stream()
                .filter(n -> RecurrentUnrolling.isRecurrent(n) && dependsOn(n, dep)).toList();
        if (!recurrent.isEmpty()) {
            GraphEmitter e = new GraphEmitter(allNames(current), opset);
            RecurrentUnrolling unroller = new RecurrentUnrolling(e, metas(probe, current),
                    constants(current, probe, dependent));
            current = rewrite(current, e, recurrent, unroller::unroll, refused);
        }
        return new Result(current, refused);
    }

    /** The model with recurrent nodes ONNX Runtime cannot run put in a form it runs, for the probe. */
    private static ModelProto runnable(ModelProto model) {
        GraphProto g = model.getGraph();
        Map<String, Integer> types = new HashMap<>();
        g.getInitializerList().forEach(t -> types.put(t.getName(), t.getDataType()));
        g.getInputList().forEach(v -> types.putIfAbsent(v.getName(), v.getType().getTensorType().getElemType()));
        g.getValueInfoList().forEach(v -> types.putIfAbsent(v.getName(), v.getType().getTensorType().getElemType()));
        if (g.getNodeList().stream().noneMatch(RecurrentUnrolling::isRecurrent)) {
            return model;
        }
        GraphEmitter e = new GraphEmitter(allNames(model), 14);
        List<NodeProto> nodes = new ArrayList<>();
        for (NodeProto n : g.getNodeList()) {
            nodes.addAll(RecurrentUnrolling.isRecurrent(n) ? RecurrentUnrolling.runnable(n, e,
                    name -> types.getOrDefault(name, 0)) : List.of(n));
        }
        return withNodes(model, nodes, e.initializers());
    }

    /** The key of a node across rounds: its first output. */
    static String key(NodeProto n) {
        return n.getOutputCount() == 0 ? n.getName() : n.getOutput(0);
    }

    private static boolean dependsOn(NodeProto n, Set<String> dependent) {
        return Graphs.allInputs(n).stream().anyMatch(dependent::contains);
    }

    /** Replaces each node of {@code todo} by what {@code lower} emits, or keeps it and records why not. */
    private static ModelProto rewrite(ModelProto model, GraphEmitter e, List<NodeProto> todo,
                                      Function<NodeProto, String> lower, Map<String, String> refused) {
        Set<NodeProto> chosen = Collections.newSetFromMap(new IdentityHashMap<>());
        chosen.addAll(todo);
        List<NodeProto> out = new ArrayList<>();
        for (NodeProto n : model.getGraph().getNodeList()) {
            if (!chosen.contains(n)) {
                out.add(n);
                continue;
            }
            int mark = e.nodes().size();
            String why = lower.apply(n);
            List<NodeProto> emitted = e.nodes().subList(mark, e.nodes().size());
            if (why != null) {
                emitted.clear();
                refused.put(key(n), why);
                out.add(n);
            } else {
                out.addAll(emitted);
            }
        }
        return withNodes(model, out, e.initializers());
    }

    private static ModelProto withNodes(ModelProto model, List<NodeProto> nodes, List<TensorProto> initializers) {
        GraphProto g = model.getGraph().toBuilder().clearNode().addAllNode(nodes).addAllInitializer(initializers)
                .build();
        return model.toBuilder().setGraph(g).build();
    }

    private static Function<String, long[]> constants(ModelProto model, ShapeProbe.Result probe, Set<String> dependent) {
        Map<String, TensorProto> inits = new HashMap<>();
        model.getGraph().getInitializerList().forEach(t -> inits.put(t.getName(), t));
        return name -> {
            TensorProto t = inits.get(name);
            if (t != null) {
                return TensorProtos.toLongs(t);
            }
            if (dependent.contains(name)) {
                return null;
            }
            long[] v = probe.longs().get(name);
            return v == null ? null : v.clone();
        };
    }

    /** The type and shape of every tensor the probe saw, initializers and fixed-shape inputs included. */
    private static Map<String, TensorMeta> known(ShapeProbe.Result probe, ModelProto model) {
        Map<String, TensorMeta> m = new HashMap<>(probe.metas());
        for (TensorProto t : model.getGraph().getInitializerList()) {
            m.putIfAbsent(t.getName(), new TensorMeta(t.getDataType(),
                    t.getDimsList().stream().mapToLong(Long::longValue).toArray()));
        }
        for (ValueInfoProto v : model.getGraph().getInputList()) {
            if (!m.containsKey(v.getName()) && v.getType().getTensorType().hasShape()) {
                List<TensorShapeProto.Dimension> dims = v.getType().getTensorType().getShape()
                        .getDimList();
                if (dims.stream().allMatch(d -> d.hasDimValue())) {
                    m.put(v.getName(), new TensorMeta(v.getType().getTensorType().getElemType(),
                            dims.stream().mapToLong(d -> d.getDimValue()).toArray()));
                }
            }
        }
        return m;
    }

    private static Function<String, TensorMeta> metas(ShapeProbe.Result probe, ModelProto model) {
        Map<String, TensorMeta> m = known(probe, model);
        return name -> {
            TensorMeta t = m.get(name);
            if (t == null) {
                throw Explain4jException.unsupported("--model", "the probe run learnt no shape for"
                        + " tensor '" + name + "', which a rewritten node reads; " + Unsupported.perturbationHint());
            }
            return t;
        };
    }

    /** Every value name in the model, subgraphs included. */
    private static Set<String> allNames(ModelProto model) {
        Set<String> names = new HashSet<>();
        collect(model.getGraph(), names);
        return names;
    }

    private static void collect(GraphProto g, Set<String> names) {
        g.getInputList().forEach(v -> names.add(v.getName()));
        g.getOutputList().forEach(v -> names.add(v.getName()));
        g.getInitializerList().forEach(t -> names.add(t.getName()));
        for (NodeProto n : g.getNodeList()) {
            names.addAll(n.getOutputList());
            names.add(n.getName());
            for (AttributeProto a : n.getAttributeList()) {
                if (a.hasG()) {
                    collect(a.getG(), names);
                }
                a.getGraphsList().forEach(s -> collect(s, names));
            }
        }
    }
}
