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
    /** CPU seconds of this whole process (all threads, ONNX Runtime's included), from /proc. */
    static double cpuSeconds() {
        try {
            String[] f = java.nio.file.Files.readString(Path.of("/proc/self/stat")).split("\\) ", 2)[1].split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
        } catch (java.io.IOException e) {
            return Double.NaN;
        }
    }

    @Test
    @EnabledIfSystemProperty(named = "explain4j.bench.resnet", matches = ".+")
    void resnet18() {
        int repeats = Integer.getInteger("explain4j.bench.repeats", 3);
        int images = Integer.getInteger("explain4j.bench.images", 4);
        Random rnd = new Random(12);
        float[] x = new float[images * 3 * 224 * 224];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        Tensor input = Tensor.ofFloats(x, images, 3, 224, 224);
        try (OnnxModel model = OnnxModel.load(Path.of(System.getProperty("explain4j.bench.resnet")))) {
            Occlusion.Options o = new Occlusion.Options(new int[] {3, 32, 32}, new int[] {3, 16, 16}, Baseline.zeros(),
                    Integer.getInteger("explain4j.bench.batch", org.explain4j.core.engine.BatchSize.AUTO));
            double bestOff = Double.MAX_VALUE;
            double bestOn = Double.MAX_VALUE;
            double maxDiff = 0;
            String cuts = System.getProperty("explain4j.bench.cuts", "-1");
            double bestCpuOff = Double.MAX_VALUE;
            double bestCpuOn = Double.MAX_VALUE;
            for (int r = 0; r < repeats; r++) {
                double c0 = cpuSeconds();
                long t0 = System.nanoTime();
                Attribution off = new Occlusion(model, o.withIncremental(false)).attribute(input, Target.classIndex(0));
                long t1 = System.nanoTime();
                double c1 = cpuSeconds();
                System.out.printf("BENCH repeat %d: full %.3f s wall, %.3f s cpu%n", r, (t1 - t0) / 1e9, c1 - c0);
                bestOff = Math.min(bestOff, (t1 - t0) / 1e9);
                bestCpuOff = Math.min(bestCpuOff, c1 - c0);
                Attribution on = null;
                long t2 = 0;
                for (String cut : cuts.split(",")) {
                    model.forceIncrementalCut(Integer.parseInt(cut.trim()));
                    double c2 = cpuSeconds();
                    long t15 = System.nanoTime();
                    on = new Occlusion(model, o).attribute(input, Target.classIndex(0));
                    t2 = System.nanoTime();
                    double c3 = cpuSeconds();
                    System.out.printf("BENCH repeat %d: incremental (cut op %d) %.3f s wall, %.3f s cpu%n", r,
                            model.incremental() == null ? -1 : model.incremental().lastCut, (t2 - t15) / 1e9, c3 - c2);
                    bestCpuOn = Math.min(bestCpuOn, c3 - c2);
                    bestOn = Math.min(bestOn, (t2 - t15) / 1e9);
                }
                double[] a = off.values().toDoubleArray();
                double[] b = on.values().toDoubleArray();
                for (int i = 0; i < a.length; i++) {
                    maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
                }
            }
            System.out.printf("BENCH best: full %.3f s wall / %.3f s cpu, incremental %.3f s wall / %.3f s cpu, ratio wall "
                    + "%.3f cpu %.3f, max |difference| %.3g%n", bestOff, bestCpuOff, bestOn, bestCpuOn, bestOn / bestOff,
                    bestCpuOn / bestCpuOff, maxDiff);
        }
    }
}
