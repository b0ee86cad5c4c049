package org.explain4j.onnx.grad;

import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.explain4j.core.grad.RuleSet;
import org.explain4j.core.grad.Rules;

/**
 * Which assignment of a rule set selects a node: the first one whose selector matches. A
 * {@link RuleSet.Selector.FirstLayer} selector matches the first node, in the order of the node
 * list given (topological), of any of its op types. The one implementation used by the builder
 * (over the nodes it differentiates) and by passes that read a rule set before the build.
 */
public final class RuleMatcher {
    private final RuleSet rules;
    private final Map<String, NodeProto> firstOfType = new HashMap<>();
    private final Map<NodeProto, Integer> order = new IdentityHashMap<>();

    /** A matcher of {@code rules} over {@code nodes}, in topological order. */
    public RuleMatcher(RuleSet rules, List<NodeProto> nodes) {
        this.rules = rules;
        for (int i = 0; i < nodes.size(); i++) {
            NodeProto n = nodes.get(i);
            firstOfType.putIfAbsent(n.getOpType(), n);
            order.put(n, i);
        }
    }

    /** The first assignment that selects {@code n}, if any. */
    public Optional<RuleSet.Assignment> match(NodeProto n) {
        for (RuleSet.Assignment a : rules.assignments()) {
            if (selects(a.selector(), n)) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }

    private boolean selects(RuleSet.Selector s, NodeProto n) {
        if (s instanceof RuleSet.Selector.OpType t) {
            return t.opType().equals(Rules.ANY_OP) || n.getOpType().equals(t.opType());
        }
        if (s instanceof RuleSet.Selector.FirstLayer f) {
            NodeProto first = null;
            for (String type : f.opTypes()) {
                NodeProto m = firstOfType.get(type);
                if (m != null && (first == null || order.get(m) < order.get(first))) {
                    first = m;
                }
            }
            return first == n;
        }
        return n.getOutputList().contains(((RuleSet.Selector.TensorName) s).tensorName());
    }
}
