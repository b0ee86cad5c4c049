package org.explain4j.onnx;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.explain4j.core.Tensor;
import org.explain4j.core.io.Npy;

/**
 * The architectural-motif fixtures as listed in {@code fixtures/models/motifs.json} (written by
 * {@code fixtures/make_motifs.py}): model file, named sample inputs, expected output and the
 * PyTorch gradient (at the input, or at the word embedding for token models).
 */
public final class Motifs {
    /** {@code fixtures/models} seen from a module folder (the tests' working directory). */
    public static final Path MODELS = Path.of("..", "fixtures", "models");

    /** One motif. {@code embedding} is the ONNX tensor of the word embedding (token models). */
    public record Motif(String name, String description, List<String> ops, Map<String, Path> inputs,
                        Path expected, Optional<Path> grad, Optional<Path> embGrad, Optional<String> embedding) {
        public Path model() {
            return MODELS.resolve(name + ".onnx");
        }

        public boolean token() {
            return embedding.isPresent();
        }

        public Map<String, Tensor> readInputs() {
            Map<String, Tensor> m = new LinkedHashMap<>();
            inputs.forEach((k, v) -> m.put(k, Npy.read(v)));
            return m;
        }
    }

    private Motifs() {
    }

    /** Every motif of the manifest, in its order. */
    public static List<Motif> all() {
        return all(MODELS);
    }

    public static List<Motif> all(Path dir) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(dir.resolve("motifs.json").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + dir.resolve("motifs.json"), e);
        }
        List<Motif> out = new ArrayList<>();
        for (JsonNode m : root.path("motifs")) {
            Map<String, Path> inputs = new LinkedHashMap<>();
            for (JsonNode in : m.path("inputs")) {
                inputs.put(in.path("name").asText(), dir.resolve(in.path("file").asText()));
            }
            List<String> ops = new ArrayList<>();
            m.path("ops").forEach(o -> ops.add(o.asText()));
            out.add(new Motif(m.path("name").asText(), m.path("description").asText(), List.copyOf(ops), inputs,
                    dir.resolve(m.path("expected").asText()),
                    m.has("grad") ? Optional.of(dir.resolve(m.path("grad").asText())) : Optional.empty(),
                    m.has("embgrad") ? Optional.of(dir.resolve(m.path("embgrad").asText())) : Optional.empty(),
                    m.has("embedding") ? Optional.of(m.path("embedding").asText()) : Optional.empty()));
        }
        return List.copyOf(out);
    }
}
