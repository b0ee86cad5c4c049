package org.explain4j.onnx.grad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.explain4j.onnx.grad.TestModels.FLOAT;
import static org.explain4j.onnx.grad.TestModels.INT64;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnxruntime.OnnxTensor;
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
import org.explain4j.onnx.OnnxModel;
import org.junit.jupiter.api.Test;

/** Session caching, native resources and closing. */
class OnnxDifferentiableModelTest {
    private final Random rnd = new Random(53);

    private ModelProto model() {
        return TestModels.opset(13).input("x", FLOAT, -1, 4).random("W", FLOAT, rnd, -1, 1, 4, 3)
                .node("MatMul", List.of("x", "W"), List.of("a")).node("Tanh", "a", "y").output("y", FLOAT).build();
    }

    @Test
    void compiledSessionsAreCachedPerRequestAndShape() {
        try (OnnxDifferentiableModel m = GradCheck.load(model())) {
            BackwardRequest plain = BackwardRequest.gradientOfInput();
            OnnxDifferentiableModel.Compiled first = m.compiled(plain, new int[] {2, 4});
            assertThat(m.compiled(BackwardRequest.gradientOfInput(), new int[] {2, 4})).isSameAs(first);
            assertThat(m.compiled(plain, new int[] {2, 4}).session()).isSameAs(first.session());
            // the order of captures does not matter; the shape, the captures and the rules do
            BackwardRequest ab = plain.withCaptures(List.of("a", "y"));
            assertThat(m.compiled(plain.withCaptures(List.of("y", "a")), new int[] {2, 4}))
                    .isSameAs(m.compiled(ab, new int[] {2, 4}));
            assertThat(m.compiled(plain, new int[] {3, 4})).isNotSameAs(first);
            assertThat(m.compiled(plain.withRules(new RuleSet("other", List.of())), new int[] {2, 4}))
                    .isNotSameAs(first);
            assertThat(m.compiledCount()).isEqualTo(4);
            Tensor x = GradCheck.random(rnd, DType.FLOAT32, -1, 1, 2, 4);
            m.backward(x, Tensor.full(DType.FLOAT32, 1, 2, 3), plain);
            m.backward(x, Tensor.full(DType.FLOAT32, 1, 2, 3), plain);
            assertThat(m.compiledCount()).isEqualTo(4);
            m.model().close();
        }
    }

    @Test
    void noNativeTensorIsLeftOpenWhenARunSucceedsOrThrows() {
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
            assertThat(created).hasSize(3).allMatch(OnnxTensor::isClosed);
            created.clear();
            assertThatThrownBy(() -> dm.backward(Tensor.ofLongs(new long[] {1, 9}, 1, 2), seed, req))
                    .isInstanceOfSatisfying(Explain4jException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.MODEL));
            assertThat(created).hasSize(3).allMatch(OnnxTensor::isClosed);
            dm.model().close();
        }
    }

    @Test
    void closeReleasesOnlyItsOwnSessions() {
        OnnxDifferentiableModel m = GradCheck.load(model());
        OnnxModel inner = m.model();
        Tensor x = GradCheck.random(rnd, DType.FLOAT32, -1, 1, 2, 4);
        m.backward(x, Tensor.full(DType.FLOAT32, 1, 2, 3), BackwardRequest.gradientOfInput());
        m.close();
        assertThat(m.compiledCount()).isZero();
        assertThat(inner.forward(x).shape()).containsExactly(2, 3);
        assertThatThrownBy(() -> m.backward(x, Tensor.full(DType.FLOAT32, 1, 2, 3), BackwardRequest.gradientOfInput()))
                .isInstanceOf(Explain4jException.class).hasMessageContaining("closed");
        inner.close();
    }

    @Test
    void forwardSignatureAndInfoDelegate() {
        try (OnnxDifferentiableModel m = GradCheck.load(model())) {
            Tensor x = GradCheck.random(rnd, DType.FLOAT32, -1, 1, 2, 4);
            assertThat(m.forward(x)).isEqualTo(m.model().forward(x));
            assertThat(m.signature()).isSameAs(m.model().signature());
            assertThat(m.info()).isEqualTo(m.model().info());
            // a float64 input and seed are accepted for a float32 model
            BackwardResult r = m.backward(x.to(DType.FLOAT64), Tensor.full(DType.FLOAT64, 1, 2, 3),
                    BackwardRequest.gradientOfInput());
            assertThat(r.inputGradient().get().dtype()).isEqualTo(DType.FLOAT32);
            m.model().close();
        }
    }
}
