package org.explain4j.onnx;

import java.nio.file.Path;
import java.util.Random;
import org.explain4j.core.Attribution;
import org.explain4j.core.Baseline;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.method.Occlusion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Benchmark, not a test (runs only with {@code -Dexplain4j.bench.resnet=MODEL.onnx}): occlusion
 * on ResNet-18, 4 random images 3x224x224, window 3x32x32, stride 3x16x16, target class 0,
 * alternating incremental inference off and on, best of {@code explain4j.bench.repeats} (3).
 * See docs/BENCHMARKS.md, "Incremental occlusion".
 */
class IncrementalOcclusionBench {
    @Test
    @EnabledIfSystemProperty(named = "explain4j.bench.resnet", matches = ".+")
    void resnet18() {
        int repeats = Integer.getInteger("explain4j.bench.repeats", 3);
        Random rnd = new Random(12);
        float[] x = new float[4 * 3 * 224 * 224];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        Tensor input = Tensor.ofFloats(x, 4, 3, 224, 224);
        try (OnnxModel model = OnnxModel.load(Path.of(System.getProperty("explain4j.bench.resnet")))) {
            Occlusion.Options o = new Occlusion.Options(new int[] {3, 32, 32}, new int[] {3, 16, 16}, Baseline.zeros(),
                    Integer.getInteger("explain4j.bench.batch", org.explain4j.core.engine.BatchSize.AUTO));
            double bestOff = Double.MAX_VALUE;
            double bestOn = Double.MAX_VALUE;
            double maxDiff = 0;
            for (int r = 0; r < repeats; r++) {
                long t0 = System.nanoTime();
                Attribution off = new Occlusion(model, o.withIncremental(false)).attribute(input, Target.classIndex(0));
                long t1 = System.nanoTime();
                Attribution on = new Occlusion(model, o).attribute(input, Target.classIndex(0));
                long t2 = System.nanoTime();
                bestOff = Math.min(bestOff, (t1 - t0) / 1e9);
                bestOn = Math.min(bestOn, (t2 - t1) / 1e9);
                double[] a = off.values().toDoubleArray();
                double[] b = on.values().toDoubleArray();
                for (int i = 0; i < a.length; i++) {
                    maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
                }
                System.out.printf("BENCH repeat %d: full %.3f s, incremental %.3f s (cut op %d)%n", r, (t1 - t0) / 1e9,
                        (t2 - t1) / 1e9, model.incremental() == null ? -1 : model.incremental().lastCut);
            }
            System.out.printf("BENCH best: full %.3f s, incremental %.3f s, ratio %.3f, max |difference| %.3g%n", bestOff,
                    bestOn, bestOn / bestOff, maxDiff);
        }
    }
}
