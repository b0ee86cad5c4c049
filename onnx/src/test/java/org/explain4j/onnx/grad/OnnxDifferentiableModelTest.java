package org.explain4j.onnx.grad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.explain4j.onnx.grad.TestModels.FLOAT;
import static org.explain4j.onnx.grad.TestModels.INT64;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnxruntime.OnnxTensor;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.explain4j.core.DType;
import org.explain4j.core.ErrorKind;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.core.grad.BackwardRequest;
import org.explain4j.core.grad.BackwardResult;
import org.explain4j.core.grad.RuleSet;
import org.explain4j.core.io.Npy;
import org.explain4j.onnx.OnnxModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Forward and gradient values on the committed fixtures, session caching, native resources and closing. */
class OnnxDifferentiableModelTest {
    private static final Path FIXTURES = Path.of("..", "fixtures", "models");
    private final Random rnd = new Random(53);

    private ModelProto model() {
        return TestModels.opset(13).input("x", FLOAT, -1, 4).random("W", FLOAT, rnd, -1, 1, 4, 3)
                .node("MatMul", List.of("x", "W"), List.of("a")).node("Tanh", "a", "y").output("y", FLOAT).build();
    }

    @Test
    void sameRequestAndShape_reuseTheCompiledSession() {
        try (OnnxDifferentiableModel m = GradCheck.load(model())) {
            BackwardRequest plain = BackwardRequest.gradientOfInput();
            OnnxDifferentiableModel.Compiled first = m.compiled(plain, new int[] {2, 4});
            assertThat(m.compiled(BackwardRequest.gradientOfInput(), new int[] {2, 4})).as("an equal request and shape, expected the cached session").isSameAs(first);
            assertThat(m.compiled(plain, new int[] {2, 4}).session()).isSameAs(first.session());
            // the order of captures does not matter; the shape, the captures and the rules do
            BackwardRequest ab = plain.withCaptures(List.of("a", "y"));
            assertThat(m.compiled(plain.withCaptures(List.of("y", "a")), new int[] {2, 4}))
                    .as("captures in another order, expected the cached session").isSameAs(m.compiled(ab, new int[] {2, 4}));
            assertThat(m.compiled(plain, new int[] {3, 4})).as("another batch size, expected a new session").isNotSameAs(first);
            assertThat(m.compiled(plain.withRules(new RuleSet("other", List.of())), new int[] {2, 4}))
                    .as("other rules, expected a new session").isNotSameAs(first);
            assertThat(m.compiledCount()).as("compiled sessions: (2,4), (2,4)+captures, (3,4), other rules").isEqualTo(4);
            Tensor x = GradCheck.random(rnd, DType.FLOAT32, -1, 1, 2, 4);
            m.backward(x, Tensor.full(DType.FLOAT32, 1, 2, 3), plain);
            m.backward(x, Tensor.full(DType.FLOAT32, 1, 2, 3), plain);
            assertThat(m.compiledCount()).as("backward runs of a compiled request, expected no new session").isEqualTo(4);
            m.model().close();
        }
    }

    @Test
    void runThatSucceedsOrThrows_leavesNoNativeTensorOpen() {
        // an embedding lookup: an out-of-range id makes ONNX Runtime fail during the run
        ModelProto m = TestModels.opset(13).input("ids", INT64, -1, 2).random("W", FLOAT, rnd, -1, 1, 5, 3)
                .node("Identity", "W", "table")
                .node("Gather", List.of("table", "ids"), List.of("emb"))
                .node("Flatten", "emb", "y").output("y", FLOAT).build();
        try (OnnxDifferentiableModel dm = GradCheck.load(m)) {
            List<OnnxTensor> created = new ArrayList<>();
            dm.onTensorCreated(created::add);
            BackwardRequest req = BackwardRequest.gradientOfInput().withInputGradient(false)
                    .withCaptures(List.of("emb")).withFeeds(Map.of("table", Tensor.zeros(DType.FLOAT32, 5, 3)));
            Tensor seed = Tensor.full(DType.FLOAT32, 1, 1, 6);
            BackwardResult ok = dm.backward(Tensor.ofLongs(new long[] {1, 4}, 1, 2), seed, req);
            assertThat(ok.gradients()).containsKeys("emb", "table");
            assertThat(created).as("native tensors of a successful run (ids, table feed, seed), expected all closed").hasSize(3).allMatch(OnnxTensor::isClosed);
            created.clear();
            assertThatThrownBy(() -> dm.backward(Tensor.ofLongs(new long[] {1, 9}, 1, 2), seed, req))
                    .isInstanceOfSatisfying(Explain4jException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.MODEL));
            assertThat(created).as("native tensors of a failed run, expected all closed").hasSize(3).allMatch(OnnxTensor::isClosed);
            dm.model().close();
        }
    }

    @Test
    void close_releasesOnlyItsOwnSessions() {
        OnnxDifferentiableModel m = GradCheck.load(model());
        OnnxModel inner = m.model();
        Tensor x = GradCheck.random(rnd, DType.FLOAT32, -1, 1, 2, 4);
        m.backward(x, Tensor.full(DType.FLOAT32, 1, 2, 3), BackwardRequest.gradientOfInput());
        m.close();
        assertThat(m.compiledCount()).as("sessions after close").isZero();
        assertThat(inner.forward(x).shape()).as("the wrapped model still runs after close").containsExactly(2, 3);
        assertThatThrownBy(() -> m.backward(x, Tensor.full(DType.FLOAT32, 1, 2, 3), BackwardRequest.gradientOfInput()))
                .isInstanceOf(Explain4jException.class).hasMessageContaining("closed");
        inner.close();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"linear", "mlp_softmax", "mlp_opset11", "mlp_opset17", "residual_cnn", "text_embedding_bag",
                            "text_embedding_bag_loop"})
    void fixtureModel_forwardAndBackwardOutputMatchPyTorch(String name) {
        Tensor x = Npy.read(FIXTURES.resolve(name + "_x.npy"));
        double[] expected = Npy.read(FIXTURES.resolve(name + "_expected.npy")).toDoubleArray();
        try (OnnxModel onnx = OnnxModel.load(FIXTURES.resolve(name + ".onnx"));
             OnnxDifferentiableModel m = new OnnxDifferentiableModel(onnx)) {
            Tensor out = m.forward(x);
            assertThat(out.shape()).as("%s: output shape, expected PyTorch's", name).containsExactly(3, expected.length / 3);
            GradCheck.assertClose(name + ": forward output, expected PyTorch's (" + name + "_expected.npy)",
                    out.toDoubleArray(), expected, 1e-5);
            assertThat(m.signature()).as("signature delegates to the wrapped model").isSameAs(onnx.signature());
            assertThat(m.info()).as("info delegates to the wrapped model").isEqualTo(onnx.info());
            if (x.dtype() == DType.FLOAT32) {
                // the backward session computes the same forward output
                BackwardResult r = m.backward(x, Tensor.full(DType.FLOAT32, 1, out.shape()), BackwardRequest.gradientOfInput());
                GradCheck.assertClose(name + ": output of the backward session, expected PyTorch's",
                        r.output().toDoubleArray(), expected, 1e-5);
            }
        }
    }

    @Test
    void linearModel_inputGradientIsSeedTimesWeights_forFloat32AndFloat64Inputs() throws Exception {
        // linear.onnx is Gemm(x, W, b) with y = x W^T + b (transB = 1), W of shape (3, 6):
        // d sum(seed * y) / dx = seed W
        Path file = FIXTURES.resolve("linear.onnx");
        ModelProto proto = ModelProto.parseFrom(Files.readAllBytes(file));
        NodeProto gemm = proto.getGraph().getNode(0);
        assertThat(gemm.getOpType()).as("linear.onnx's only node").isEqualTo("Gemm");
        assertThat(gemm.getAttributeList()).as("Gemm with transB = 1, alpha = 1")
                .anyMatch(a -> a.getName().equals("transB") && a.getI() == 1)
                .noneMatch(a -> a.getName().equals("alpha") && a.getF() != 1f);
        double[] w = initializer(proto, gemm.getInput(1));
        assertThat(w).as("weights of Linear(6, 3)").hasSize(18);
        Tensor x = Npy.read(FIXTURES.resolve("linear_x.npy"));
        double[] seed = {1, 0, 0, 0, 1, 0, 0.5, -2, 3};
        double[] expected = new double[3 * 6];
        for (int n = 0; n < 3; n++) {
            for (int i = 0; i < 6; i++) {
                for (int j = 0; j < 3; j++) {
                    expected[n * 6 + i] += seed[n * 3 + j] * w[j * 6 + i];
                }
            }
        }
        try (OnnxModel onnx = OnnxModel.load(file); OnnxDifferentiableModel m = new OnnxDifferentiableModel(onnx)) {
            for (DType type : List.of(DType.FLOAT32, DType.FLOAT64)) {
                // a float64 input and seed are accepted for a float32 model (and computed in float32)
                BackwardResult r = m.backward(x.to(type), Tensor.ofDoubles(seed, 3, 3).to(type),
                        BackwardRequest.gradientOfInput());
                Tensor g = r.inputGradient().orElseThrow();
                assertThat(g.dtype()).as("gradient type for a %s input: the model's", type).isEqualTo(DType.FLOAT32);
                assertThat(g.shape()).as("gradient shape, expected the input's").containsExactly(3, 6);
                GradCheck.assertClose("input gradient for a " + type + " input, expected seed W", g.toDoubleArray(),
                        expected, 1e-6);
            }
            // and the same from central finite differences of the forward pass (exact up to rounding: it is linear)
            GradCheck.assertClose("seed W, expected equal to central finite differences", expected,
                    GradCheck.numeric(m::forward, x, Tensor.ofDoublesAsFloats(seed, 3, 3), 1e-2), 1e-4);
        }
    }

    @Test
    void capture_returnsTheForwardValuesOfTheLayerAndTheOutput_fromAForwardOnlySession() {
        ModelProto proto = model();
        try (OnnxDifferentiableModel m = GradCheck.load(proto)) {
            Tensor x = GradCheck.random(rnd, DType.FLOAT32, -1, 1, 3, 4);
            BackwardResult c = m.capture(x, List.of("a"), Map.of());
            assertThat(m.captureCount()).as("capture sessions after one capture").isEqualTo(1);
            assertThat(m.compiledCount()).as("backward graphs built by a capture, expected none").isZero();
            // a = x W, y = tanh(a): the captured a is x W and the output is tanh of it, row by row
            double[] w = initializer(proto, "W");
            double[] a = c.activations().get("a").toDoubleArray();
            double[] y = c.output().toDoubleArray();
            assertThat(c.activations().get("a").shape()).containsExactly(3, 3);
            assertThat(c.output().shape()).containsExactly(3, 3);
            assertThat(c.gradients()).as("a capture computes no gradient").isEmpty();
            for (int r = 0; r < 3; r++) {
                for (int j = 0; j < 3; j++) {
                    double s = 0;
                    for (int k = 0; k < 4; k++) {
                        s += x.getDouble(r * 4 + k) * w[k * 3 + j];
                    }
                    assertThat(a[r * 3 + j]).as("a[%d][%d]", r, j).isCloseTo(s, org.assertj.core.data.Offset.offset(1e-5));
                    assertThat(y[r * 3 + j]).as("y[%d][%d]", r, j).isCloseTo(Math.tanh(s), org.assertj.core.data.Offset.offset(1e-5));
                }
            }
            // the same values as the backward pass's activations, and one session per set of names
            BackwardResult b = m.backward(x, Tensor.zeros(DType.FLOAT32, 3, 3),
                    BackwardRequest.gradientOfInput().withInputGradient(false).withCaptures(List.of("a")));
            GradCheck.assertClose("captured a against the backward pass's", b.activations().get("a").toDoubleArray(), a, 1e-6);
            m.capture(x.slice(0, 1), List.of("a"), Map.of());
            assertThat(m.captureCount()).as("capture sessions after a capture of another batch size").isEqualTo(1);
        }
    }

    @Test
    void theBatchSizeEstimatesProbe_servesTheBackwardGraphOfTheSameShape() {
        try (OnnxDifferentiableModel m = GradCheck.load(model())) {
            Tensor row = GradCheck.random(rnd, DType.FLOAT32, -1, 1, 1, 4);
            long bytes = m.bytesPerRow(row, Map.of(), org.explain4j.core.engine.RowMemory.Call.FORWARD).orElseThrow();
            // x (4), a (3) and y (3) floats of one row
            assertThat(bytes).isEqualTo(4L * (4 + 3 + 3));
            assertThat(m.probeRuns()).isEqualTo(1);
            BackwardResult one = m.backward(row, Tensor.full(DType.FLOAT32, 1, 1, 3), BackwardRequest.gradientOfInput());
            assertThat(m.probeRuns()).as("a backward graph for one row, expected the estimate's probe reused").isEqualTo(1);
            assertThat(one.inputGradient()).isPresent();
            m.backward(GradCheck.random(rnd, DType.FLOAT32, -1, 1, 2, 4), Tensor.full(DType.FLOAT32, 1, 2, 3),
                    BackwardRequest.gradientOfInput());
            assertThat(m.probeRuns()).as("another shape, expected a probe of its own").isEqualTo(2);
        }
    }

    @Test
    void capture_ofANameNoNodeProduces_goesThroughTheBackwardGraph_andAMissingNameIsAUsageError() {
        try (OnnxDifferentiableModel m = GradCheck.load(model())) {
            Tensor x = GradCheck.random(rnd, DType.FLOAT32, -1, 1, 2, 4);
            BackwardResult c = m.capture(x, List.of("x"), Map.of());
            assertThat(c.activations().get("x").toDoubleArray()).as("the input captured").containsExactly(x.toDoubleArray());
            GradCheck.assertClose("the output beside it", c.output().toDoubleArray(), m.forward(x).toDoubleArray(), 1e-6);
            assertThat(m.captureCount()).as("no capture session for the input").isZero();
            assertThatThrownBy(() -> m.capture(x, List.of("nope"), Map.of()))
                    .isInstanceOf(Explain4jException.class).hasMessageContaining("no tensor 'nope'");
        }
    }

    private static double[] initializer(ModelProto proto, String name) {
        TensorProto t = proto.getGraph().getInitializerList().stream().filter(i -> i.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("expected an initializer named " + name));
        assertThat(t.getDataType()).as("%s: element type, expected float", name).isEqualTo(TensorProto.DataType.FLOAT_VALUE);
        if (t.getRawData().isEmpty()) {
            return t.getFloatDataList().stream().mapToDouble(Float::doubleValue).toArray();
        }
        FloatBuffer f = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        double[] v = new double[f.remaining()];
        for (int i = 0; i < v.length; i++) {
            v[i] = f.get(i);
        }
        return v;
    }

    /**
     * A backward session still in use when its model closes keeps the shared weights it reads
     * (ONNX Runtime does not copy them): they are freed when that session is released.
     */
    @Test
    void aSessionInUseWhenItsModelCloses_keepsItsSharedWeightsUntilReleased() throws Exception {
        // W: 64 x 64 float32, large enough to be shared
        ModelProto p = TestModels.opset(13).input("x", FLOAT, -1, 64).random("W", FLOAT, rnd, -1, 1, 64, 64)
                .node("MatMul", List.of("x", "W"), List.of("a")).node("Tanh", "a", "y").output("y", FLOAT).build();
        OnnxDifferentiableModel m = GradCheck.load(p);
        BackwardRequest plain = BackwardRequest.gradientOfInput();
        Tensor x = GradCheck.random(rnd, DType.FLOAT32, -1, 1, 2, 64);
        Tensor seed = Tensor.full(DType.FLOAT32, 1, 2, 64);
        Tensor expected = m.backward(x, seed, plain).inputGradient().orElseThrow();
        OnnxDifferentiableModel.Compiled c = m.compiled(plain, new int[] {2, 64});
        assertThat(SessionCache.global().acquire(c)).as("a call still running on the session").isTrue();
        try {
            m.close();
            assertThat(m.sharedWeightCount()).as("shared weights kept for the session in use").isEqualTo(1);
            BackwardGraph g = c.graph();
            ai.onnxruntime.OrtEnvironment env = org.explain4j.onnx.OnnxModel.environment();
            try (ai.onnxruntime.OnnxTensor tx = org.explain4j.onnx.OrtTensors.toOrt(env, x);
                 ai.onnxruntime.OnnxTensor ts = org.explain4j.onnx.OrtTensors.toOrt(env, seed);
                 ai.onnxruntime.OrtSession.Result r = c.session().run(Map.of(g.inputName(), tx, g.seedName(), ts))) {
                Tensor got = org.explain4j.onnx.OrtTensors.fromOrt(
                        (ai.onnxruntime.OnnxTensor) r.get(g.gradientOutputs().get(g.inputName())).orElseThrow());
                assertThat(got.toDoubleArray()).containsExactly(expected.toDoubleArray());
            }
        } finally {
            SessionCache.global().release(c);
        }
        assertThat(m.sharedWeightCount()).as("freed with the last session").isZero();
    }
}
