package org.explain4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.catalog.MethodCatalog;
import org.explain4j.core.catalog.MethodSpec;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.io.Npy;
import org.explain4j.core.metrics.Metric;
import org.explain4j.core.metrics.MetricCatalog;
import org.explain4j.core.metrics.MetricInput;
import org.explain4j.core.metrics.MetricSpec;
import org.junit.jupiter.api.Test;

/**
 * On the committed digits CNN, integrated gradients (from the method catalogue) must beat a random
 * attribution on RISE's causal metrics: a lower deletion area and a higher insertion area, on
 * average over the eight digits and for most of them.
 */
class DeletionInsertionDigitsTest {
    private static final Path DIGITS = Path.of("..", "examples", "digits");

    private static double[] score(String metric, ModelLoader.Loaded m, Tensor x, Tensor a, int[] t) {
        MetricSpec s = MetricCatalog.get(metric);
        Metric metricImpl = s.factory().create(s.bind(Map.of("step", 2)));
        return metricImpl.evaluate(new MetricInput(m, x, a, t, Optional.empty(), Optional.empty(), 0, 64,
                ProgressListener.NONE)).values().toDoubleArray();
    }

    @Test
    void integratedGradientsVersusRandomAttribution_lowerDeletionAndHigherInsertion() {
        Tensor x = Npy.read(DIGITS.resolve("digits_x.npy"));
        long[] labels = Npy.read(DIGITS.resolve("digits_y.npy")).toLongArray();
        int[] t = new int[labels.length];
        for (int i = 0; i < t.length; i++) {
            t[i] = (int) labels[i];
        }
        try (ModelLoader.Loaded m = ModelLoader.load(DIGITS.resolve("digits_cnn.onnx"), 0, null, null)) {
            MethodSpec ig = MethodCatalog.get("integrated-gradients");
            Tensor a = ig.create(m, ig.bind(Map.of()), ProgressListener.NONE).attribute(x, Target.of(t)).values();
            Random r = new Random(42);
            float[] noise = new float[x.size()];
            for (int i = 0; i < noise.length; i++) {
                noise[i] = (float) r.nextGaussian();
            }
            Tensor random = Tensor.ofFloats(noise, x.shape());
            double[] delIg = score("deletion", m, x, a, t);
            double[] delRandom = score("deletion", m, x, random, t);
            double[] insIg = score("insertion", m, x, a, t);
            double[] insRandom = score("insertion", m, x, random, t);
            int delWins = 0;
            int insWins = 0;
            for (int i = 0; i < t.length; i++) {
                delWins += delIg[i] < delRandom[i] ? 1 : 0;
                insWins += insIg[i] > insRandom[i] ? 1 : 0;
            }
            assertThat(mean(delIg)).as("mean deletion AUC, IG vs random").isLessThan(mean(delRandom) - 0.1);
            assertThat(mean(insIg)).as("mean insertion AUC, IG vs random").isGreaterThan(mean(insRandom) + 0.1);
            assertThat(delWins).as("digits where IG deletes faster").isGreaterThanOrEqualTo(6);
            assertThat(insWins).as("digits where IG inserts faster").isGreaterThanOrEqualTo(6);
        }
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double d : v) {
            s += d;
        }
        return s / v.length;
    }
}
