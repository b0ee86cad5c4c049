package org.explain4j.onnx.grad;

import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.grad.RuleSet;

/**
 * Picks the rule of every node to differentiate: the named rule of the first matching assignment
 * of the rule set, or else the op's gradient rule; fails clearly where none is registered, naming
 * every op type that lacks a rule (not only the first), so one run tells the whole story.
 */
final class RuleSelection {
    /** The rules of the nodes, in the order given, and the parameters of the assignment that chose each. */
    record Choice(List<OpRule> rules, List<Map<String, Double>> params) {
    }

    private RuleSelection() {
    }

    static Choice choose(List<NodeProto> nodes, RuleSet ruleSet, RuleRegistry registry, int opset) {
        RuleMatcher matcher = new RuleMatcher(ruleSet, nodes);
        List<OpRule> rules = new ArrayList<>();
        List<Map<String, Double>> params = new ArrayList<>();
        List<NodeProto> missing = new ArrayList<>();
        for (NodeProto n : nodes) {
            Optional<RuleSet.Assignment> o = matcher.match(n);
            params.add(o.map(RuleSet.Assignment::params).orElse(Map.of()));
            String key = RuleRegistry.key(n);
            if (o.isPresent()) {
                String name = o.get().rule();
                rules.add(registry.named(name, key).orElseThrow(() -> Explain4jException.unsupported("--method",
                        "rule set '" + ruleSet.name() + "' selects rule '" + name + "' for "
                                + Unsupported.describe(n, opset) + " but no rule '" + name + "' is registered for "
                                + key + " (registered rules: " + registry.ruleNames() + ")")));
            } else {
                Optional<OpRule> rule = registry.gradient(key);
                rule.ifPresentOrElse(rules::add, () -> missing.add(n));
            }
        }
        if (!missing.isEmpty()) {
            throw Unsupported.noRule(missing, opset);
        }
        return new Choice(rules, params);
    }
}
