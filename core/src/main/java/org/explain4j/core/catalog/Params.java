package org.explain4j.core.catalog;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import org.explain4j.core.Baseline;
import org.explain4j.core.FeatureMask;

/**
 * The checked, typed parameter values of one method: those given and the defaults of the rest.
 * Made by {@link MethodSpec#bind}; read by the method's factory.
 */
public final class Params {
    private final String method;
    private final Map<String, Object> values;
    private final Set<String> given;

    Params(String method, Map<String, Object> values, Set<String> given) {
        this.method = method;
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
        this.given = Set.copyOf(given);
    }

    /** The method (or metric) these values belong to. */
    public String method() {
        return method;
    }

    /** Every value, given or default, by parameter name (parameters without a default and not given are absent). */
    public Map<String, Object> values() {
        return values;
    }

    /** True when the caller gave {@code name} (rather than it taking its default). */
    public boolean isGiven(String name) {
        return given.contains(name);
    }

    private Object get(String name) {
        Object v = values.get(name);
        if (v == null) {
            throw new IllegalStateException(method + " has no value for parameter " + name);
        }
        return v;
    }

    public int integer(String name) {
        return (Integer) get(name);
    }

    public long longValue(String name) {
        return (Long) get(name);
    }

    public double real(String name) {
        return (Double) get(name);
    }

    public OptionalDouble optionalReal(String name) {
        Object v = values.get(name);
        return v == null ? OptionalDouble.empty() : OptionalDouble.of((Double) v);
    }

    public boolean bool(String name) {
        return (Boolean) get(name);
    }

    public String string(String name) {
        return (String) get(name);
    }

    public int[] ints(String name) {
        return ((int[]) get(name)).clone();
    }

    public Optional<int[]> optionalInts(String name) {
        return Optional.ofNullable((int[]) values.get(name)).map(int[]::clone);
    }

    public Baseline baseline() {
        return (Baseline) get("baseline");
    }

    public FeatureMask featureMask() {
        return (FeatureMask) get("feature-mask");
    }

    public long seed() {
        return longValue("seed");
    }

    /** The batch size given, or {@link org.explain4j.core.engine.BatchSize#AUTO} when none was (the default). */
    public int batchSize() {
        Object v = values.get("batch-size");
        return v == null ? org.explain4j.core.engine.BatchSize.AUTO : (Integer) v;
    }
}
