package org.explain4j.onnx.grad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.explain4j.onnx.grad.TestModels.FLOAT;

import ai.onnx.proto.OnnxMl.ModelProto;
import java.util.List;
import java.util.Random;
import org.explain4j.core.Attribution;
import org.explain4j.core.DType;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.grad.BackwardRequest;
import org.explain4j.core.grad.BackwardResult;
import org.explain4j.core.method.IntegratedGradients;
import org.junit.jupiter.api.Test;

/**
 * {@link OnnxDifferentiableModel#prepare}: the backward session made in the background is the one
 * the backward pass uses, with bit-identical results; its errors surface on the calling thread as
 * without it; a prepared session that is never used is closed with the model.
 */
class PreparedBackwardTest {
    private final Random rnd = new Random(71);

    private ModelProto model() {
        return TestModels.opset(13).input("x", FLOAT, -1, 4).random("W", FLOAT, new Random(5), -1, 1, 4, 3)
                .node("MatMul", List.of("x", "W"), List.of("a")).node("Tanh", "a", "b")
                .node("Relu", "b", "y").output("y", FLOAT).build();
    }

    @Test
    void preparedSession_isTheOneUsed_andGivesBitIdenticalGradients() {
        Tensor x = GradCheck.random(rnd, DType.FLOAT32, -2, 2, 5, 4);
        Tensor seed = GradCheck.random(rnd, DType.FLOAT32, -1, 1, 5, 3);
        BackwardRequest req = BackwardRequest.gradientOfInput().withCaptures(List.of("a"));
        BackwardResult sequential;
        try (OnnxDifferentiableModel m = GradCheck.load(model())) {
            sequential = m.backward(x, seed, req);
            m.model().close();
        }
        try (OnnxDifferentiableModel m = GradCheck.load(model())) {
            m.prepare(req, 5, 4);
            // the forward pass runs on this thread while the session is made
            assertThat(m.forward(x).shape()).containsExactly(5, 3);
            m.awaitPrepared();
            assertThat(m.compiledCount()).as("sessions after prepare").isEqualTo(1);
            OnnxDifferentiableModel.Compiled prepared = m.compiled(req, new int[] {5, 4});
            BackwardResult r = m.backward(x, seed, req);
            assertThat(m.compiledCount()).as("the backward pass used the prepared session, no new one").isEqualTo(1);
            assertThat(m.compiled(req, new int[] {5, 4})).isSameAs(prepared);
            assertThat(prepared.users).as("calls holding the prepared session after the pass").isZero();
            assertThat(r.inputGradient().orElseThrow().toFloatArray())
                    .isEqualTo(sequential.inputGradient().orElseThrow().toFloatArray());
            assertThat(r.activations().get("a").toFloatArray()).isEqualTo(sequential.activations().get("a").toFloatArray());
            assertThat(r.output().toFloatArray()).isEqualTo(sequential.output().toFloatArray());
            m.model().close();
        }
    }

    @Test
    void backwardCall_joinsAPreparationStillRunning() {
        Tensor x = GradCheck.random(rnd, DType.FLOAT32, -2, 2, 3, 4);
        Tensor seed = Tensor.full(DType.FLOAT32, 1, 3, 3);
        try (OnnxDifferentiableModel m = GradCheck.load(model())) {
            for (int i = 0; i < 4; i++) {
                m.prepare(BackwardRequest.gradientOfInput(), 3, 4);
            }
            // no wait: the call finds the session made, or waits for the thread making it
            BackwardResult r = m.backward(x, seed, BackwardRequest.gradientOfInput());
            m.awaitPrepared();
            assertThat(m.compiledCount()).as("one session for four preparations and a call").isEqualTo(1);
            assertThat(r.inputGradient().orElseThrow().shape()).containsExactly(3, 4);
            m.model().close();
        }
    }

    @Test
    void finishedPreparations_areNotKept_byALongLivedModel() throws InterruptedException {
        try (OnnxDifferentiableModel m = GradCheck.load(model())) {
            for (int i = 0; i < 6; i++) {
                m.prepare(BackwardRequest.gradientOfInput(), 2 + i % 2, 4);
            }
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (m.preparingCount() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            // a service keeps its model for its lifetime: each finished preparation leaves the list
            assertThat(m.preparingCount()).as("preparation threads still held after they finished").isZero();
            assertThat(m.compiledCount()).as("two shapes").isEqualTo(2);
        }
    }

    @Test
    void errorDuringPreparation_surfacesOnTheCallingThreadAsWithoutIt() {
        Tensor x = GradCheck.random(rnd, DType.FLOAT32, -2, 2, 2, 4);
        Tensor seed = Tensor.full(DType.FLOAT32, 1, 2, 3);
        BackwardRequest bad = BackwardRequest.gradientOfInput().withCaptures(List.of("no_such_tensor"));
        String expected;
        try (OnnxDifferentiableModel m = GradCheck.load(model())) {
            Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> m.backward(x, seed, bad));
            assertThat(t).isInstanceOf(Explain4jException.class);
            expected = t.getMessage();
            m.model().close();
        }
        assertThat(expected).contains("no_such_tensor").doesNotContain("\n");
        try (OnnxDifferentiableModel m = GradCheck.load(model())) {
            m.prepare(bad, 2, 4);
            m.awaitPrepared();
            assertThat(m.compiledCount()).as("nothing stored by a failed preparation").isZero();
            assertThatThrownBy(() -> m.backward(x, seed, bad)).isInstanceOf(Explain4jException.class)
                    .hasMessage(expected);
            // the model still works for a good request
            assertThat(m.backward(x, seed, BackwardRequest.gradientOfInput()).inputGradient()).isPresent();
            m.model().close();
        }
    }

    @Test
    void preparedButUnusedSession_isClosedWithTheModel() {
        OnnxDifferentiableModel m = GradCheck.load(model());
        m.prepare(BackwardRequest.gradientOfInput(), 7, 4);
        m.awaitPrepared();
        OnnxDifferentiableModel.Compiled c = m.compiled(BackwardRequest.gradientOfInput(), new int[] {7, 4});
        assertThat(c.sessionClosed()).as("prepared session before close").isFalse();
        assertThat(c.users).as("calls holding the unused prepared session").isZero();
        m.close();
        assertThat(c.sessionClosed()).as("prepared, unused session after close").isTrue();
        assertThat(m.compiledCount()).isZero();
        m.model().close();
    }

    @Test
    void closeWaitsForAPreparationStillRunning_andLeavesNoSessionOpen() {
        OnnxDifferentiableModel m = GradCheck.load(model());
        m.prepare(BackwardRequest.gradientOfInput(), 6, 4);
        m.close(); // joins the preparation; a session it made is closed, or it made none
        assertThat(m.compiledCount()).isZero();
        assertThatThrownBy(() -> m.backward(GradCheck.random(rnd, DType.FLOAT32, -1, 1, 6, 4),
                Tensor.full(DType.FLOAT32, 1, 6, 3), BackwardRequest.gradientOfInput()))
                .isInstanceOf(Explain4jException.class).hasMessageContaining("closed");
        m.model().close();
    }

    @Test
    void integratedGradients_sameBitsWithAndWithoutBackgroundPreparation() {
        Tensor x = GradCheck.random(rnd, DType.FLOAT32, -2, 2, 3, 4);
        IntegratedGradients.Options o = IntegratedGradients.Options.defaults().withSteps(20).withBatchSize(25);
        float[] off;
        float[] on;
        String before = System.getProperty(OnnxDifferentiableModel.PREPARE);
        try {
            System.setProperty(OnnxDifferentiableModel.PREPARE, "off");
            try (OnnxDifferentiableModel m = GradCheck.load(model())) {
                off = new IntegratedGradients(m, o).attribute(x, Target.classIndex(1)).values().toFloatArray();
                assertThat(m.compiledCount()).as("sessions without preparation: the 25-row and the 10-row batch").isEqualTo(2);
                m.model().close();
            }
            System.clearProperty(OnnxDifferentiableModel.PREPARE);
            try (OnnxDifferentiableModel m = GradCheck.load(model())) {
                Attribution a = new IntegratedGradients(m, o).attribute(x, Target.classIndex(1));
                on = a.values().toFloatArray();
                m.awaitPrepared();
                assertThat(m.compiledCount()).as("the prepared 25-row session was used: no third one").isEqualTo(2);
                m.model().close();
            }
        } finally {
            if (before == null) {
                System.clearProperty(OnnxDifferentiableModel.PREPARE);
            } else {
                System.setProperty(OnnxDifferentiableModel.PREPARE, before);
            }
        }
        assertThat(on).isEqualTo(off);
        assertThat(on).as("a real attribution, not zeros").isNotEqualTo(new float[on.length]);
    }
}
