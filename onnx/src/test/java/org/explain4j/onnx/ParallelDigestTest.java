package org.explain4j.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.explain4j.core.Explain4jException;
import org.junit.jupiter.api.Test;

/** The model's SHA-256, computed on its own thread during the load, is the file's digest; errors stay as before. */
class ParallelDigestTest {
    private static final Path MODEL = Path.of("..", "fixtures", "models", "residual_cnn.onnx");

    @Test
    void digestOnItsOwnThread_equalsTheFilesDigest_andTheSequentialOne() throws Exception {
        String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(MODEL)));
        String parallel;
        try (OnnxModel m = OnnxModel.load(MODEL)) {
            parallel = m.info().sha256();
        }
        String sequential;
        System.setProperty(OnnxModel.PARALLEL_DIGEST, "off");
        try (OnnxModel m = OnnxModel.load(MODEL)) {
            sequential = m.info().sha256();
        } finally {
            System.clearProperty(OnnxModel.PARALLEL_DIGEST);
        }
        assertThat(parallel).isEqualTo(expected).isEqualTo(sequential);
    }

    @Test
    void modelThatIsNotOnnx_stillFailsAtLoadWithAOneLineError() throws Exception {
        Path f = Files.createTempFile("explain4j-digest", ".onnx");
        try {
            Files.write(f, "not a model".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            assertThatThrownBy(() -> OnnxModel.load(f)).isInstanceOf(Explain4jException.class)
                    .hasMessageContaining("--model").satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        } finally {
            Files.deleteIfExists(f);
        }
    }
}
