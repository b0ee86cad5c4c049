package org.explain4j.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.MethodCatalog;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.io.Npy;
import org.explain4j.core.metrics.Explainer;
import org.explain4j.core.metrics.MetricCatalog;
import org.explain4j.core.metrics.MetricInput;
import org.explain4j.core.metrics.MetricSpec;
import org.explain4j.onnx.grad.OnnxDifferentiableModel;
import org.explain4j.onnx.grad.ReweightedModel;
import org.explain4j.onnx.grad.propagation.PropagationRegistry;
import org.junit.jupiter.api.Test;

/**
 * MPRT's lookahead (the next randomised copy made and its backward session compiled on a helper
 * thread while the current copy is explained): the same scores to the bit as one copy after the
 * other, sessions really compiled ahead, and every copy's session closed once its explanation is
 * taken (at most two open at a time, none after the metric).
 */
class MprtPipelineTest {
    private static final Path MODEL = Path.of("../fixtures/models/residual_cnn.onnx");
    private static final Path DIGITS = Path.of("../examples/digits");

    /** Scores, copies' sessions compiled ahead, and the most copy sessions open at any explanation. */
    private record Run(double[] scores, int prepared, int mostOpen, int openAfter, int explanations) {
    }

    private static Run mprt(Path model, Tensor x, int[] targets, boolean pipelined, String method) {
        String old = System.getProperty("explain4j.mprt.lookahead");
        System.setProperty("explain4j.mprt.lookahead", pipelined ? "1" : "0");
        // the copies' own sessions (the path this test is about; the layer switch is LayerSwitchTest's)
        System.setProperty(RandomisableOnnxModel.SWITCHED, "off");
        int openBefore = ReweightedModel.openSessions();
        int preparedBefore = ReweightedModel.preparedSessions();
        AtomicInteger most = new AtomicInteger();
        List<Integer> calls = new ArrayList<>();
        Explainer e = (m, input, t) -> {
            most.accumulateAndGet(ReweightedModel.openSessions() - openBefore, Math::max);
            Tensor out = MethodCatalog.create(method, m, Map.of(), ProgressListener.NONE).attribute(input, Target.of(t))
                    .values();
            most.accumulateAndGet(ReweightedModel.openSessions() - openBefore, Math::max);
            calls.add(1);
            return out;
        };
        try (OnnxModel onnx = OnnxModel.load(model);
             OnnxDifferentiableModel d = new OnnxDifferentiableModel(onnx, PropagationRegistry.standard())) {
            RandomisableOnnxModel r = new RandomisableOnnxModel(onnx, d);
            try {
                Tensor a = e.explain(r, x, targets);
                calls.clear();
                MetricSpec spec = MetricCatalog.get("mprt");
                double[] s = spec.factory().create(spec.bind(Map.of())).evaluate(new MetricInput(r, x, a, targets,
                        Optional.empty(), Optional.of(e), 42, 64, ProgressListener.NONE)).values().toDoubleArray();
                return new Run(s, ReweightedModel.preparedSessions() - preparedBefore, most.get(),
                        ReweightedModel.openSessions() - openBefore, calls.size());
            } finally {
                r.close();
            }
        } finally {
            System.clearProperty(RandomisableOnnxModel.SWITCHED);
            if (old == null) {
                System.clearProperty("explain4j.mprt.lookahead");
            } else {
                System.setProperty("explain4j.mprt.lookahead", old);
            }
        }
    }

    private static long[] bits(double[] v) {
        long[] out = new long[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Double.doubleToRawLongBits(v[i]);
        }
        return out;
    }

    private static void check(Path model, Tensor x, int[] targets, int layers, String method) {
        Run seq = mprt(model, x, targets, false, method);
        Run pipe = mprt(model, x, targets, true, method);
        int columns = layers + 1;
        assertThat(seq.scores()).hasSize(x.batchSize() * columns);
        assertThat(bits(pipe.scores())).as("pipelined MPRT scores equal the sequential ones to the bit")
                .containsExactly(bits(seq.scores()));
        // the scores are the metric's: the original column is 1 (the attribution is the method's own),
        // and randomising every layer changes the explanation
        for (int n = 0; n < x.batchSize(); n++) {
            assertThat(pipe.scores()[n * columns]).isEqualTo(1.0);
            assertThat(pipe.scores()[n * columns + layers]).isLessThan(0.999);
        }
        assertThat(pipe.explanations()).isEqualTo(columns);
        assertThat(seq.prepared()).as("the sequential path compiles nothing ahead").isZero();
        assertThat(pipe.prepared()).as("every copy after the first has its session compiled ahead").isEqualTo(layers - 1);
        assertThat(seq.mostOpen()).as("one copy at a time").isEqualTo(1);
        // the current copy and, once it has started, the next one (whether the next one's session is
        // seen depends on timing); never the earlier copies
        assertThat(pipe.mostOpen()).as("the current copy and the next one at most").isBetween(1, 2);
        assertThat(seq.openAfter()).isZero();
        assertThat(pipe.openAfter()).as("every copy's session is closed after the metric").isZero();
    }

    @Test
    void residualCnn_saliency_pipelinedEqualsSequentialToTheBit_andClosesEachCopy() {
        Tensor x = Npy.read(Path.of("../fixtures/models/residual_cnn_x.npy"));
        check(MODEL, x, new int[] {0, 3, 4}, 4, "saliency");
    }

    @Test
    void digitsCnn_inputXGradient_pipelinedEqualsSequentialToTheBit_andClosesEachCopy() {
        Tensor x = Npy.read(DIGITS.resolve("digits_x.npy"));
        check(DIGITS.resolve("digits_cnn.onnx"), x, new int[] {0, 1, 2, 3, 4, 5, 6, 7}, 3, "input-x-gradient");
    }
}
