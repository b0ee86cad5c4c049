package org.explain4j.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.explain4j.core.DType;
import org.explain4j.core.Tensor;
import org.explain4j.core.model.FunctionModel;
import org.explain4j.core.model.Model;
import org.explain4j.core.model.ModelSignature;
import org.junit.jupiter.api.Test;

/** The engine's reused batch buffers: each call gets exactly its rows, outputs reach the right rows. */
class EngineBuffersTest {
    private static final int D = 3;

    /** Output of a row: its values, and the call's size (to see which call a row went through). */
    private static Model echo(DType type, List<float[]> calls) {
        return FunctionModel.batched("echo", ModelSignature.of(type, new int[] {D}, D + 1), x -> {
            float[] in = x.to(DType.FLOAT32).toFloatArray();
            calls.add(in);
            int n = x.batchSize();
            double[] out = new double[n * (D + 1)];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < D; j++) {
                    out[i * (D + 1) + j] = in[i * D + j];
                }
                out[i * (D + 1) + D] = n;
            }
            return Tensor.ofDoubles(out, n, D + 1);
        });
    }

    /** Row r holds r + 0.5, -r and r / 4. */
    private static void row(int r, double[] dest) {
        dest[0] = r + 0.5;
        dest[1] = -r;
        dest[2] = r / 4.0;
    }

    @Test
    void raggedLastBatch_getsOnlyItsOwnRows_andOutputsReachTheirRows() {
        for (DType type : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            for (int batch : new int[] {1, 4, 10, 13, 100}) {
                List<float[]> calls = new ArrayList<>();
                EvaluationEngine e = new EvaluationEngine(echo(type, calls), batch);
                int rows = 10 * 4 + 3;
                double[][] got = new double[rows][];
                e.evaluate("t", rows, new int[] {D}, EngineBuffersTest::row, (r, o) -> got[r] = o.clone());
                int expectedCalls = (rows + batch - 1) / batch;
                assertThat(calls).as(type + " batch " + batch).hasSize(expectedCalls);
                int r = 0;
                for (int k = 0; k < calls.size(); k++) {
                    int m = Math.min(batch, rows - k * batch);
                    assertThat(calls.get(k)).as("call %d holds exactly its %d rows", k, m).hasSize(m * D);
                    for (int i = 0; i < m; i++, r++) {
                        double[] want = new double[D];
                        row(r, want);
                        for (int j = 0; j < D; j++) {
                            assertThat(calls.get(k)[i * D + j]).isEqualTo((float) want[j]);
                            assertThat(got[r][j]).as("output of row %d", r).isEqualTo((float) want[j]);
                        }
                        assertThat(got[r][D]).isEqualTo(m);
                    }
                }
                assertThat(r).isEqualTo(rows);
                assertThat(e.evaluations()).isEqualTo(rows);
            }
        }
    }

    @Test
    void progressScope_oneBarOverSeveralCalls() {
        List<String> events = new ArrayList<>();
        ProgressListener p = new ProgressListener() {
            @Override
            public void start(String task, long total) {
                events.add("start " + task + " " + total);
            }

            @Override
            public void advance(long done) {
                events.add("advance " + done);
            }

            @Override
            public void finish() {
                events.add("finish");
            }
        };
        EvaluationEngine e = new EvaluationEngine(echo(DType.FLOAT32, new ArrayList<>()), 4, p);
        try (EvaluationEngine.ProgressScope scope = e.progressScope("all", 14)) {
            e.evaluate("a", 9, new int[] {D}, EngineBuffersTest::row, (r, o) -> { });
            e.evaluate("b", 5, new int[] {D}, EngineBuffersTest::row, (r, o) -> { });
        }
        assertThat(events).containsExactly("start all 14", "advance 4", "advance 4", "advance 1", "advance 4",
                "advance 1", "finish");
        // without a scope each call has its own bar
        events.clear();
        e.evaluate("c", 5, new int[] {D}, EngineBuffersTest::row, (r, o) -> { });
        assertThat(events).containsExactly("start c 5", "advance 4", "advance 1", "finish");
    }
}
