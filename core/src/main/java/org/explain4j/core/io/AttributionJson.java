package org.explain4j.core.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.explain4j.core.Attribution;
import org.explain4j.core.Diagnostics;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;

/**
 * The versioned JSON form of an {@link Attribution}, the same for every method:
 *
 * <pre>
 * {"format": "explain4j.attribution", "version": 1, "method": ..., "input": ..., "target": ...,
 *  "options": {...}, "seed": ..., "shape": [...], "dtype": "float32", "values": [flat, C order],
 *  "diagnostics": {"model_evaluations": ..., "elapsed_ms": ..., "completeness_gap": [...],
 *                  "surrogate_r2": [...]},
 *  "provenance": {"model": ..., "model_sha256": ..., "library": ..., "library_version": ..., "created": ...}}
 * </pre>
 *
 * <p>{@code input} names the explained model input (a field added within version 1: readers of
 * older documents see no change but the new field).
 */
public final class AttributionJson {
    /** The document's format name. */
    public static final String FORMAT = "explain4j.attribution";
    /** The document's format version; raised on any incompatible change. */
    public static final int VERSION = 1;

    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private AttributionJson() {
    }

    /** The JSON tree of a result. */
    public static ObjectNode toTree(Attribution a) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("format", FORMAT);
        root.put("version", VERSION);
        root.put("method", a.method());
        root.put("input", a.input());
        root.set("target", target(a));
        root.set("options", options(a));
        if (a.seed().isPresent()) {
            root.put("seed", a.seed().getAsLong());
        } else {
            root.putNull("seed");
        }
        Tensor v = a.values();
        ArrayNode shape = root.putArray("shape");
        for (int d : v.shape()) {
            shape.add(d);
        }
        root.put("dtype", v.dtype().label());
        root.set("values", values(v));
        root.set("diagnostics", diagnostics(a.diagnostics()));
        ObjectNode prov = root.putObject("provenance");
        prov.put("model", a.provenance().modelName());
        prov.put("model_sha256", a.provenance().modelSha256());
        prov.put("library", a.provenance().library());
        prov.put("library_version", a.provenance().libraryVersion());
        prov.put("created", a.provenance().created().toString());
        return root;
    }

    /** The result's target as written in {@code target} (also the service's {@code data.target}). */
    public static JsonNode target(Attribution a) {
        return MAPPER.valueToTree(a.target().toJsonValue());
    }

    /** The method's options as run, as written in {@code options} (the service's {@code meta.parameters}). */
    public static ObjectNode options(Attribution a) {
        ObjectNode opts = MAPPER.createObjectNode();
        for (Map.Entry<String, Object> e : a.options().entrySet()) {
            opts.set(e.getKey(), MAPPER.valueToTree(e.getValue()));
        }
        return opts;
    }

    /** A tensor's values, flat in C order, as written in {@code values} (the service's {@code data.attributions}). */
    public static ArrayNode values(Tensor v) {
        ArrayNode values = MAPPER.createArrayNode();
        for (int i = 0; i < v.size(); i++) {
            values.add(v.getDouble(i));
        }
        return values;
    }

    /** The diagnostics object, as written in {@code diagnostics} (also the service's {@code data.diagnostics}). */
    public static ObjectNode diagnostics(Diagnostics d) {
        ObjectNode diag = MAPPER.createObjectNode();
        diag.put("model_evaluations", d.modelEvaluations());
        diag.put("elapsed_ms", d.elapsed().toNanos() / 1e6);
        d.completenessGap().ifPresent(g -> diag.set("completeness_gap", MAPPER.valueToTree(g)));
        d.surrogateFit().ifPresent(g -> diag.set("surrogate_r2", MAPPER.valueToTree(g)));
        return diag;
    }

    /** The JSON text of a result. */
    public static String toJson(Attribution a) {
        try {
            return MAPPER.writeValueAsString(toTree(a));
        } catch (IOException e) {
            throw new IllegalStateException("cannot render attribution as JSON", e);
        }
    }

    /** Writes the JSON form of a result to a file, creating parent folders. */
    public static void write(Attribution a, Path path) {
        try {
            Path parent = path.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            MAPPER.writeValue(path.toFile(), toTree(a));
        } catch (IOException e) {
            throw Explain4jException.file("output", "cannot write " + path + ": " + e.getMessage(), e);
        }
    }
}
