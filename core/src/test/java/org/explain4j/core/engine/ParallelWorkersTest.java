package org.explain4j.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.explain4j.core.DType;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.core.model.DenseInput;
import org.explain4j.core.model.Model;
import org.explain4j.core.model.ModelInfo;
import org.explain4j.core.model.ModelSignature;
import org.junit.jupiter.api.Test;

/**
 * The engine's batches on several threads ({@link DenseInput.Layer#parallelCalls}): outputs reach the
 * consumer in row order on the calling thread, a failure is the first in batch order (a later batch's
 * failure does not hide an earlier batch's non-finite output), and a filler's exception on a worker thread
 * reaches the caller as it is.
 */
class ParallelWorkersTest {
    /** Each row's output 0 is the row's pre-activation 0 (the filler writes the row index); rows in {@code nan} give NaN, {@code fail} throws. */
    private static final class Layered implements Model, DenseInput {
        final int failAtRow;
        final int nanAtRow;

        Layered(int failAtRow, int nanAtRow) {
            this.failAtRow = failAtRow;
            this.nanAtRow = nanAtRow;
        }

        @Override
        public Tensor forward(Tensor x) {
            return Tensor.ofDoubles(new double[x.batchSize()], x.batchSize(), 1);
        }

        @Override
        public ModelSignature signature() {
            return ModelSignature.of(DType.FLOAT32, new int[] {2}, 1);
        }

        @Override
        public ModelInfo info() {
            return new ModelInfo("layered", "0");
        }

        @Override
        public DenseInput.Layer denseInput() {
            return new DenseInput.Layer() {
                public int inputs() {
                    return 2;
                }

                public int width() {
                    return 1;
                }

                public double[][] weights() {
                    return new double[2][1];
                }

                public double[] bias() {
                    return new double[1];
                }

                public int parallelCalls() {
                    return 3;
                }

                public Tensor forwardFromLayer(double[] h, int m) {
                    double[] o = new double[m];
                    for (int i = 0; i < m; i++) {
                        int row = (int) h[i];
                        if (row == failAtRow) {
                            throw new IllegalStateException("call failed at row " + row);
                        }
                        o[i] = row == nanAtRow ? Double.NaN : row;
                        // let the threads interleave
                        Thread.yield();
                    }
                    return Tensor.ofDoubles(o, m, 1);
                }
            };
        }
    }

    /** Writes each row's index; its copies for other threads do the same. */
    private static final class IndexFiller implements EvaluationEngine.LayerFiller {
        final int throwAtRow;

        IndexFiller(int throwAtRow) {
            this.throwAtRow = throwAtRow;
        }

        @Override
        public void fill(int from, int m, double[] dest) {
            for (int i = 0; i < m; i++) {
                if (from + i == throwAtRow) {
                    throw Explain4jException.usage("filler", "row " + throwAtRow);
                }
                dest[i] = from + i;
            }
        }

        @Override
        public EvaluationEngine.LayerFiller forAnotherThread() {
            return new IndexFiller(throwAtRow);
        }
    }

    @Test
    void outputsReachTheConsumerInRowOrder_onTheCallingThread() {
        EvaluationEngine engine = new EvaluationEngine(new Layered(-1, -1), 4);
        List<Integer> rows = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        engine.evaluateDense("t", 103, engine.denseInput(), r -> r, new IndexFiller(-1), (r, o) -> {
            assertThat(o[0]).isEqualTo(r);
            rows.add(r);
            threads.add(Thread.currentThread());
        });
        assertThat(rows).hasSize(103);
        for (int r = 0; r < 103; r++) {
            assertThat(rows.get(r)).isEqualTo(r);
        }
        assertThat(threads).containsOnly(Thread.currentThread());
        assertThat(engine.evaluations()).isEqualTo(103);
    }

    @Test
    void theFirstFailureInBatchOrderIsReported() {
        // row 41 (batch 10) is NaN, row 50 (batch 12) makes its call throw: the NaN is reported, as on one thread
        EvaluationEngine engine = new EvaluationEngine(new Layered(50, 41), 4);
        List<Integer> rows = new ArrayList<>();
        assertThatThrownBy(() -> engine.evaluateDense("t", 103, engine.denseInput(), r -> 1000 + r, new IndexFiller(-1),
                (r, o) -> rows.add(r))).isInstanceOfSatisfying(Explain4jException.class,
                        e -> assertThat(e.getMessage()).contains("NaN").contains("example 1041"));
        assertThat(rows).hasSize(40); // batches 0..9 only
        // the call's failure alone: its own exception, after the 12 batches before it
        EvaluationEngine other = new EvaluationEngine(new Layered(50, -1), 4);
        rows.clear();
        assertThatThrownBy(() -> other.evaluateDense("t", 103, other.denseInput(), r -> r, new IndexFiller(-1),
                (r, o) -> rows.add(r))).isInstanceOf(IllegalStateException.class).hasMessage("call failed at row 50");
        assertThat(rows).hasSize(48);
        // a filler's exception on a worker thread
        assertThatThrownBy(() -> other.evaluateDense("t", 103, other.denseInput(), r -> r, new IndexFiller(9),
                (r, o) -> { })).isInstanceOf(Explain4jException.class).hasMessageContaining("row 9");
    }
}
