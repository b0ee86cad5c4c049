package org.explain4j.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.explain4j.core.Attribution;
import org.explain4j.core.ErrorKind;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.io.Npy;
import org.explain4j.core.method.Saliency;
import org.explain4j.onnx.grad.OnnxDifferentiableModel;
import org.explain4j.onnx.grad.propagation.PropagationRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The forward session made on first use: the interface read without it is ONNX Runtime's own,
 * backward-only runs never make it, and a model ONNX Runtime rejects still fails at load.
 */
class OnnxModelLazySessionTest {
    static final Path MODELS = OnnxModelTest.MODELS;

    @TempDir
    Path tmp;

    /** Every ONNX model committed to the repository and the shared golden data. */
    static List<Path> committedModels() throws Exception {
        List<Path> all = new ArrayList<>();
        for (Path root : List.of(Path.of("..", "fixtures"), Path.of("..", "examples"), Path.of("..", "..", "shared", "golden"))) {
            try (Stream<Path> s = Files.walk(root)) {
                s.filter(p -> p.toString().endsWith(".onnx")).sorted().forEach(all::add);
            }
        }
        return all;
    }

    @Test
    void theInterfaceWithoutTheSession_isTheSessions_onEveryCommittedModel() throws Exception {
        List<Path> models = committedModels();
        // fixtures/models alone hold 21; the audio, text, real and golden models come on top
        assertThat(models).hasSizeGreaterThanOrEqualTo(27);
        for (Path model : models) {
            ModelInterface io = ModelInterface.of(OnnxModel.environment(), Files.readAllBytes(model),
                    OnnxModel.Options.defaults());
            assertThat(io).as("stand-in for %s", model).isNotNull();
            try (OrtSession s = OnnxModel.createSession(OnnxModel.environment(), model, OnnxModel.Options.defaults())) {
                assertSameInfo(model + " inputs", io.inputs(), s.getInputInfo());
                assertSameInfo(model + " outputs", io.outputs(), s.getOutputInfo());
            }
        }
    }

    private static void assertSameInfo(String what, Map<String, NodeInfo> got, Map<String, NodeInfo> want) {
        assertThat(List.copyOf(got.keySet())).as(what).isEqualTo(List.copyOf(want.keySet()));
        for (String name : want.keySet()) {
            Object g = got.get(name).getInfo();
            Object w = want.get(name).getInfo();
            if (w instanceof TensorInfo wt) {
                assertThat(g).as(what + " " + name).isInstanceOf(TensorInfo.class);
                TensorInfo gt = (TensorInfo) g;
                assertThat(gt.type).as(what + " " + name).isEqualTo(wt.type);
                assertThat(gt.onnxType).as(what + " " + name).isEqualTo(wt.onnxType);
                assertThat(gt.getShape()).as(what + " " + name).containsExactly(wt.getShape());
                assertThat(gt.getDimensionNames()).as(what + " " + name).containsExactly(wt.getDimensionNames());
            } else {
                assertThat(g.toString()).as(what + " " + name).isEqualTo(w.toString());
            }
        }
    }

    @Test
    void lazyAndEagerLoads_giveTheSameSignatureOrTheSameError_onEveryCommittedModel() throws Exception {
        int loaded = 0;
        for (Path model : committedModels()) {
            OnnxModel lazy = null;
            OnnxModel eager = null;
            RuntimeException lazyError = null;
            RuntimeException eagerError = null;
            try {
                lazy = OnnxModel.load(model, OnnxModel.Options.defaults(), true);
            } catch (RuntimeException e) {
                lazyError = e;
            }
            try {
                eager = OnnxModel.load(model, OnnxModel.Options.defaults(), false);
            } catch (RuntimeException e) {
                eagerError = e;
            }
            try {
                if (eagerError != null) {
                    // several inputs and none named: the same one-line choice in both
                    assertThat(lazyError).as(model.toString()).isNotNull();
                    assertThat(lazyError.getMessage()).as(model.toString()).isEqualTo(eagerError.getMessage());
                    continue;
                }
                assertThat(lazyError).as(model.toString()).isNull();
                assertThat(lazy.signature()).as(model.toString()).isEqualTo(eager.signature());
                assertThat(lazy.signature().outputSize()).as(model.toString()).isEqualTo(eager.signature().outputSize());
                assertThat(lazy.outputName()).as(model.toString()).isEqualTo(eager.outputName());
                assertThat(lazy.info()).as(model.toString()).isEqualTo(eager.info());
                assertThat(lazy.forwardSessionsCreated()).as(model.toString()).isZero();
                assertThat(eager.forwardSessionsCreated()).as(model.toString()).isEqualTo(1);
                loaded++;
            } finally {
                if (lazy != null) {
                    lazy.close();
                }
                if (eager != null) {
                    eager.close();
                }
            }
        }
        assertThat(loaded).isGreaterThanOrEqualTo(20);
    }

    @Test
    void saliency_makesNoForwardSession_andTheForwardPassThenWorksLazilyFromManyThreads() throws Exception {
        Tensor x = Npy.read(MODELS.resolve("residual_cnn_x.npy"));
        Tensor expected = Npy.read(MODELS.resolve("residual_cnn_expected.npy"));
        try (OnnxModel eagerBase = OnnxModel.load(MODELS.resolve("residual_cnn.onnx"), OnnxModel.Options.defaults(), false);
             OnnxDifferentiableModel eager = new OnnxDifferentiableModel(eagerBase, PropagationRegistry.standard());
             OnnxModel base = OnnxModel.load(MODELS.resolve("residual_cnn.onnx"), OnnxModel.Options.defaults(), true);
             OnnxDifferentiableModel m = new OnnxDifferentiableModel(base, PropagationRegistry.standard())) {
            Attribution a = new Saliency(m, Saliency.Options.defaults()).attribute(x, Target.of(1));
            assertThat(base.forwardSessionsCreated()).isZero();
            assertThat(base.forwardSessionOpen()).isFalse();
            Attribution b = new Saliency(eager, Saliency.Options.defaults()).attribute(x, Target.of(1));
            assertThat(a.values().toDoubleArray()).containsExactly(b.values().toDoubleArray());
            assertThat(maxAbs(a.values().toDoubleArray())).isGreaterThan(0);

            // the first forward passes race to make the session: one is made, all see the same outputs
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Future<Tensor>> runs = new ArrayList<>();
                for (int i = 0; i < 16; i++) {
                    runs.add(pool.submit(() -> base.forward(x)));
                }
                double[] want = eagerBase.forward(x).toDoubleArray();
                for (Future<Tensor> r : runs) {
                    assertThat(r.get().toDoubleArray()).containsExactly(want);
                }
            } finally {
                pool.shutdown();
            }
            assertThat(base.forwardSessionsCreated()).isEqualTo(1);
            assertThat(base.forwardSessionOpen()).isTrue();
            double gap = 0;
            double[] y = base.forward(x).toDoubleArray();
            for (int i = 0; i < y.length; i++) {
                gap = Math.max(gap, Math.abs(y[i] - expected.getDouble(i)));
            }
            assertThat(gap).isLessThan(1e-4);
        }
    }

    @Test
    void aViewSharesTheLazySession_andAClosedModelRefusesToMakeOne() throws Exception {
        Path model = MODELS.resolve("bert_layer.onnx");
        OnnxModel m = OnnxModel.load(model, OnnxModel.Options.defaults().withInputName("input_ids"), true);
        OnnxModel view = m.explaining("attention_mask");
        assertThat(view.signature().inputName()).isEqualTo("attention_mask");
        Tensor ids = Npy.read(MODELS.resolve("bert_layer_input_ids.npy"));
        Tensor mask = Npy.read(MODELS.resolve("bert_layer_attention_mask.npy"));
        Tensor types = Npy.read(MODELS.resolve("bert_layer_token_type_ids.npy"));
        Tensor y = view.forward(mask, Map.of("input_ids", ids, "token_type_ids", types));
        assertThat(m.forwardSessionsCreated()).isEqualTo(1);
        Tensor z = m.forward(ids, Map.of("attention_mask", mask, "token_type_ids", types));
        assertThat(m.forwardSessionsCreated()).isEqualTo(1);
        assertThat(z.toDoubleArray()).containsExactly(y.toDoubleArray());
        Tensor expected = Npy.read(MODELS.resolve("bert_layer_expected.npy"));
        for (int i = 0; i < expected.size(); i++) {
            assertThat(Math.abs(z.getDouble(i) - expected.getDouble(i))).isLessThan(1e-4);
        }
        view.close(); // a view never closes its model's session
        assertThat(m.forwardSessionOpen()).isTrue();
        m.close();
        assertThat(m.forwardSessionOpen()).isFalse();
        OnnxModel unused = OnnxModel.load(model, OnnxModel.Options.defaults().withInputName("input_ids"), true);
        unused.close();
        assertThatThrownBy(() -> unused.forward(ids, Map.of("attention_mask", mask, "token_type_ids", types)))
                .isInstanceOf(Explain4jException.class).hasMessageContaining("is closed");
        assertThat(unused.forwardSessionsCreated()).isZero();
    }

    @Test
    void theLazySession_isMadeFromTheBytesReadAtLoad_evenWhenTheFileIsGone() throws Exception {
        Path copy = tmp.resolve("copy.onnx");
        Files.copy(MODELS.resolve("linear.onnx"), copy);
        Tensor x = Npy.read(MODELS.resolve("linear_x.npy"));
        Tensor expected = Npy.read(MODELS.resolve("linear_expected.npy"));
        try (OnnxModel m = OnnxModel.load(copy, OnnxModel.Options.defaults(), true)) {
            Files.delete(copy);
            double[] y = m.forward(x).toDoubleArray();
            assertThat(m.forwardSessionsCreated()).isEqualTo(1);
            for (int i = 0; i < y.length; i++) {
                assertThat(Math.abs(y[i] - expected.getDouble(i))).isLessThan(1e-4);
            }
        }
    }

    @Test
    void aModelOnnxRuntimeRejects_failsAtLoad_withTheSameErrorAsAnEagerLoad() throws Exception {
        ModelProto p = ModelProto.parseFrom(Files.readAllBytes(MODELS.resolve("residual_cnn.onnx")));
        var g = p.getGraph().toBuilder();
        g.setNode(1, g.getNode(1).toBuilder().setOpType("NoSuchOperator"));
        Path bad = tmp.resolve("bad.onnx");
        Files.write(bad, p.toBuilder().setGraph(g).build().toByteArray());
        Explain4jException lazy = catchModelError(bad, true);
        Explain4jException eager = catchModelError(bad, false);
        assertThat(lazy.getMessage()).isEqualTo(eager.getMessage()).contains("could not be loaded by ONNX Runtime")
                .contains("NoSuchOperator");
        assertThat(lazy.kind()).isEqualTo(ErrorKind.MODEL);
    }

    private static Explain4jException catchModelError(Path model, boolean lazy) {
        try {
            OnnxModel.load(model, OnnxModel.Options.defaults(), lazy).close();
        } catch (Explain4jException e) {
            return e;
        }
        throw new AssertionError("loading " + model + " did not fail (lazy " + lazy + ")");
    }

    private static double maxAbs(double[] v) {
        double m = 0;
        for (double d : v) {
            m = Math.max(m, Math.abs(d));
        }
        return m;
    }
}
