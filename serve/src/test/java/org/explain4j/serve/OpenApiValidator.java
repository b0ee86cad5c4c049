package org.explain4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A small validator of responses against the service's OpenAPI document: finds the operation of a
 * request (path templates included), the schema of its status and content type, and checks a JSON
 * value against it ({@code $ref}, type, required, properties, items, enum, nullable).
 */
final class OpenApiValidator {
    private final JsonNode doc;

    OpenApiValidator(JsonNode doc) {
        this.doc = doc;
    }

    /** The document's path template matching a concrete path, or null. */
    String template(String path) {
        for (Iterator<String> it = doc.get("paths").fieldNames(); it.hasNext(); ) {
            String t = it.next();
            if (matches(t, path)) {
                return t;
            }
        }
        return null;
    }

    static boolean matches(String template, String path) {
        String regex = java.util.regex.Pattern.quote(template).replaceAll("\\{[a-z]+\\}", "\\\\E[^/]+?\\\\Q");
        // a {m} followed by ":verb" must not swallow the verb
        return path.matches(regex) && !(template.endsWith("{m}") && path.contains(":"));
    }

    /** Problems of a response (empty: valid); an undocumented path, method or status is a problem. */
    List<String> check(String method, String path, int status, String contentType, JsonNode body) {
        List<String> out = new ArrayList<>();
        String t = template(path);
        if (t == null) {
            if (status != 404 && status != 401 && status != 503) {
                out.add("path " + path + " is not in the document");
            }
            return out;
        }
        JsonNode op = doc.get("paths").get(t).get(method.toLowerCase(java.util.Locale.ROOT));
        if (op == null) {
            if (status != 405 && status != 404) {
                out.add(method + " " + t + " is not in the document");
            }
            return out;
        }
        JsonNode r = op.path("responses").get(Integer.toString(status));
        if (r == null) {
            out.add(method + " " + t + " does not document status " + status);
            return out;
        }
        JsonNode content = r.path("content");
        if (content.isMissingNode() || body == null) {
            return out;
        }
        String ct = contentType == null ? "" : contentType.split(";")[0].trim();
        JsonNode media = content.get(ct);
        if (media == null) {
            out.add(method + " " + t + " " + status + ": content type " + ct + " is not documented");
            return out;
        }
        validate(media.path("schema"), body, "$", out);
        return out;
    }

    void validate(JsonNode schema, JsonNode v, String at, List<String> out) {
        if (schema.has("$ref")) {
            String ref = schema.get("$ref").asText();
            JsonNode s = doc;
            for (String part : ref.substring(2).split("/")) {
                s = s.get(part);
            }
            validate(s, v, at, out);
            return;
        }
        if (schema.has("oneOf")) {
            // exactly one branch fits (the job request and the job's result: explanation or evaluation)
            List<String> all = new ArrayList<>();
            int fits = 0;
            for (JsonNode branch : schema.get("oneOf")) {
                List<String> p = new ArrayList<>();
                validate(branch, v, at, p);
                fits += p.isEmpty() ? 1 : 0;
                all.addAll(p);
            }
            if (fits != 1) {
                out.add(at + " fits " + fits + " of the oneOf branches, not exactly one" + (fits == 0 ? ": " + all : ""));
            }
            return;
        }
        if (v.isNull()) {
            if (schema.has("type") && !schema.path("nullable").asBoolean(false)) {
                out.add(at + " is null");
            }
            return;
        }
        String type = schema.path("type").asText("");
        boolean ok = switch (type) {
            case "object" -> v.isObject();
            case "array" -> v.isArray();
            case "string" -> v.isTextual();
            case "integer" -> v.isIntegralNumber();
            case "number" -> v.isNumber();
            case "boolean" -> v.isBoolean();
            default -> true;
        };
        if (!ok) {
            out.add(at + " is " + v.getNodeType() + ", not " + type);
            return;
        }
        if (schema.has("enum")) {
            boolean found = false;
            for (JsonNode e : schema.get("enum")) {
                found |= e.equals(v);
            }
            if (!found) {
                out.add(at + " = " + v + " is not one of " + schema.get("enum"));
            }
        }
        for (JsonNode req : schema.path("required")) {
            if (!v.has(req.asText())) {
                out.add(at + " lacks required " + req.asText());
            }
        }
        if (v.isObject() && schema.has("properties")) {
            for (Iterator<Map.Entry<String, JsonNode>> it = schema.get("properties").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> p = it.next();
                if (v.has(p.getKey())) {
                    validate(p.getValue(), v.get(p.getKey()), at + "." + p.getKey(), out);
                }
            }
        }
        if (v.isArray() && schema.has("items")) {
            int i = 0;
            for (JsonNode e : v) {
                validate(schema.get("items"), e, at + "[" + i++ + "]", out);
            }
        }
    }

    /** Problems of {@code v} against the component schema {@code name} (e.g. a request body against JobRequest). */
    List<String> checkSchema(String name, JsonNode v) {
        List<String> out = new ArrayList<>();
        JsonNode schema = doc.path("components").path("schemas").get(name);
        if (schema == null) {
            out.add("no schema " + name);
            return out;
        }
        validate(schema, v, "$", out);
        return out;
    }

    /** Every (method, path template) of the document. */
    List<String[]> operations() {
        List<String[]> out = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = doc.get("paths").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> p = it.next();
            for (Iterator<String> m = p.getValue().fieldNames(); m.hasNext(); ) {
                String method = m.next();
                if (!method.equals("parameters")) {
                    out.add(new String[] {method.toUpperCase(java.util.Locale.ROOT), p.getKey()});
                }
            }
        }
        return out;
    }
}
