package org.explain4j.core.grad;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.explain4j.core.Explain4jException;

/**
 * A named, parameterised rule set (Zennit's composites): which rule each operation gets, chosen
 * by op type, first layer or tensor name; the parameters the caller may set, with their defaults;
 * the canonizers it wants; and how the propagated quantity is seeded. The built-in composites are
 * listed in {@link Composites}; a caller builds their own with the constructor, or extends one with
 * {@link #withFirst}, {@link #named}, {@link #withDefault} and {@link #withCanonizers}.
 *
 * @param name        the composite's name, e.g. {@code epsilon-plus}
 * @param description one line for listings
 * @param defaults    the parameters it uses and their defaults; setting any other is an error
 * @param seed        what the backward pass is seeded with at the target
 * @param canonizers  the model rewrites it wants before its rules
 * @param assigner    the assignments for given parameter values
 */
public record Composite(String name, String description, Map<Parameter, Double> defaults, Seed seed,
                        List<Canonizer> canonizers, Assigner assigner) {
    public Composite {
        if (name == null || name.isBlank() || description == null || defaults == null || seed == null
                || canonizers == null || assigner == null) {
            throw new IllegalArgumentException("name, description, defaults, seed, canonizers and assigner are required");
        }
        defaults.forEach((p, v) -> p.check(v));
        defaults = Map.copyOf(defaults);
        canonizers = List.copyOf(canonizers);
    }

    /** A parameter a composite may use; {@link #option()} is its name in options and messages. */
    public enum Parameter {
        /** The epsilon of the epsilon rule (and of the norm rule in Captum's {@code epsilon}). */
        EPSILON("epsilon"),
        /** The gamma of the gamma rule. */
        GAMMA("gamma"),
        /** B of the alpha-beta rule with alpha = 1 + B, beta = B. */
        BETA("beta"),
        /** The lower bound of z^B. */
        LOW("low"),
        /** The upper bound of z^B. */
        HIGH("high");

        private final String option;

        Parameter(String option) {
            this.option = option;
        }

        /** The option name, e.g. {@code gamma}. */
        public String option() {
            return option;
        }

        void check(double v) {
            boolean ok = switch (this) {
                case LOW, HIGH -> Double.isFinite(v);
                default -> v >= 0 && Double.isFinite(v);
            };
            if (!ok) {
                throw Explain4jException.usage(option, option + " must be " + (this == LOW || this == HIGH
                        ? "finite" : "zero or positive") + " (got " + v + ")");
            }
        }
    }

    /** What the backward pass is seeded with at the target output. */
    public enum Seed {
        /** The target output's value: relevance that sums (up to absorbed terms) to the logit (LRP). */
        OUTPUT,
        /** 1: a modified gradient (guided backprop, deconvolution, beta-smooth). */
        ONE
    }

    /** The resolved parameter values a composite's assignments are made from. */
    public record Values(Map<Parameter, Double> values) {
        public Values {
            values = Map.copyOf(values);
        }

        /** The value of a parameter the composite declares. */
        public double get(Parameter p) {
            Double v = values.get(p);
            if (v == null) {
                throw new IllegalStateException("the composite does not declare parameter '" + p.option() + "'");
            }
            return v;
        }
    }

    /** Makes a composite's assignments (first match wins) from parameter values. */
    @FunctionalInterface
    public interface Assigner {
        List<RuleSet.Assignment> assign(Values values);
    }

    /** The parameters this composite uses. */
    public Set<Parameter> parameters() {
        return defaults.keySet();
    }

    /** The rule set with the default parameters. */
    public RuleSet rules() {
        return rules(Map.of());
    }

    /**
     * The rule set for the given parameters (the others at their defaults); a parameter this
     * composite does not use is a usage error naming the option.
     */
    public RuleSet rules(Map<Parameter, Double> given) {
        return new RuleSet(ruleSetName(), assigner.assign(values(given)), canonizers);
    }

    /** The defaults overridden by {@code given}, validated. */
    public Values values(Map<Parameter, Double> given) {
        Map<Parameter, Double> v = new EnumMap<>(Parameter.class);
        v.putAll(defaults);
        for (Map.Entry<Parameter, Double> e : given.entrySet()) {
            Parameter p = e.getKey();
            if (!defaults.containsKey(p)) {
                List<String> users = Composites.all().stream().filter(c -> c.defaults().containsKey(p))
                        .map(Composite::name).toList();
                throw Explain4jException.usage(p.option(), p.option() + " does not apply to composite '" + name + "'"
                        + (users.isEmpty() ? "" : "; it applies to " + String.join(", ", users)));
            }
            p.check(e.getValue());
            v.put(p, e.getValue());
        }
        if (v.containsKey(Parameter.LOW) && v.containsKey(Parameter.HIGH)
                && !(v.get(Parameter.LOW) < v.get(Parameter.HIGH))) {
            throw Explain4jException.usage("low", "low must be below high (got " + v.get(Parameter.LOW) + " and "
                    + v.get(Parameter.HIGH) + ")");
        }
        return new Values(v);
    }

    /** The name of the rule sets it makes: the name, prefixed {@code lrp-} for relevance composites. */
    public String ruleSetName() {
        return seed == Seed.OUTPUT ? "lrp-" + name : name;
    }

    /** This composite under another name and description. */
    public Composite named(String newName, String newDescription) {
        return new Composite(newName, newDescription, defaults, seed, canonizers, assigner);
    }

    /** This composite with {@code first} ahead of its own assignments (so they win where they match). */
    public Composite withFirst(List<RuleSet.Assignment> first) {
        List<RuleSet.Assignment> f = List.copyOf(first);
        return new Composite(name, description, defaults, seed, canonizers, values -> {
            List<RuleSet.Assignment> all = new ArrayList<>(f);
            all.addAll(assigner.assign(values));
            return all;
        });
    }

    /** This composite with another default for a parameter it uses. */
    public Composite withDefault(Parameter p, double value) {
        if (!defaults.containsKey(p)) {
            throw Explain4jException.usage(p.option(), p.option() + " does not apply to composite '" + name + "'");
        }
        Map<Parameter, Double> d = new EnumMap<>(defaults);
        d.put(p, value);
        return new Composite(name, description, d, seed, canonizers, assigner);
    }

    /** This composite with other canonizers. */
    public Composite withCanonizers(List<Canonizer> c) {
        return new Composite(name, description, defaults, seed, c, assigner);
    }

    /** Parses a parameter by option name, e.g. {@code gamma}. */
    public static Parameter parameter(String option) {
        for (Parameter p : Parameter.values()) {
            if (p.option().equals(option.trim().toLowerCase(Locale.ROOT))) {
                return p;
            }
        }
        throw Explain4jException.usage(option, "'" + option + "' is not a composite parameter (one of "
                + java.util.Arrays.stream(Parameter.values()).map(Parameter::option).collect(Collectors.joining(", "))
                + ")");
    }
}
