package org.explain4j.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OrtSession;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.explain4j.core.DType;
import org.explain4j.core.ErrorKind;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.io.Npy;
import org.explain4j.core.method.FeatureAblation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxModelTest {
    static final Path MODELS = Path.of("..", "fixtures", "models");

    @TempDir
    Path tmp;

    private static double maxAbsDiff(Tensor a, Tensor b) {
        double m = 0;
        for (int i = 0; i < a.size(); i++) {
            m = Math.max(m, Math.abs(a.getDouble(i) - b.getDouble(i)));
        }
        return m;
    }

    @Test
    void fixtureModels_matchPyTorchOutputs() {
        for (String name : List.of("linear", "mlp_softmax", "residual_cnn", "text_embedding_bag", "mlp_opset11", "mlp_opset17")) {
            try (OnnxModel m = OnnxModel.load(MODELS.resolve(name + ".onnx"))) {
                Tensor x = Npy.read(MODELS.resolve(name + "_x.npy"));
                Tensor expected = Npy.read(MODELS.resolve(name + "_expected.npy"));
                Tensor y = m.forward(x);
                assertThat(y.shape()).as(name).containsExactly(expected.dim(0), expected.size() / expected.dim(0));
                assertThat(maxAbsDiff(y, expected)).as(name).isLessThan(1e-4);
            }
        }
    }

    @Test
    void signature_reportsTypeShapeAndDynamicBatch() {
        try (OnnxModel m = OnnxModel.load(MODELS.resolve("residual_cnn.onnx"))) {
            assertThat(m.signature().inputType()).isEqualTo(DType.FLOAT32);
            assertThat(m.signature().exampleShape()).containsExactly(3, 12, 12);
            assertThat(m.signature().outputSize()).isEqualTo(5);
            Tensor x = Npy.read(MODELS.resolve("residual_cnn_x.npy"));
            assertThat(m.forward(x.slice(0, 1)).shape()).containsExactly(1, 5);
            assertThat(m.forward(x).shape()).containsExactly(3, 5);
        }
    }

    @Test
    void tokenIdModel_takesInt64Inputs_andPerturbationMethodsWork() {
        try (OnnxModel m = OnnxModel.load(MODELS.resolve("text_embedding_bag.onnx"))) {
            assertThat(m.signature().inputType()).isEqualTo(DType.INT64);
            Tensor ids = Npy.read(MODELS.resolve("text_embedding_bag_x.npy"));
            var a = new FeatureAblation(m, FeatureAblation.Options.defaults()).attribute(ids, Target.of(1));
            assertThat(a.values().shape()).containsExactly(3, 7);
            assertThat(a.diagnostics().modelEvaluations()).isEqualTo(3 + 3 * 7);
        }
    }

    @Test
    void concurrentCalls_giveTheSameResultsAsSequentialOnes() throws Exception {
        try (OnnxModel m = OnnxModel.load(MODELS.resolve("residual_cnn.onnx"),
                OnnxModel.Options.defaults().withThreads(1).withOptimization(OrtSession.SessionOptions.OptLevel.BASIC_OPT))) {
            Tensor x = Npy.read(MODELS.resolve("residual_cnn_x.npy"));
            Tensor expected = m.forward(x);
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<Tensor>> futures = new ArrayList<>();
                for (int i = 0; i < 16; i++) {
                    futures.add(pool.submit(() -> m.forward(x)));
                }
                for (Future<Tensor> f : futures) {
                    assertThat(f.get()).isEqualTo(expected);
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void provenance_hashesTheFileAndTheFileIsNotModified() throws Exception {
        Path copy = tmp.resolve("linear.onnx");
        Files.copy(MODELS.resolve("linear.onnx"), copy);
        byte[] before = Files.readAllBytes(copy);
        long modified = Files.getLastModifiedTime(copy).toMillis();
        try (OnnxModel m = OnnxModel.load(copy)) {
            m.forward(Npy.read(MODELS.resolve("linear_x.npy")));
            assertThat(m.info().sha256()).hasSize(64).isEqualTo(OnnxModel.sha256(before));
        }
        assertThat(Files.readAllBytes(copy)).isEqualTo(before);
        assertThat(Files.getLastModifiedTime(copy).toMillis()).isEqualTo(modified);
    }

    @Test
    void float64Input_isConvertedForAFloat32Model() {
        try (OnnxModel m = OnnxModel.load(MODELS.resolve("linear.onnx"))) {
            Tensor x = Npy.read(MODELS.resolve("linear_x.npy"));
            assertThat(maxAbsDiff(m.forward(x.to(DType.FLOAT64)), m.forward(x))).isCloseTo(0.0, within(1e-7));
        }
    }

    @Test
    void badFiles_andNames_giveClearErrors() throws Exception {
        Path junk = tmp.resolve("junk.onnx");
        Files.write(junk, new byte[] {1, 2, 3, 4});
        assertThatThrownBy(() -> OnnxModel.load(junk))
                .isInstanceOfSatisfying(Explain4jException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.MODEL))
                .hasMessageContaining("--model");
        assertThatThrownBy(() -> OnnxModel.load(tmp.resolve("absent.onnx")))
                .isInstanceOfSatisfying(Explain4jException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.FILE));
        assertThatThrownBy(() -> OnnxModel.load(MODELS.resolve("linear.onnx"), OnnxModel.Options.defaults().withOutputName("nope")))
                .hasMessageContaining("no output named 'nope'");
    }
}
