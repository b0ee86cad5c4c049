package org.explain4j.core.catalog;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.explain4j.core.Baseline;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.FeatureMask;

/**
 * One method parameter as typed data: its name (kebab-case, the same in the Java catalogue, the
 * command line's {@code --name} flag, the service's JSON and the Spark stage), type, default,
 * allowed range or values, one-line help, role (an ordinary option, a sampling budget or a seed)
 * and, for parameters that only matter for some values of another parameter, when it applies.
 *
 * @param name         kebab-case name, e.g. {@code steps}, {@code noise-std}
 * @param type         the value's type
 * @param defaultValue the value used when none is given (typed: Integer, Long, Double, Boolean,
 *                     String, int[], Baseline, FeatureMask); empty when the parameter is required
 *                     or has no fixed default
 * @param required     true when the method cannot run without it
 * @param range        allowed numeric range (numbers and each element of an int list)
 * @param choices      allowed values of a {@link ParamType#CHOICE}
 * @param help         one line for listings and forms
 * @param role         option, sampling budget or seed
 * @param appliesWhen  other parameter name to the values for which this one applies; empty: always
 */
public record ParamSpec(String name, ParamType type, Optional<Object> defaultValue, boolean required, Range range,
                        List<String> choices, String help, Role role, Map<String, List<String>> appliesWhen) {
    /** What a parameter is for. */
    public enum Role {
        /** An ordinary option. */
        OPTION,
        /** A sampling or evaluation budget: more is slower and more accurate. */
        BUDGET,
        /** The seed of a stochastic method: same seed, bit-identical result. */
        SEED;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** A numeric range; either end may be open ({@code null}: unbounded). */
    public record Range(Double min, boolean minInclusive, Double max, boolean maxInclusive) {
        public static final Range ANY = new Range(null, true, null, true);

        public static Range atLeast(double min) {
            return new Range(min, true, null, true);
        }

        public static Range positive() {
            return new Range(0.0, false, null, true);
        }

        public static Range between(double min, double max) {
            return new Range(min, true, max, true);
        }

        /** True when {@code v} lies in the range. */
        public boolean contains(double v) {
            boolean lo = min == null || (minInclusive ? v >= min : v > min);
            boolean hi = max == null || (maxInclusive ? v <= max : v < max);
            return lo && hi;
        }

        /** "at least 1", "greater than 0", "between 0 and 1", or "" when unbounded. */
        public String describe() {
            if (min != null && max != null) {
                return "between " + num(min) + " and " + num(max);
            }
            if (min != null) {
                return (minInclusive ? "at least " : "greater than ") + num(min);
            }
            if (max != null) {
                return (maxInclusive ? "at most " : "less than ") + num(max);
            }
            return "";
        }
    }

    public ParamSpec {
        if (name == null || !name.matches("[a-z][a-z0-9]*(-[a-z0-9]+)*")) {
            throw new IllegalArgumentException("parameter names are kebab-case: " + name);
        }
        if (type == null || defaultValue == null || range == null || choices == null || help == null || role == null
                || appliesWhen == null) {
            throw new IllegalArgumentException("every field of parameter " + name + " is required");
        }
        choices = List.copyOf(choices);
        appliesWhen = Map.copyOf(new LinkedHashMap<>(appliesWhen));
        if (type == ParamType.CHOICE && choices.isEmpty()) {
            throw new IllegalArgumentException("choice parameter " + name + " needs its choices");
        }
    }

    /** An optional integer with a default and range. */
    public static ParamSpec integer(String name, int defaultValue, Range range, String help) {
        return new ParamSpec(name, ParamType.INT, Optional.of(defaultValue), false, range, List.of(), help, Role.OPTION, Map.of());
    }

    /** An optional real number with a default and range. */
    public static ParamSpec real(String name, double defaultValue, Range range, String help) {
        return new ParamSpec(name, ParamType.DOUBLE, Optional.of(defaultValue), false, range, List.of(), help, Role.OPTION, Map.of());
    }

    /** An optional flag with a default. */
    public static ParamSpec bool(String name, boolean defaultValue, String help) {
        return new ParamSpec(name, ParamType.BOOLEAN, Optional.of(defaultValue), false, Range.ANY, List.of(), help, Role.OPTION,
                Map.of());
    }

    /** One of {@code choices}, {@code defaultValue} when not given. */
    public static ParamSpec choice(String name, String defaultValue, List<String> choices, String help) {
        return new ParamSpec(name, ParamType.CHOICE, Optional.of(defaultValue), false, Range.ANY, choices, help, Role.OPTION,
                Map.of());
    }

    /** The seed of a stochastic method, 0 by default. */
    public static ParamSpec seed() {
        return new ParamSpec("seed", ParamType.LONG, Optional.of(0L), false, Range.ANY, List.of(),
                "seed of the random draws: same input and seed, bit-identical result", Role.SEED, Map.of());
    }

    /** A reference input, zeros by default. */
    public static ParamSpec baseline(String help) {
        return new ParamSpec("baseline", ParamType.BASELINE, Optional.of(Baseline.zeros()), false, Range.ANY, List.of(), help,
                Role.OPTION, Map.of());
    }

    /** A required distribution of reference rows. */
    public static ParamSpec baselineDistribution(String help) {
        return new ParamSpec("baseline", ParamType.BASELINE_DISTRIBUTION, Optional.empty(), true, Range.ANY, List.of(), help,
                Role.OPTION, Map.of());
    }

    /** Feature groups, one feature per element by default. */
    public static ParamSpec featureMask() {
        return new ParamSpec("feature-mask", ParamType.FEATURE_MASK, Optional.of(FeatureMask.elementwise()), false, Range.ANY,
                List.of(), "integer group id per element; each group is one feature (default: each element)", Role.OPTION,
                Map.of());
    }

    /** The help line of {@link #batchSize(int)}. */
    public static final String BATCH_SIZE_HELP = "most rows per model call (memory stays flat); default: auto, the most "
            + "that fit the memory budget (1 GiB unless set)";

    /**
     * The model-call batch size, at least {@code min}, with no fixed default: when not given (or
     * given as {@code auto} on the command line) the run sizes it from the memory budget
     * ({@link org.explain4j.core.engine.BatchSize#AUTO}) and records the size it used.
     */
    public static ParamSpec batchSize(int min) {
        return new ParamSpec("batch-size", ParamType.INT, Optional.empty(), false, Range.atLeast(min), List.of(),
                BATCH_SIZE_HELP, Role.OPTION, Map.of());
    }

    /** The model-call batch size with a fixed default, at least {@code min}. */
    public static ParamSpec batchSize(int defaultValue, int min) {
        return integer("batch-size", defaultValue, Range.atLeast(min), "most rows per model call (memory stays flat)");
    }

    /** A required name. */
    public static ParamSpec requiredString(String name, String help) {
        return new ParamSpec(name, ParamType.STRING, Optional.empty(), true, Range.ANY, List.of(), help, Role.OPTION, Map.of());
    }

    /** A required list of positive integers. */
    public static ParamSpec requiredInts(String name, String help) {
        return new ParamSpec(name, ParamType.INT_LIST, Optional.empty(), true, Range.atLeast(1), List.of(), help, Role.OPTION,
                Map.of());
    }

    /** An optional list of positive integers with no fixed default (the method derives one). */
    public static ParamSpec optionalInts(String name, String help) {
        return new ParamSpec(name, ParamType.INT_LIST, Optional.empty(), false, Range.atLeast(1), List.of(), help, Role.OPTION,
                Map.of());
    }

    /** An optional real number with no fixed default (the method derives one). */
    public static ParamSpec optionalReal(String name, Range range, String help) {
        return new ParamSpec(name, ParamType.DOUBLE, Optional.empty(), false, range, List.of(), help, Role.OPTION, Map.of());
    }

    /** This parameter as a sampling budget. */
    public ParamSpec budget() {
        return new ParamSpec(name, type, defaultValue, required, range, choices, help, Role.BUDGET, appliesWhen);
    }

    /** This parameter, applying only when parameter {@code other} has one of {@code values}. */
    public ParamSpec when(String other, String... values) {
        Map<String, List<String>> w = new LinkedHashMap<>(appliesWhen);
        w.put(other, List.of(values));
        return new ParamSpec(name, type, defaultValue, required, range, choices, help, role, w);
    }

    /** The same parameter with another default. */
    public ParamSpec withDefault(Object value) {
        return new ParamSpec(name, type, Optional.of(value), false, range, choices, help, role, appliesWhen);
    }

    /** The same parameter with another help line. */
    public ParamSpec withHelp(String text) {
        return new ParamSpec(name, type, defaultValue, required, range, choices, text, role, appliesWhen);
    }

    /** The default as written on a command line or in a listing ("zeros", "elementwise", "50", ...). */
    public Optional<String> defaultText() {
        return defaultValue.map(ParamSpec::format);
    }

    /** A value as written on a command line. */
    public static String format(Object v) {
        if (v instanceof int[] a) {
            return String.join(",", Arrays.stream(a).mapToObj(String::valueOf).toList());
        }
        if (v instanceof Baseline b) {
            return b.describe();
        }
        if (v instanceof FeatureMask m) {
            return m.isElementwise() ? "elementwise" : "groups";
        }
        if (v instanceof Double d) {
            return num(d);
        }
        return String.valueOf(v);
    }

    /**
     * Parses a scalar value from text (a flag's argument, a form field); tensor types are
     * resolved by the caller (files on the command line, arrays in JSON).
     */
    public Object parse(String text) {
        String t = text.trim();
        switch (type) {
            case INT -> {
                try {
                    return Integer.parseInt(t);
                } catch (NumberFormatException e) {
                    throw Explain4jException.usage(name, name + " '" + text + "' is not an integer");
                }
            }
            case LONG -> {
                try {
                    return Long.parseLong(t);
                } catch (NumberFormatException e) {
                    throw Explain4jException.usage(name, name + " '" + text + "' is not an integer");
                }
            }
            case DOUBLE -> {
                try {
                    return Double.parseDouble(t);
                } catch (NumberFormatException e) {
                    throw Explain4jException.usage(name, name + " '" + text + "' is not a number");
                }
            }
            case BOOLEAN -> {
                return switch (t.toLowerCase(Locale.ROOT)) {
                    case "true", "yes", "1" -> true;
                    case "false", "no", "0" -> false;
                    default -> throw Explain4jException.usage(name, name + " '" + text + "' must be true or false");
                };
            }
            case CHOICE, STRING -> {
                return t;
            }
            case INT_LIST -> {
                String[] parts = t.split(",");
                int[] out = new int[parts.length];
                for (int i = 0; i < parts.length; i++) {
                    try {
                        out[i] = Integer.parseInt(parts[i].trim());
                    } catch (NumberFormatException e) {
                        throw Explain4jException.usage(name, name + " '" + text
                                + "' is not a comma-separated list of integers, e.g. 1,3,3");
                    }
                }
                return out;
            }
            default -> throw new IllegalStateException(name + " holds a tensor; resolve it before binding");
        }
    }

    /** Checks a typed value against type, range and choices; returns it (normalised: choices lower-case). */
    public Object check(Object v) {
        Object value = v;
        boolean ok = switch (type) {
            case INT -> v instanceof Integer;
            case LONG -> {
                if (v instanceof Integer i) {
                    value = i.longValue();
                }
                yield value instanceof Long;
            }
            case DOUBLE -> {
                if (v instanceof Integer || v instanceof Long || v instanceof Float) {
                    value = ((Number) v).doubleValue();
                }
                yield value instanceof Double;
            }
            case BOOLEAN -> v instanceof Boolean;
            case CHOICE, STRING -> v instanceof String;
            case INT_LIST -> v instanceof int[];
            case BASELINE -> v instanceof Baseline;
            case BASELINE_DISTRIBUTION -> v instanceof Baseline.Distribution;
            case FEATURE_MASK -> v instanceof FeatureMask;
        };
        if (!ok && type == ParamType.BASELINE_DISTRIBUTION && v instanceof Baseline) {
            throw Explain4jException.usage(name, name + " must be a distribution of reference rows: an .npy file of K rows "
                    + "(e.g. --" + name + " references.npy); zeros, a number or a single row is one baseline, not a distribution");
        }
        if (!ok) {
            throw Explain4jException.usage(name, name + " must be " + article(type) + " (got "
                    + (v == null ? "nothing" : v.getClass().getSimpleName()) + ")");
        }
        if (value instanceof Double d && !Double.isFinite(d)) {
            throw Explain4jException.usage(name, name + " must be a finite number (got " + d + ")");
        }
        if (value instanceof Number n && !range.contains(n.doubleValue())) {
            throw Explain4jException.usage(name, name + " must be " + range.describe() + " (got " + format(value) + ")");
        }
        if (value instanceof int[] a) {
            for (int e : a) {
                if (!range.contains(e)) {
                    throw Explain4jException.usage(name, name + " values must each be " + range.describe() + " (got "
                            + format(a) + ")");
                }
            }
        }
        if (type == ParamType.CHOICE) {
            String s = ((String) value).trim().toLowerCase(Locale.ROOT);
            if (!choices.contains(s)) {
                throw Explain4jException.usage(name, name + " '" + value + "' is not one of " + String.join(", ", choices));
            }
            value = s;
        }
        if (type == ParamType.STRING && ((String) value).isBlank()) {
            throw Explain4jException.usage(name, name + " must not be empty");
        }
        return value;
    }

    private static String article(ParamType t) {
        return switch (t) {
            case INT, LONG -> "an integer";
            case DOUBLE -> "a number";
            case BOOLEAN -> "true or false";
            case CHOICE, STRING -> "a name";
            case INT_LIST -> "a list of integers";
            case BASELINE -> "a baseline";
            case BASELINE_DISTRIBUTION -> "a baseline distribution of reference rows";
            case FEATURE_MASK -> "a feature mask";
        };
    }

    static String num(double d) {
        if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            return String.valueOf((long) d);
        }
        return String.valueOf(d);
    }
}
