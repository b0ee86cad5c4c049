package org.explain4j.onnx.grad;

import ai.onnx.proto.OnnxMl.NodeProto;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.explain4j.core.grad.Rules;
import org.explain4j.onnx.grad.rules.DefaultRules;

/**
 * The backward rules the builder may use: one gradient rule per op type, and the named rules that
 * a {@link org.explain4j.core.grad.RuleSet}'s assignments select (e.g. {@code guided-relu} for
 * {@code Relu}). Immutable; {@code with...} returns a new registry. Op types outside the default
 * ONNX domain are keyed {@code domain.OpType}.
 */
public final class RuleRegistry {
    private final Map<String, OpRule> gradients;
    private final Map<String, Map<String, OpRule>> named;
    private final List<FusedPairRule> pairs;

    private RuleRegistry(Map<String, OpRule> gradients, Map<String, Map<String, OpRule>> named,
                         List<FusedPairRule> pairs) {
        this.gradients = Map.copyOf(gradients);
        this.pairs = List.copyOf(pairs);
        Map<String, Map<String, OpRule>> n = new HashMap<>();
        named.forEach((k, v) -> n.put(k, Map.copyOf(v)));
        this.named = Map.copyOf(n);
    }

    /** No rules at all. */
    public static RuleRegistry empty() {
        return new RuleRegistry(Map.of(), Map.of(), List.of());
    }

    /** The plain-gradient rules of every supported ONNX op, and the fused pairs of {@link DefaultRules#fusedPairs()}. */
    public static RuleRegistry defaults() {
        return new RuleRegistry(DefaultRules.all(), Map.of(), DefaultRules.fusedPairs());
    }

    /** A registry with {@code rule} as the gradient rule of {@code opType}. */
    public RuleRegistry withGradient(String opType, OpRule rule) {
        Map<String, OpRule> g = new HashMap<>(gradients);
        g.put(opType, rule);
        return new RuleRegistry(g, named, pairs);
    }

    /** A registry with {@code rule} registered under {@code ruleName} for {@code opType} (or {@link Rules#ANY_OP}). */
    public RuleRegistry withRule(String ruleName, String opType, OpRule rule) {
        Map<String, Map<String, OpRule>> n = new HashMap<>(named);
        Map<String, OpRule> byOp = new HashMap<>(n.getOrDefault(ruleName, Map.of()));
        byOp.put(opType, rule);
        n.put(ruleName, byOp);
        return new RuleRegistry(gradients, n, pairs);
    }

    /** A registry with {@code pair} added to the fused pair rules (tried in order of registration). */
    public RuleRegistry withFusedPair(FusedPairRule pair) {
        List<FusedPairRule> p = new java.util.ArrayList<>(pairs);
        p.add(pair);
        return new RuleRegistry(gradients, named, p);
    }

    /** The fused pair rules, in order. */
    public List<FusedPairRule> fusedPairs() {
        return pairs;
    }

    /** The gradient rule of an op type key. */
    public Optional<OpRule> gradient(String opKey) {
        return Optional.ofNullable(gradients.get(opKey));
    }

    /** The rule registered under {@code ruleName} for an op type key (or for any op). */
    public Optional<OpRule> named(String ruleName, String opKey) {
        Map<String, OpRule> byOp = named.getOrDefault(ruleName, Map.of());
        return Optional.ofNullable(byOp.getOrDefault(opKey, byOp.get(Rules.ANY_OP)));
    }

    /** The op type keys that have a gradient rule. */
    public Set<String> gradientOps() {
        return new TreeSet<>(gradients.keySet());
    }

    /** The names of the registered named rules. */
    public Set<String> ruleNames() {
        return new TreeSet<>(named.keySet());
    }

    /**
     * A text naming every rule and the class that implements it, the same in every process; empty
     * when a rule comes from outside explain4j (its behaviour is not pinned by explain4j's version,
     * so derived graphs are not cached across processes).
     */
    public Optional<String> fingerprint() {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, OpRule> e : new java.util.TreeMap<>(gradients).entrySet()) {
            if (!appendRule(sb.append(e.getKey()).append('='), e.getValue())) {
                return Optional.empty();
            }
        }
        for (Map.Entry<String, Map<String, OpRule>> n : new java.util.TreeMap<>(named).entrySet()) {
            for (Map.Entry<String, OpRule> e : new java.util.TreeMap<>(n.getValue()).entrySet()) {
                if (!appendRule(sb.append(n.getKey()).append('/').append(e.getKey()).append('='), e.getValue())) {
                    return Optional.empty();
                }
            }
        }
        for (FusedPairRule p : pairs) {
            if (!appendRule(sb.append("pair="), p)) {
                return Optional.empty();
            }
        }
        return Optional.of(sb.toString());
    }

    private static boolean appendRule(StringBuilder sb, Object rule) {
        String name = rule.getClass().getName();
        if (!name.startsWith("org.explain4j.")) {
            return false;
        }
        // a lambda's hidden class name ends with a counter and an address that change between runs; which
        // lambda an op gets is pinned by the op key and the build (part of every cache key)
        int lambda = name.indexOf("$$Lambda");
        sb.append(lambda < 0 ? name : name.substring(0, lambda + 8)).append(';');
        return true;
    }

    /** The key under which rules for this node's op are registered. */
    public static String key(NodeProto node) {
        String d = node.getDomain();
        return d.isEmpty() || d.equals("ai.onnx") ? node.getOpType() : d + "." + node.getOpType();
    }
}
