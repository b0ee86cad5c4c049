import java.nio.file.Path;
import org.explain4j.core.Attribution;
import org.explain4j.core.FeatureMask;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.io.Npy;
import org.explain4j.core.method.AttributionMethod;
import org.explain4j.core.method.FeatureAblation;
import org.explain4j.core.method.ShapleyValueSampling;
import org.explain4j.onnx.OnnxModel;

/**
 * Steady-state throughput of feature ablation and Shapley value sampling in one JVM (issue 12
 * part 3, second round): the method runs REPS times on the same model and rows, so the later
 * runs are past the JIT's warm-up; prints wall and process CPU time (all threads, ONNX Runtime's
 * included) of each run.
 *
 *   javac -cp cli/target/explain4j.jar -d /tmp bench/scripts/SamplingHarness.java
 *   java -cp cli/target/explain4j.jar:/tmp SamplingHarness MODEL.onnx X.npy MASK.npy|- CLASSES \
 *       fa|svs SAMPLES THREADS BATCH|-1 REPS [on|off|both]
 *
 * The last argument (default on) is the methods' {@code incremental} option (the incremental dense
 * first layer, issue 12 branch dense); {@code both} runs off then on in each repetition and prints
 * the largest difference between the two results, relative to the largest value.
 *
 * Each run line ends with a hash of the result's float32 values (the same bits give the same hash:
 * one thread against two, this build against another).
 *
 * Targets: row i explains class i % CLASSES (golden: the script's 0,1,2,1 pattern is CLASSES=-4).
 * Shapley sampling always samples (exact never), seed 7; BATCH -1 is the automatic size.
 */
public class SamplingHarness {
    public static void main(String[] a) throws Exception {
        Path modelPath = Path.of(a[0]);
        Tensor x = Npy.read(Path.of(a[1]));
        FeatureMask mask = a[2].equals("-") ? FeatureMask.elementwise() : FeatureMask.of(Npy.read(Path.of(a[2])));
        int classes = Integer.parseInt(a[3]);
        String method = a[4];
        int samples = Integer.parseInt(a[5]);
        int threads = Integer.parseInt(a[6]);
        int batch = Integer.parseInt(a[7]);
        int reps = Integer.parseInt(a[8]);
        String inc = a.length > 9 ? a[9] : "on";
        boolean[] modes = inc.equals("both") ? new boolean[] {false, true} : new boolean[] {!inc.equals("off")};
        int rows = x.batchSize();
        int[] t = new int[rows];
        for (int i = 0; i < rows; i++) {
            t[i] = classes == -4 ? new int[] {0, 1, 2, 1}[i % 4] : i % classes;
        }
        OnnxModel model = OnnxModel.load(modelPath, OnnxModel.Options.defaults().withThreads(threads));
        com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean)
                java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        for (int r = 0; r < reps; r++) {
            double[] previous = null;
            for (boolean on : modes) {
                AttributionMethod m = method.equals("fa")
                        ? new FeatureAblation(model, FeatureAblation.Options.defaults().withFeatureMask(mask)
                                .withBatchSize(batch).withIncremental(on))
                        : new ShapleyValueSampling(model, ShapleyValueSampling.Options.defaults().withFeatureMask(mask)
                                .withSamples(samples).withSeed(7).withExact(ShapleyValueSampling.Exact.NEVER)
                                .withBatchSize(batch).withIncremental(on));
                long c0 = os.getProcessCpuTime();
                long t0 = System.nanoTime();
                Attribution at = m.attribute(x, Target.of(t));
                double s = (System.nanoTime() - t0) / 1e9;
                double cpu = (os.getProcessCpuTime() - c0) / 1e9;
                System.out.printf("%s rows=%d threads=%d batch=%s incremental=%s run %d: wall %.3f s (%.0f rows/s), "
                        + "CPU %.3f s (%.0f rows/CPU-s), %d evaluations, values hash %08x%n", method, rows, threads,
                        at.options().get("batch_size"), on, r, s, rows / s, cpu, rows / cpu,
                        at.diagnostics().modelEvaluations(), java.util.Arrays.hashCode(at.values().toFloatArray()));
                double[] v = at.values().toDoubleArray();
                if (previous != null) {
                    double scale = 0;
                    double diff = 0;
                    for (int i = 0; i < v.length; i++) {
                        scale = Math.max(scale, Math.abs(previous[i]));
                        diff = Math.max(diff, Math.abs(previous[i] - v[i]));
                    }
                    System.out.printf("  max |on - off| = %.3g, relative to max |value| %.3g: %.3g%n", diff, scale,
                            diff / scale);
                }
                previous = v;
            }
        }
    }
}
