package org.explain4j.core.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.explain4j.core.metrics.MetricTesting.input;
import static org.explain4j.core.metrics.MetricTesting.rows;
import static org.explain4j.core.metrics.MetricTesting.run;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.explain4j.core.Explain4jException;
import org.explain4j.core.Tensor;
import org.explain4j.core.model.Model;
import org.explain4j.core.model.ModelInfo;
import org.explain4j.core.model.ModelSignature;
import org.junit.jupiter.api.Test;

/**
 * MPRT with a series that asks for two copies at once ({@link Randomisable.Series#copiesAtOnce()}):
 * the same bits as one copy after the other, the copies explained on two helper threads at the same
 * time, each closed, at most two open, and a failing copy's error reported as it was thrown.
 */
class MprtCopiesAtOnceTest {
    private static final double[][] X = {{0.1, 0.9, 0.2, 0.8, 0.4, 0.3}, {1, 0, 2, 0.5, 0.7, 0.2}};
    private static final int[] T = {0, 3};

    /** The two-layer model of RandomisationMetricsTest, with its series' width and its copies counted. */
    private static final class Counted implements Model, Randomisable {
        final RandomisationMetricsTest.TwoLayers m;
        final int width;
        final AtomicInteger open = new AtomicInteger();
        final AtomicInteger mostOpen = new AtomicInteger();
        final AtomicInteger made = new AtomicInteger();
        final AtomicInteger closed = new AtomicInteger();

        Counted(int width) {
            double[][] w1 = new double[6][6];
            double[][] w2 = new double[6][6];
            for (int i = 0; i < 6; i++) {
                for (int j = 0; j < 6; j++) {
                    w1[i][j] = Math.sin(1 + i * 6 + j);
                    w2[i][j] = Math.cos(2 + i * 7 + j);
                }
            }
            this.m = new RandomisationMetricsTest.TwoLayers(w1, w2, new ArrayList<>());
            this.width = width;
        }

        @Override
        public Tensor forward(Tensor input) {
            return m.forward(input);
        }

        @Override
        public ModelSignature signature() {
            return m.signature();
        }

        @Override
        public ModelInfo info() {
            return m.info();
        }

        @Override
        public List<String> layers() {
            return m.layers();
        }

        @Override
        public Series series(long seed) {
            return new Series() {
                @Override
                public void close() {
                }

                @Override
                public int copiesAtOnce() {
                    return width;
                }
            };
        }

        @Override
        public Model randomised(List<String> layers, long seed) {
            RandomisationMetricsTest.TwoLayers c = (RandomisationMetricsTest.TwoLayers) m.randomised(layers, seed);
            made.incrementAndGet();
            mostOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
            return new Copy(c, this);
        }
    }

    /** A randomised copy that counts its closing. */
    private static final class Copy implements Model {
        final RandomisationMetricsTest.TwoLayers m;
        final Counted owner;

        Copy(RandomisationMetricsTest.TwoLayers m, Counted owner) {
            this.m = m;
            this.owner = owner;
        }

        @Override
        public Tensor forward(Tensor input) {
            return m.forward(input);
        }

        @Override
        public ModelSignature signature() {
            return m.signature();
        }

        @Override
        public ModelInfo info() {
            return m.info();
        }

        @Override
        public void close() {
            owner.open.decrementAndGet();
            owner.closed.incrementAndGet();
        }
    }

    private static double[][] product(Model model) {
        return model instanceof Copy c ? c.m.product() : ((Counted) model).m.product();
    }

    /** The gradient of the target (row t of W2 W1), recording the threads that explained copies. */
    private static Explainer gradient(Set<String> copyThreads, CountDownLatch bothRunning) {
        return (model, input, targets) -> {
            if (model instanceof Copy) {
                copyThreads.add(Thread.currentThread().getName());
                bothRunning.countDown();
                try {
                    // both copies of the two steps must be explained at the same time
                    assertThat(bothRunning.await(20, TimeUnit.SECONDS)).as("the other copy is explained meanwhile").isTrue();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
            double[][] p = product(model);
            double[] out = new double[input.size()];
            for (int r = 0; r < input.batchSize(); r++) {
                System.arraycopy(p[targets[r]], 0, out, r * 6, 6);
            }
            return Tensor.ofDoubles(out, input.shape());
        };
    }

    private static double[] mprt(Counted m, Explainer e, String order) {
        Tensor x = rows(X, 6);
        Tensor a = e.explain(m, x, T);
        return run("mprt", Map.of("abs", false, "layer-order", order), input(m, x, a, T, Optional.empty(), e, 7, 64));
    }

    @Test
    void twoCopiesAtOnce_sameBitsAsOneAfterTheOther_onTwoHelperThreads_eachClosed() {
        for (String order : List.of("top_down", "bottom_up", "independent")) {
            Set<String> seqThreads = ConcurrentHashMap.newKeySet();
            Counted one = new Counted(1);
            double[] seq = mprt(one, gradient(seqThreads, new CountDownLatch(0)), order);
            Set<String> threads = ConcurrentHashMap.newKeySet();
            Counted two = new Counted(2);
            double[] par = mprt(two, gradient(threads, new CountDownLatch(2)), order);
            assertThat(par).as(order).containsExactly(seq);
            assertThat(par[1]).as("%s: the randomised weights were used", order).isNotEqualTo(par[0]);
            assertThat(seqThreads).as("one at a time: the calling thread").containsExactly(Thread.currentThread().getName());
            assertThat(threads).as("two at once: two helper threads").hasSize(2)
                    .allMatch(t -> t.startsWith("explain4j-mprt-copy-"));
            assertThat(two.made.get()).isEqualTo(2);
            assertThat(two.closed.get()).as("every copy closed").isEqualTo(2);
            assertThat(two.mostOpen.get()).isEqualTo(2);
            assertThat(one.mostOpen.get()).as("one at a time with the lookahead: current and next").isBetween(1, 2);
        }
    }

    @Test
    void aFailingCopy_isReportedAsThrown_andEveryCopyIsClosed() {
        Counted two = new Counted(2);
        AtomicInteger calls = new AtomicInteger();
        Explainer failing = (model, input, targets) -> {
            if (model instanceof Copy && calls.incrementAndGet() == 1) {
                throw Explain4jException.unsupported("model", "the copy failed");
            }
            double[][] p = product(model);
            double[] out = new double[input.size()];
            for (int r = 0; r < input.batchSize(); r++) {
                System.arraycopy(p[targets[r]], 0, out, r * 6, 6);
            }
            return Tensor.ofDoubles(out, input.shape());
        };
        assertThatThrownBy(() -> mprt(two, failing, "top_down")).isInstanceOf(Explain4jException.class)
                .hasMessageContaining("the copy failed");
        assertThat(two.closed.get()).as("the helpers ended and closed what they made").isEqualTo(two.made.get());
        assertThat(two.open.get()).isZero();
    }
}
