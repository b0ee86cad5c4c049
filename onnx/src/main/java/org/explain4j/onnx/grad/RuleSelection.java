package org.explain4j.onnx.grad;

import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.grad.PropagationRules;
import org.explain4j.core.grad.RuleSet;

/**
 * Picks the rule of every node to differentiate: the named rule of the first matching override
 * of the rule set, or else the op's gradient rule; fails clearly where none is registered.
 */
final class RuleSelection {
    /** The rules of the nodes, in the order given, and the parameters of the override that chose each. */
    record Choice(List<OpRule> rules, List<Map<String, Double>> params) {
    }

    private RuleSelection() {
    }

    static Choice choose(List<NodeProto> nodes, RuleSet ruleSet, RuleRegistry registry, int opset) {
        Map<String, NodeProto> firstOfType = new HashMap<>();
        nodes.forEach(n -> firstOfType.putIfAbsent(n.getOpType(), n));
        Map<NodeProto, Integer> order = new java.util.IdentityHashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            order.put(nodes.get(i), i);
        }
        List<OpRule> rules = new ArrayList<>();
        List<Map<String, Double>> params = new ArrayList<>();
        for (NodeProto n : nodes) {
            Optional<RuleSet.Override> o = override(n, ruleSet, firstOfType, order);
            params.add(o.map(RuleSet.Override::params).orElse(Map.of()));
            String key = RuleRegistry.key(n);
            if (o.isPresent()) {
                String name = o.get().rule();
                rules.add(registry.named(name, key).orElseThrow(() -> Explain4jException.unsupported("--method",
                        "rule set '" + ruleSet.name() + "' selects rule '" + name + "' for "
                                + Unsupported.describe(n, opset) + " but no rule '" + name + "' is registered for "
                                + key + " (registered rules: " + registry.ruleNames() + ")")));
            } else {
                rules.add(registry.gradient(key).orElseThrow(() -> Unsupported.noRule(n, opset)));
            }
        }
        return new Choice(rules, params);
    }

    private static Optional<RuleSet.Override> override(NodeProto n, RuleSet ruleSet, Map<String, NodeProto> firstOfType,
                                                       Map<NodeProto, Integer> order) {
        for (RuleSet.Override o : ruleSet.overrides()) {
            boolean match;
            if (o.selector() instanceof RuleSet.Selector.OpType t) {
                match = t.opType().equals(PropagationRules.ANY_OP) || n.getOpType().equals(t.opType());
            } else if (o.selector() instanceof RuleSet.Selector.FirstLayer f) {
                match = f.opTypes().stream().map(firstOfType::get).filter(m -> m != null)
                        .min(java.util.Comparator.comparing(order::get)).orElse(null) == n;
            } else {
                String tensor = ((RuleSet.Selector.TensorName) o.selector()).tensorName();
                match = n.getOutputList().contains(tensor);
            }
            if (match) {
                return Optional.of(o);
            }
        }
        return Optional.empty();
    }
}
