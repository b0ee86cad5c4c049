package org.explain4j.core.grad;

import java.util.List;
import java.util.Map;

/**
 * How the backward pass treats each operation: backend-neutral data that a differentiable
 * model's backend interprets. The plain gradient is the rule set with no overrides; propagation
 * methods (guided backprop, DeepLIFT, LRP) override the rule of the operations they match.
 *
 * @param name      a short name for caching and reports, e.g. {@code gradient} or {@code lrp-epsilon}
 * @param overrides per-operation rules, the first matching override wins
 */
public record RuleSet(String name, List<Override> overrides) {
    public RuleSet {
        if (name == null || overrides == null) {
            throw new IllegalArgumentException("name and overrides are required");
        }
        overrides = List.copyOf(overrides);
    }

    /** Which operations an override applies to. */
    public sealed interface Selector {
        /** Every node of an operation type, e.g. {@code Relu} or {@code Conv}. */
        record OpType(String opType) implements Selector {
        }

        /** The first node (in topological order) of any of the given operation types. */
        record FirstLayer(List<String> opTypes) implements Selector {
            public FirstLayer {
                opTypes = List.copyOf(opTypes);
            }
        }

        /** The node producing the named tensor. */
        record TensorName(String tensorName) implements Selector {
        }
    }

    /**
     * One override: the rule's name (e.g. {@code guided-relu}, {@code epsilon}) and its numeric
     * parameters.
     */
    public record Override(Selector selector, String rule, Map<String, Double> params) {
        public Override {
            if (selector == null || rule == null || params == null) {
                throw new IllegalArgumentException("selector, rule and params are required");
            }
            params = Map.copyOf(params);
        }
    }

    /** The plain gradient. */
    public static RuleSet gradient() {
        return new RuleSet("gradient", List.of());
    }

    /** True for the plain gradient. */
    public boolean isGradient() {
        return overrides.isEmpty();
    }
}
