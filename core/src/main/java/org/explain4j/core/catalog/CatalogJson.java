package org.explain4j.core.catalog;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import org.explain4j.core.Version;

/**
 * The catalogue as JSON ({@code explain4j methods --format json}): the schema the service and the
 * web UI build their forms from. Format 1; documented in docs/METHODS-JSON.md.
 */
public final class CatalogJson {
    /** The version of this document's layout. */
    public static final int FORMAT = 1;
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private CatalogJson() {
    }

    /** Every method of the catalogue. */
    public static String write() {
        return write(MethodCatalog.all());
    }

    /** The given methods. */
    public static String write(List<MethodSpec> specs) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("format", FORMAT);
        root.put("explain4j", Version.get());
        ArrayNode methods = root.putArray("methods");
        for (MethodSpec s : specs) {
            methods.add(method(s));
        }
        try {
            return MAPPER.writeValueAsString(root) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot write the catalogue as JSON", e);
        }
    }

    private static ObjectNode method(MethodSpec s) {
        ObjectNode m = MAPPER.createObjectNode();
        m.put("name", s.name());
        m.put("family", s.family().label());
        m.put("summary", s.summary());
        m.put("description", s.description());
        ArrayNode needs = m.putArray("needs");
        s.needs().stream().sorted().forEach(n -> needs.add(n.label()));
        m.put("models", s.anyModel() ? "any" : "differentiable");
        m.put("deterministic", !s.seeded());
        ObjectNode out = m.putObject("output");
        out.put("shape", s.output().label());
        out.put("description", s.output().description());
        m.put("cost", s.cost().replace("`", ""));
        ArrayNode kinds = m.putArray("suggested_for");
        s.suggestedFor().stream().sorted().forEach(k -> kinds.add(k.name().toLowerCase(java.util.Locale.ROOT)));
        ArrayNode params = m.putArray("params");
        for (ParamSpec p : s.params()) {
            params.add(param(p));
        }
        return m;
    }

    /** One parameter as the listings show it (also the metric catalogue's {@code metrics --format json}). */
    public static ObjectNode param(ParamSpec p) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("name", p.name());
        o.put("type", p.type().label());
        o.put("required", p.required());
        p.defaultValue().ifPresent(v -> {
            if (v instanceof Integer i) {
                o.put("default", i);
            } else if (v instanceof Long l) {
                o.put("default", l);
            } else if (v instanceof Double d) {
                o.put("default", d);
            } else if (v instanceof Boolean b) {
                o.put("default", b);
            } else {
                o.put("default", ParamSpec.format(v));
            }
        });
        ParamSpec.Range r = p.range();
        if (r.min() != null) {
            o.put(r.minInclusive() ? "minimum" : "exclusive_minimum", r.min());
        }
        if (r.max() != null) {
            o.put(r.maxInclusive() ? "maximum" : "exclusive_maximum", r.max());
        }
        if (!p.choices().isEmpty()) {
            ArrayNode c = o.putArray("choices");
            p.choices().forEach(c::add);
        }
        o.put("help", p.help());
        o.put("role", p.role().label());
        if (!p.appliesWhen().isEmpty()) {
            ObjectNode w = o.putObject("applies_when");
            for (Map.Entry<String, List<String>> e : p.appliesWhen().entrySet()) {
                ArrayNode vals = w.putArray(e.getKey());
                e.getValue().forEach(vals::add);
            }
        }
        return o;
    }
}
