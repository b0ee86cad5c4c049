package org.explain4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.explain4j.core.Baseline;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.MethodCatalog;
import org.explain4j.core.catalog.MethodSpec;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.io.Npy;
import org.explain4j.core.model.FedInputs;
import org.explain4j.onnx.OnnxModel;
import org.explain4j.onnx.grad.OnnxDifferentiableModel;
import org.junit.jupiter.api.Test;

/**
 * Layer integrated gradients at the word embedding of the BERT-style motif against Captum's
 * LayerIntegratedGradients semantics on the same weights (fixtures/text/golden.json, made by
 * fixtures/text/make_text_fixtures.py). The reference data is in the repository: a missing file
 * fails the test.
 */
class TextGoldenTest {
    static final Path DIR = Path.of("..", "fixtures", "text");

    @Test
    void layerIntegratedGradients_atTheWordEmbedding_matchesCaptumSemantics() throws IOException {
        Path manifest = DIR.resolve("golden.json");
        assertThat(manifest).as("reference data; regenerate with /usr/bin/python3 fixtures/text/make_text_fixtures.py")
                .isRegularFile();
        JsonNode cases = new ObjectMapper().readTree(manifest.toFile()).get("cases");
        assertThat(cases.size()).isEqualTo(2);
        for (JsonNode c : cases) {
            JsonNode p = c.get("params");
            Tensor ids = Npy.read(DIR.resolve(c.get("input").asText()));
            Map<String, Tensor> fed = new LinkedHashMap<>();
            c.get("fed").fields().forEachRemaining(e -> fed.put(e.getKey(), Npy.read(DIR.resolve(e.getValue().asText()))));
            int[] targets = new int[p.get("target").size()];
            for (int i = 0; i < targets.length; i++) {
                targets[i] = p.get("target").get(i).asInt();
            }
            Tensor expected = Npy.read(DIR.resolve(c.get("expected").asText()));
            try (OnnxModel m = OnnxModel.load(DIR.resolve(c.get("model").asText()),
                    OnnxModel.Options.defaults().withInputName(c.get("input_name").asText()));
                 OnnxDifferentiableModel g = new OnnxDifferentiableModel(m)) {
                MethodSpec spec = MethodCatalog.get(c.get("method").asText());
                var method = spec.create(g, spec.bind(Map.of("layer", p.get("layer").asText(),
                        "baseline", Baseline.of(Npy.read(DIR.resolve(p.get("baseline").asText()))),
                        "steps", p.get("steps").asInt(), "integration", p.get("integration").asText())),
                        ProgressListener.NONE);
                Tensor actual = method.attribute(ids, FedInputs.of(fed), Target.of(targets)).values();
                assertThat(actual.shape()).as(c.get("id").asText()).containsExactly(expected.shape());
                double maxErr = 0;
                double maxRef = 0;
                for (int i = 0; i < expected.size(); i++) {
                    maxErr = Math.max(maxErr, Math.abs(actual.getDouble(i) - expected.getDouble(i)));
                    maxRef = Math.max(maxRef, Math.abs(expected.getDouble(i)));
                }
                assertThat(maxRef).as(c.get("id").asText()).isGreaterThan(1e-4);
                assertThat(maxErr / maxRef).as(c.get("id").asText())
                        .isLessThanOrEqualTo(c.get("tolerance").get("max_abs_err_over_max_abs").asDouble());
            }
        }
    }
}
