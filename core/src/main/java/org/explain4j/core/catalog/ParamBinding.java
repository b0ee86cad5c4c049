package org.explain4j.core.catalog;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.explain4j.core.Explain4jException;

/** The one set of parameter-binding rules that the method and metric catalogues share. */
public final class ParamBinding {
    private ParamBinding() {
    }

    /**
     * Checks the values given for {@code owner} (a method or metric) and fills in the defaults.
     * Refuses a parameter it does not take, one that does not apply given the other values, a
     * value of the wrong type or out of range, and a missing required parameter, each with a
     * one-line message naming the parameter.
     */
    public static Params bind(String owner, List<ParamSpec> params, Map<String, ?> given) {
        Map<String, Object> values = new LinkedHashMap<>();
        // 1. Every given name must be a parameter; check its value.
        for (Map.Entry<String, ?> e : given.entrySet()) {
            ParamSpec p = find(params, e.getKey()).orElseThrow(() -> Explain4jException.usage(e.getKey(), e.getKey()
                    + " does not apply to " + owner + "; it takes " + String.join(", ",
                    params.stream().map(ParamSpec::name).toList())));
            values.put(p.name(), p.check(e.getValue()));
        }
        // 2. Defaults for the rest; required ones must be given.
        for (ParamSpec p : params) {
            if (!values.containsKey(p.name())) {
                if (p.required() && applies(p, values)) {
                    throw Explain4jException.usage(p.name(), owner + " needs " + p.name() + ": " + p.help());
                }
                p.defaultValue().ifPresent(v -> values.put(p.name(), v));
            }
        }
        // 3. A given parameter must apply given the other values.
        for (String g : given.keySet()) {
            ParamSpec p = find(params, g).orElseThrow();
            for (Map.Entry<String, List<String>> w : p.appliesWhen().entrySet()) {
                Object other = values.get(w.getKey());
                if (other == null || !w.getValue().contains(String.valueOf(other))) {
                    throw Explain4jException.usage(g, g + " does not apply to " + owner + " with " + w.getKey() + " '"
                            + other + "'; it applies when " + w.getKey() + " is " + String.join(" or ", w.getValue()));
                }
            }
        }
        return new Params(owner, values, given.keySet());
    }

    private static java.util.Optional<ParamSpec> find(List<ParamSpec> params, String name) {
        return params.stream().filter(p -> p.name().equals(name)).findFirst();
    }

    private static boolean applies(ParamSpec p, Map<String, Object> values) {
        for (Map.Entry<String, List<String>> w : p.appliesWhen().entrySet()) {
            Object other = values.get(w.getKey());
            if (other != null && !w.getValue().contains(String.valueOf(other))) {
                return false;
            }
        }
        return true;
    }
}
