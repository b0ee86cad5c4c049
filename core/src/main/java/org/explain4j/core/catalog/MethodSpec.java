package org.explain4j.core.catalog;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.grad.DifferentiableModel;
import org.explain4j.core.method.AttributionMethod;
import org.explain4j.core.method.FiniteAttributions;
import org.explain4j.core.model.Model;

/**
 * Everything explain4j knows about one attribution method, in one place: its name, family, what
 * it needs, its typed parameters, whether it is seeded, the shape of its result, what it costs,
 * how to describe it, which inputs it suits, and how to make it. The command line's flags and
 * errors, {@code explain}'s default sets, the README table and {@code methods --format json} are
 * all derived from these entries ({@link MethodCatalog}).
 *
 * @param name        kebab-case method name, e.g. {@code integrated-gradients}
 * @param family      the machinery it uses
 * @param summary     the question it answers, one line
 * @param description a paragraph for reports: what the picture shows and how to read it
 * @param needs       what it needs beyond an input and a target
 * @param params      its parameters, in listing order ({@code batch-size} last)
 * @param seeded      true for stochastic methods (same seed, same result)
 * @param output      the shape of the attribution
 * @param cost        model calls per example, e.g. {@code "steps backward"}
 * @param suggestedFor inputs for which {@code explain} runs it by default
 * @param suggested   parameter values {@code explain} uses for a quick run (e.g. a smaller budget); a
 *                    value ending in {@code %} is that share of the input's value range
 * @param factory     makes the method from a model and bound parameters
 * @param memory      for methods that hold arrays sized by a budget for the whole run: an upper
 *                    bound of those bytes per example, and the budget parameter (null: none)
 */
public record MethodSpec(String name, Family family, String summary, String description, Set<Need> needs,
                         List<ParamSpec> params, boolean seeded, Output output, String cost, Set<InputKind> suggestedFor,
                         Map<String, String> suggested, Factory factory, Memory memory) {
    /** Makes a method from a model (a {@link DifferentiableModel} when {@link Need#BACKWARD_GRAPH} is needed) and parameters. */
    @FunctionalInterface
    public interface Factory {
        AttributionMethod create(Model model, Params params, ProgressListener progress);
    }

    /**
     * What a method holds for one example for its whole budget (not per batch), e.g. KernelSHAP's
     * coalitions and design matrix, so that a service can refuse a budget before it runs out of heap.
     *
     * @param parameter the budget parameter the bytes grow with, e.g. {@code samples}
     * @param estimator the bytes, an upper bound from the data structures
     */
    public record Memory(String parameter, Estimator estimator) {
        /** Bytes for one example of {@code elements} input elements and {@code features} features (mask groups). */
        @FunctionalInterface
        public interface Estimator {
            long bytes(Params params, long elements, long features);
        }

        /** {@code a * b}, saturating at {@link Long#MAX_VALUE} instead of overflowing. */
        public static long times(long a, long b) {
            long r = a * b;
            return (a != 0 && (r / a != b || r < 0)) ? Long.MAX_VALUE : r;
        }

        /** {@code a + b}, saturating at {@link Long#MAX_VALUE}. */
        public static long plus(long a, long b) {
            long r = a + b;
            return r < 0 ? Long.MAX_VALUE : r;
        }
    }

    /** The method's budget memory, when it holds budget-sized arrays for the whole run. */
    public Optional<Memory> budgetMemory() {
        return Optional.ofNullable(memory);
    }

    public MethodSpec {
        if (name == null || family == null || summary == null || description == null || needs == null || params == null
                || output == null || cost == null || suggestedFor == null || suggested == null || factory == null) {
            throw new IllegalArgumentException("every field of method " + name + " is required");
        }
        needs = Set.copyOf(needs);
        params = List.copyOf(params);
        suggestedFor = Set.copyOf(suggestedFor);
        suggested = Map.copyOf(suggested);
        Set<String> names = new LinkedHashSet<>();
        for (ParamSpec p : params) {
            if (!names.add(p.name())) {
                throw new IllegalArgumentException(name + " declares parameter " + p.name() + " twice");
            }
        }
        for (ParamSpec p : params) {
            for (String other : p.appliesWhen().keySet()) {
                if (!names.contains(other)) {
                    throw new IllegalArgumentException(name + ": " + p.name() + " depends on unknown parameter " + other);
                }
            }
        }
        for (String s : suggested.keySet()) {
            if (!names.contains(s)) {
                throw new IllegalArgumentException(name + " suggests a value for unknown parameter " + s);
            }
        }
        if (seeded != names.contains("seed")) {
            throw new IllegalArgumentException(name + ": a seeded method has a seed parameter, and only a seeded one");
        }
        if (memory != null && !names.contains(memory.parameter())) {
            throw new IllegalArgumentException(name + ": its memory grows with unknown parameter " + memory.parameter());
        }
    }

    /** A builder; {@code batch-size} (at least 1, default auto: {@link ParamSpec#batchSize(int)}) is added unless given. */
    public static Builder builder(String name, Family family) {
        return new Builder(name, family);
    }

    /** The parameter called {@code name}. */
    public Optional<ParamSpec> param(String name) {
        return params.stream().filter(p -> p.name().equals(name)).findFirst();
    }

    /** The parameter names, in listing order. */
    public List<String> paramNames() {
        return params.stream().map(ParamSpec::name).toList();
    }

    /** True when the method runs on a plain function model (no backward graph needed). */
    public boolean anyModel() {
        return !needs.contains(Need.BACKWARD_GRAPH);
    }

    /**
     * Checks the given values (by parameter name) and fills in the defaults. Refuses a parameter
     * the method does not take, one that does not apply given the other values, a value of the
     * wrong type or out of range, and a missing required parameter, each with a one-line message
     * naming the parameter.
     */
    public Params bind(Map<String, ?> given) {
        return ParamBinding.bind(name, params, given);
    }

    /**
     * Makes the method on {@code model} with bound parameters; refuses a model without gradients
     * for a method that needs them, naming the methods that still work.
     */
    public AttributionMethod create(Model model, Params params, ProgressListener progress) {
        if (!params.method().equals(name)) {
            throw new IllegalArgumentException("parameters bound for " + params.method() + ", not " + name);
        }
        if (needs.contains(Need.BACKWARD_GRAPH) && !(model instanceof DifferentiableModel)) {
            throw Explain4jException.unsupported("method", name + " needs gradients, which this model cannot provide; "
                    + "use a perturbation method (" + String.join(", ", MethodCatalog.perturbationMethods()) + ")");
        }
        return FiniteAttributions.wrap(factory.create(model, params, progress), model,
                needs.contains(Need.BACKWARD_GRAPH));
    }

    /** Builds a {@link MethodSpec}. */
    public static final class Builder {
        private final String name;
        private final Family family;
        private String summary = "";
        private String description = "";
        private final Set<Need> needs = EnumSet.noneOf(Need.class);
        private final List<ParamSpec> params = new ArrayList<>();
        private boolean seeded;
        private Output output = Output.INPUT;
        private String cost = "";
        private final Set<InputKind> suggestedFor = EnumSet.noneOf(InputKind.class);
        private final Map<String, String> suggested = new LinkedHashMap<>();
        private Factory factory;
        private Memory memory;

        private Builder(String name, Family family) {
            this.name = name;
            this.family = family;
            if (family != Family.PERTURBATION) {
                needs.add(Need.BACKWARD_GRAPH);
            }
        }

        public Builder summary(String s) {
            summary = s;
            return this;
        }

        public Builder description(String s) {
            description = s;
            return this;
        }

        public Builder needs(Need... n) {
            needs.addAll(List.of(n));
            return this;
        }

        /** Adds parameters; a {@link ParamSpec#seed()} makes the method seeded. */
        public Builder params(ParamSpec... p) {
            for (ParamSpec s : p) {
                params.add(s);
                if (s.role() == ParamSpec.Role.SEED) {
                    seeded = true;
                }
            }
            return this;
        }

        public Builder output(Output o) {
            output = o;
            return this;
        }

        public Builder cost(String c) {
            cost = c;
            return this;
        }

        public Builder suggestFor(InputKind... k) {
            suggestedFor.addAll(List.of(k));
            return this;
        }

        /** A parameter value {@code explain} uses for a quick run. */
        public Builder suggest(String param, String value) {
            suggested.put(param, value);
            return this;
        }

        /** What the method holds for its whole budget, per example (see {@link Memory}). */
        public Builder memory(String parameter, Memory.Estimator bytes) {
            memory = new Memory(parameter, bytes);
            return this;
        }

        public Builder factory(Factory f) {
            factory = f;
            return this;
        }

        public MethodSpec build() {
            List<ParamSpec> all = new ArrayList<>(params);
            if (all.stream().noneMatch(p -> p.name().equals("batch-size"))) {
                all.add(ParamSpec.batchSize(1));
            }
            return new MethodSpec(name, family, summary, description, needs, all, seeded, output, cost, suggestedFor, suggested,
                    factory, memory);
        }
    }
}
