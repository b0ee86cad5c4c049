package org.explain4j.core.grad;

import java.util.List;
import java.util.Map;

/**
 * How the backward pass treats each operation: backend-neutral data that a differentiable
 * model's backend interprets. The plain gradient is the rule set with no assignments; propagation
 * methods (guided backprop, DeepLIFT, LRP) assign their rules to the operations they select.
 *
 * @param name        a short name for caching and reports, e.g. {@code gradient} or {@code lrp-epsilon}
 * @param assignments per-operation rules, the first matching assignment wins
 * @param canonizers  the rewrites applied to the model before the rules (see {@link Canonizer})
 */
public record RuleSet(String name, List<Assignment> assignments, List<Canonizer> canonizers) {
    public RuleSet {
        if (name == null || assignments == null || canonizers == null) {
            throw new IllegalArgumentException("name, assignments and canonizers are required");
        }
        assignments = List.copyOf(assignments);
        canonizers = List.copyOf(canonizers);
    }

    /**
     * A rule set with the default canonizers: BatchNorm merging for every rule set with
     * assignments (what LRP and DeepLIFT want), none for the plain gradient.
     */
    public RuleSet(String name, List<Assignment> assignments) {
        this(name, assignments, assignments.isEmpty() ? List.of() : List.of(Canonizer.MERGE_BATCH_NORM));
    }

    /** Which operations an assignment applies to. */
    public sealed interface Selector {
        /** Every node of an operation type, e.g. {@code Relu} or {@code Conv}, or {@link Rules#ANY_OP}. */
        record OpType(String opType) implements Selector {
            public OpType {
                if (opType == null || opType.isEmpty()) {
                    throw new IllegalArgumentException("opType is required");
                }
            }
        }

        /**
         * The first node (in topological order, among the nodes that are differentiated) of any of
         * the given operation types: the first layer reading the input.
         */
        record FirstLayer(List<String> opTypes) implements Selector {
            public FirstLayer {
                opTypes = List.copyOf(opTypes);
            }
        }

        /** The node producing the named tensor. */
        record TensorName(String tensorName) implements Selector {
            public TensorName {
                if (tensorName == null || tensorName.isEmpty()) {
                    throw new IllegalArgumentException("tensorName is required");
                }
            }
        }
    }

    /**
     * One assignment: the operations it selects, the rule's name (see {@link Rules}, e.g.
     * {@code guided-relu}, {@code epsilon}) and its numeric parameters.
     */
    public record Assignment(Selector selector, String rule, Map<String, Double> params) {
        public Assignment {
            if (selector == null || rule == null || params == null) {
                throw new IllegalArgumentException("selector, rule and params are required");
            }
            params = Map.copyOf(params);
        }

        /** {@code rule} without parameters on every node of {@code opType}. */
        public static Assignment op(String opType, String rule) {
            return new Assignment(new Selector.OpType(opType), rule, Map.of());
        }

        /** {@code rule} with {@code params} on every node of {@code opType}. */
        public static Assignment op(String opType, String rule, Map<String, Double> params) {
            return new Assignment(new Selector.OpType(opType), rule, params);
        }
    }

    /** The plain gradient. */
    public static RuleSet gradient() {
        return new RuleSet("gradient", List.of(), List.of());
    }

    /** True for the plain gradient. */
    public boolean isGradient() {
        return assignments.isEmpty();
    }
}
