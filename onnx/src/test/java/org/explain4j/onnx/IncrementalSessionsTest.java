package org.explain4j.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.explain4j.core.Attribution;
import org.explain4j.core.Baseline;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.io.Npy;
import org.explain4j.core.method.Occlusion;
import org.junit.jupiter.api.Test;

/**
 * A long-lived model (the service's) asked for occlusion with many different windows keeps a
 * bounded number of incremental-inference sessions: each holds a copy of the model's weights, and
 * one was kept per window size until the model closed. Evicted plans still give the same values
 * when an evaluator made before their eviction runs.
 */
class IncrementalSessionsTest {
    @Test
    void manyWindowSizes_keepABoundedNumberOfSessions_andTheSameValues() {
        try (OnnxModel model = OnnxModel.load(Path.of("..", "fixtures/models/residual_cnn.onnx"))) {
            Tensor x = Npy.read(Path.of("..", "fixtures/models/residual_cnn_x.npy")).slice(0, 1);
            int[] ex = x.exampleShape();
            List<Integer> cuts = new RegionGraph(IncrementalOcclusionTest.proto(model), model.signature().inputName(), ex)
                    .cuts();
            assertThat(cuts).isNotEmpty();
            model.forceIncrementalCut(cuts.get(0));
            // an evaluator made now, run after its plan has been pushed out by the windows below
            double[] base = x.toDoubleArray();
            int[][] lo = {{0, 0}, {5, 7}};
            int[][] hi = {{3, 2}, {8, 9}};
            org.explain4j.core.model.LocalEvaluation.Evaluator early = model.local(base, ex, lo, hi, 4);
            assertThat(early).isNotNull();
            int most = 0;
            for (int w = 1; w <= 6; w++) {
                for (int h = 1; h <= 2; h++) {
                    Occlusion.Options o = new Occlusion.Options(new int[] {ex[0], h, w}, new int[] {ex[0], 2, 3},
                            Baseline.constant(0.25), 16);
                    Attribution inc = new Occlusion(model, o).attribute(x, Target.classIndex(1));
                    assertThat(model.incremental().lastCut).as("window %dx%d went through the cut", h, w)
                            .isEqualTo(cuts.get(0));
                    most = Math.max(most, model.incremental().openSessions());
                    if (w % 3 == 0) {
                        Attribution whole = new Occlusion(model, o.withIncremental(false)).attribute(x, Target.classIndex(1));
                        IncrementalOcclusionTest.assertClose(whole.values(), inc.values(), "window " + h + "x" + w);
                    }
                }
            }
            double[][] perturbed = new double[2][];
            for (int r = 0; r < 2; r++) {
                perturbed[r] = base.clone();
                for (int c = 0; c < ex[0]; c++) {
                    for (int y = lo[r][0]; y < hi[r][0]; y++) {
                        for (int z = lo[r][1]; z < hi[r][1]; z++) {
                            perturbed[r][(c * ex[1] + y) * ex[2] + z] = 0.25;
                        }
                    }
                }
            }
            double[][] got = new double[2][];
            early.evaluate(2, lo, hi, (r, dest) -> System.arraycopy(perturbed[r], 0, dest, 0, dest.length),
                    (r, out) -> got[r] = out.clone());
            double[] both = new double[2 * base.length];
            System.arraycopy(perturbed[0], 0, both, 0, base.length);
            System.arraycopy(perturbed[1], 0, both, base.length, base.length);
            Tensor want = model.forward(Tensor.ofDoublesAsFloats(both, 2, ex[0], ex[1], ex[2]));
            double[] flat = new double[want.size()];
            System.arraycopy(got[0], 0, flat, 0, got[0].length);
            System.arraycopy(got[1], 0, flat, got[0].length, got[1].length);
            IncrementalOcclusionTest.assertClose(want, Tensor.ofDoubles(flat, want.shape()), "an evaluator older than its plan");
            assertThat(most).as("sessions held at most (12 window sizes asked for)")
                    .isLessThanOrEqualTo(IncrementalInference.MAX_PLANS + IncrementalInference.MAX_CACHE_SESSIONS);
        }
    }
}
