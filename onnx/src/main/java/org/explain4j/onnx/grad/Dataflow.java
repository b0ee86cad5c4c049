package org.explain4j.onnx.grad;

import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The forward and backward reachability analyses that decide which nodes the backward graph differentiates. */
final class Dataflow {
    /**
     * Ops whose outputs depend on their inputs' shapes (and types) only, never on their values:
     * no gradient flows through them and they need no rule. ({@code ...Like} random ops draw
     * values of the input's shape; EyeLike reads only the shape.)
     */
    static final Set<String> SHAPE_ONLY = Set.of("Shape", "Size", "EyeLike", "RandomNormalLike",
            "RandomUniformLike");

    private Dataflow() {
    }

    static boolean shapeOnly(NodeProto n) {
        return (n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx")) && SHAPE_ONLY.contains(n.getOpType());
    }

    /**
     * Tensors that depend on the values of {@code sources} (the input and fed tensors). Shape and
     * Size outputs depend only on shapes, which the graph is specialised to, so every tensor
     * outside this set has the value the probe run saw.
     */
    static Set<String> valueDependent(List<NodeProto> nodes, Collection<String> sources) {
        Set<String> dependent = new HashSet<>(sources);
        for (NodeProto n : nodes) {
            if (!shapeOnly(n) && Graphs.allInputs(n).stream().anyMatch(dependent::contains)) {
                n.getOutputList().stream().filter(o -> !o.isEmpty()).forEach(dependent::add);
            }
        }
        return dependent;
    }

    /**
     * The tensors whose values {@code targets} are computed from ({@code targets} included), in a
     * graph whose nodes are in topological order; Shape and Size read no values, so the search
     * stops at them.
     */
    static Set<String> valueAncestors(List<NodeProto> nodes, Collection<String> targets) {
        Set<String> ancestors = new HashSet<>(targets);
        for (int i = nodes.size() - 1; i >= 0; i--) {
            NodeProto n = nodes.get(i);
            if (!shapeOnly(n) && n.getOutputList().stream().anyMatch(ancestors::contains)) {
                ancestors.addAll(Graphs.allInputs(n));
            }
        }
        return ancestors;
    }

    /**
     * Floating tensors that depend on a target: the ones a gradient can flow to a target from.
     * Integer and boolean outputs (comparisons, Not/And/Or, ArgMax, NonZero, TopK's indices,
     * integer arithmetic, Cast to an integer type) and the outputs of {@link #SHAPE_ONLY} ops stop
     * the gradient, so the nodes behind them need no rule.
     */
    static Set<String> active(List<NodeProto> nodes, Collection<String> targets, Map<String, TensorMeta> metas) {
        Set<String> active = new HashSet<>(targets);
        for (NodeProto n : nodes) {
            if (!shapeOnly(n) && Graphs.allInputs(n).stream().anyMatch(active::contains)) {
                for (String o : n.getOutputList()) {
                    TensorMeta m = metas.get(o);
                    if (!o.isEmpty() && m != null && m.isFloating()) {
                        active.add(o);
                    }
                }
            }
        }
        return active;
    }

    /**
     * Indices (in forward order) of the nodes on a path from a target to {@code output}: those with
     * an active input and an active output from which a floating path reaches the output.
     */
    static List<Integer> relevant(List<NodeProto> nodes, String output, Set<String> active,
                                  Map<String, TensorMeta> metas) {
        Set<String> reach = new HashSet<>();
        reach.add(output);
        List<Integer> relevant = new ArrayList<>();
        for (int i = nodes.size() - 1; i >= 0; i--) {
            NodeProto n = nodes.get(i);
            if (n.getOutputList().stream().noneMatch(reach::contains)) {
                continue;
            }
            for (String in : Graphs.allInputs(n)) {
                TensorMeta m = metas.get(in);
                if (m != null && m.isFloating()) {
                    reach.add(in);
                }
            }
            // A node is differentiated when a gradient can flow through it: an input depends on a
            // target and an output reaches the explained output. The producer of a target whose own
            // inputs do not depend on any target is not (a captured Loop output needs no Loop rule).
            if (n.getOutputList().stream().anyMatch(o -> reach.contains(o) && active.contains(o))
                    && Graphs.allInputs(n).stream().anyMatch(active::contains)) {
                relevant.add(i);
            }
        }
        Collections.reverse(relevant);
        return relevant;
    }

    /** Keeps the nodes (in order) that some of {@code outputs} need. */
    static List<NodeProto> prune(List<NodeProto> nodes, Set<String> needed) {
        List<NodeProto> kept = new ArrayList<>();
        for (int i = nodes.size() - 1; i >= 0; i--) {
            NodeProto n = nodes.get(i);
            if (n.getOutputList().stream().anyMatch(needed::contains)) {
                kept.add(n);
                needed.addAll(Graphs.allInputs(n));
            }
        }
        Collections.reverse(kept);
        return kept;
    }
}
