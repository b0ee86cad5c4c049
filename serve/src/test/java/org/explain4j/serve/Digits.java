package org.explain4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.explain4j.cli.ModelLoader;
import org.explain4j.core.Attribution;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.MethodCatalog;
import org.explain4j.core.catalog.MethodSpec;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.io.Npy;

/** The digits example's inputs as instances, and the library's own results to compare the service's with. */
final class Digits {
    private Digits() {
    }

    /** The eight example digits, (8, 1, 8, 8). */
    static Tensor x() {
        return Npy.read(TestServer.digits().resolve("digits_x.npy"));
    }

    /** Example {@code k} as a batch of one. */
    static Tensor example(int k) {
        return x().slice(k, k + 1);
    }

    /** Example {@code k} as a JSON instance (nested (1, 8, 8) array, without the batch axis). */
    static ArrayNode instance(int k) {
        Tensor t = example(k);
        ArrayNode c = TestServer.JSON.createArrayNode();
        ArrayNode ch = c.addArray();
        for (int y = 0; y < 8; y++) {
            ArrayNode row = ch.addArray();
            for (int x = 0; x < 8; x++) {
                row.add((double) t.toFloatArray()[y * 8 + x]);
            }
        }
        return c;
    }

    /** The library's attribution of {@code x} with {@code params} (catalogue names to texts). */
    static Attribution reference(Path model, String method, Map<String, String> params, Tensor x, Target t) {
        MethodSpec ms = MethodCatalog.get(method);
        Map<String, Object> typed = new LinkedHashMap<>();
        params.forEach((k, v) -> typed.put(k, ms.param(k).orElseThrow().parse(v)));
        try (ModelLoader.Loaded m = ModelLoader.load(model, 0, null, null)) {
            return ms.create(m, ms.bind(typed), ProgressListener.NONE).attribute(x, t);
        }
    }

    /** The library's forward pass. */
    static Tensor forward(Path model, Tensor x) {
        try (ModelLoader.Loaded m = ModelLoader.load(model, 0, null, null)) {
            return m.forward(x);
        }
    }

    /** A response's attributions as floats (the service writes each float32 value exactly as a double). */
    static float[] floats(JsonNode values) {
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) values.get(i).asDouble();
        }
        return out;
    }
}
