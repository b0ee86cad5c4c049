package org.explain4j.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The per-job memory estimate covers every instance: text instances differ in length, so a short
 * first text must not let a long second one through.
 */
class ServerTextMemoryTest {
    @TempDir
    Path tmp;

    @Test
    void aLongTextAfterAShortOne_isRefusedLikeTheLongOneAlone() throws IOException {
        Path root = Path.of(System.getProperty("user.dir")).resolve("..").normalize();
        Path text = root.resolve("fixtures/text");
        Path models = TestServer.modelsFolder(tmp.resolve("models"));
        Files.copy(text.resolve("bow.onnx"), models.resolve("bow.onnx"));
        Files.copy(text.resolve("bow_tokenizer.json"), models.resolve("bow_tokenizer.json"));
        ServerTextTest.card(models, "bow", Map.of("tokenizer", "bow_tokenizer.json", "max_length", 128));
        String shortText = "good";
        String longText = String.join(" ", java.util.Collections.nCopies(20, "the cat sat on the mat"));
        Map<String, Object> params = Map.of("samples", 3000, "seed", 1);
        try (TestServer s = new TestServer(ServeConfig.defaults(models).withJobMemory(1L << 20))) {
            TestServer.Reply shortAlone = s.post("/v1/models/bow:explain", ServerTextTest.body("kernel-shap", params, shortText));
            assertThat(shortAlone.status()).as(shortAlone.text()).isEqualTo(200);
            TestServer.Reply longAlone = s.post("/v1/models/bow:explain", ServerTextTest.body("kernel-shap", params, longText));
            assertThat(longAlone.status()).as(longAlone.text()).isEqualTo(413);
            TestServer.Reply both = s.post("/v1/models/bow:explain",
                    ServerTextTest.body("kernel-shap", params, shortText, longText));
            assertThat(both.status()).as("the long second text was not weighed: %s", both.text()).isEqualTo(413);
            assertThat(both.json().get("error").get("message").asText()).contains("over the per-job memory limit");
            ObjectNode job = ServerTextTest.body("kernel-shap", params, shortText, longText);
            job.put("model", "bow");
            assertThat(s.post("/v1/jobs", job).status()).as("the same through a job").isEqualTo(413);
        }
    }
}
