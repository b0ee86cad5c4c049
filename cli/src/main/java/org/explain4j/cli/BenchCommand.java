package org.explain4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.explain4j.core.Attribution;
import org.explain4j.core.Target;
import org.explain4j.core.Tensor;
import org.explain4j.core.engine.ProgressListener;
import org.explain4j.core.method.IntegratedGradients;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code explain4j bench}: times integrated gradients against the same number of bare forward
 * passes in ONNX Runtime on one model, and reports the process's peak resident memory.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Times integrated gradients against the same number of bare forward passes.")
public final class BenchCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "M.onnx", description = "ONNX model (e.g. bench/resnet18.onnx).")
    Path model;

    @Option(names = "--examples", paramLabel = "N", description = "Examples in the batch (default ${DEFAULT-VALUE}).")
    int examples = 4;

    @Option(names = "--steps", paramLabel = "N", description = "Integrated-gradients steps (default ${DEFAULT-VALUE}).")
    int steps = 50;

    @Option(names = "--batch-size", paramLabel = "B", description = "Rows per model call (default ${DEFAULT-VALUE}).")
    int batchSize = 25;

    @Option(names = "--repeats", paramLabel = "R", description = "Timed repetitions, forward and IG alternately; the best of each is reported (default ${DEFAULT-VALUE}).")
    int repeats = 3;

    @Option(names = "--only", paramLabel = "WHAT", description = "forward, ig or both (default ${DEFAULT-VALUE}); run one alone to measure its peak memory.")
    String only = "both";

    @CommandLine.Mixin
    DeviceOption device = new DeviceOption();

    @Option(names = "--threads", paramLabel = "N", description = "ONNX Runtime intra-op threads (0: its default).")
    int threads;

    @Option(names = "--optimization", paramLabel = "LEVEL", description = "ONNX Runtime graph optimisation: basic, extended or all (default ${DEFAULT-VALUE}).")
    String optimization = "all";

    @Option(names = "--method", paramLabel = "M", description = "integrated-gradients, saliency or layer-integrated-gradients (default ${DEFAULT-VALUE}).")
    String method = "integrated-gradients";

    @Option(names = "--layer", paramLabel = "TENSOR", description = "The layer (tensor name) for --method layer-integrated-gradients.")
    String layer;

    @Option(names = "--vocab", paramLabel = "N", description = "Integer inputs (token ids) are drawn from 0..N-1 (default ${DEFAULT-VALUE}).")
    int vocab = 1000;

    @Option(names = "--verbose", description = "Stack traces with errors.")
    boolean verbose;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        ai.onnxruntime.OrtSession.SessionOptions.OptLevel level = switch (optimization) {
            case "basic" -> ai.onnxruntime.OrtSession.SessionOptions.OptLevel.BASIC_OPT;
            case "extended" -> ai.onnxruntime.OrtSession.SessionOptions.OptLevel.EXTENDED_OPT;
            case "all" -> ai.onnxruntime.OrtSession.SessionOptions.OptLevel.ALL_OPT;
            default -> throw org.explain4j.core.Explain4jException.usage("--optimization",
                    "--optimization '" + optimization + "' must be basic, extended or all");
        };
        if (!only.equals("both") && !only.equals("forward") && !only.equals("ig")) {
            throw org.explain4j.core.Explain4jException.usage("--only", "--only '" + only + "' must be forward, ig or both");
        }
        boolean saliency = method.equals("saliency");
        boolean layerIg = method.equals("layer-integrated-gradients");
        if (!saliency && !layerIg && !method.equals("integrated-gradients")) {
            throw org.explain4j.core.Explain4jException.usage("--method", "--method '" + method
                    + "' must be integrated-gradients, saliency or layer-integrated-gradients");
        }
        // in the order of the options (a Map.of's iteration order varies, and with it the flag reported)
        Parse.atLeastOne("--examples", examples);
        Parse.atLeastOne("--steps", steps);
        Parse.atLeastOne("--batch-size", batchSize);
        Parse.atLeastOne("--repeats", repeats);
        Parse.atLeastOne("--vocab", vocab);
        if (layerIg && layer == null) {
            throw org.explain4j.core.Explain4jException.usage("--layer", "--method layer-integrated-gradients needs --layer");
        }
        long load0 = System.nanoTime();
        long loadCpu0 = processCpuNanos();
        try (ModelLoader.Loaded m = ModelLoader.load(model, org.explain4j.onnx.OnnxModel.Options.defaults()
                .withThreads(threads).withOptimization(level)
                .withDevice(org.explain4j.onnx.Device.parse(device.value())), null, null)) {
            double loadMs = (System.nanoTime() - load0) / 1e6;
            long loadCpu = loadCpu0 < 0 ? -1 : processCpuNanos() - loadCpu0;
            int[] ex = m.signature().exampleShape();
            int d = (int) Tensor.sizeOf(ex);
            SplittableRandom rnd = new SplittableRandom(1);
            int[] shape = new int[ex.length + 1];
            shape[0] = examples;
            System.arraycopy(ex, 0, shape, 1, ex.length);
            Tensor x;
            if (m.signature().inputType() == org.explain4j.core.DType.INT64) {
                long[] ids = new long[examples * d];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = rnd.nextInt(vocab);
                }
                x = Tensor.ofLongs(ids, shape);
            } else {
                float[] data = new float[examples * d];
                for (int i = 0; i < data.length; i++) {
                    data[i] = (float) (rnd.nextDouble() * 2 - 1);
                }
                x = Tensor.ofFloats(data, shape);
            }
            int rows = saliency ? examples : examples * steps;
            out.printf("model %s (loaded in %.0f ms, process CPU %s), input %s, method %s, %d examples x %d steps = %d rows, batch %d, %d threads, optimisation %s%n",
                    model.getFileName(), loadMs, cpuText(loadCpu), Tensor.shapeString(shape), method, examples, saliency ? 1 : steps, rows,
                    batchSize, threads, optimization);
            String label = method.equals("integrated-gradients") ? "integrated gradients" : method;
            boolean forward = !only.equals("ig");
            boolean grads = !only.equals("forward");
            // one batch of rows, made only when the forward passes are timed (--only ig measures IG's memory alone)
            Tensor batch = forward ? Tensor.concat(Arrays.asList(repeat(x, batchSize))) : null;
            Runnable forwardPasses = () -> {
                // bare forward passes over the same number of rows, in the same batches
                for (int from = 0; from < rows; from += batchSize) {
                    int n = Math.min(batchSize, rows - from);
                    m.forward(n == batchSize ? batch : batch.slice(0, n));
                }
            };
            org.explain4j.core.method.AttributionMethod ig = saliency
                    ? new org.explain4j.core.method.Saliency(m, org.explain4j.core.method.Saliency.Options.defaults()
                            .withBatchSize(batchSize), ProgressListener.NONE)
                    : layerIg
                    ? new org.explain4j.core.method.LayerIntegratedGradients(m,
                            org.explain4j.core.method.LayerOptions.of(layer).withSteps(steps).withBatchSize(batchSize),
                            ProgressListener.NONE)
                    : new IntegratedGradients(m, IntegratedGradients.Options.defaults().withSteps(steps)
                            .withBatchSize(batchSize), ProgressListener.NONE);
            Attribution[] warm = new Attribution[1];
            Runnable integratedGradients = () -> warm[0] = ig.attribute(x, Target.of(0));
            // warm-up: sessions compiled, arenas grown; the first forward pass makes the forward session
            // (OnnxModel makes it on first use), so it is timed apart from the model's load
            if (forward) {
                long cpu0 = processCpuNanos();
                double firstMs = time(() -> m.forward(batch));
                out.printf("first forward call (forward session creation, one run): %.0f ms (process CPU %s)%n",
                        firstMs, cpuText(cpu0 < 0 ? -1 : processCpuNanos() - cpu0));
            }
            if (grads) {
                long cpu0 = processCpuNanos();
                double firstMs = time(integratedGradients);
                long cpu = processCpuNanos() - cpu0;
                // CPU time of the whole process (every thread): less sensitive than the wall time to
                // other processes on a shared machine; on an idle one the wall time lies between
                // CPU / threads (all of it parallel) and the CPU time (all of it serial)
                out.printf("first %s call (graph derivation, session creation, one run): %.0f ms (process CPU %s)%n",
                        method, firstMs, cpuText(cpu));
            }
            // the two are timed alternately, so that a slow spell of a shared machine hits both
            int r = Math.max(1, repeats);
            double[] forwardMs = new double[r];
            double[] igMs = new double[r];
            Arrays.fill(forwardMs, Double.NaN);
            Arrays.fill(igMs, Double.NaN);
            for (int i = 0; i < r; i++) {
                // the order swaps every repetition, so that effects of the one run on the next
                // (garbage collection, caches) do not always fall on the same side
                boolean igFirst = i % 2 == 1;
                if (grads && igFirst) {
                    igMs[i] = time(integratedGradients);
                }
                if (forward) {
                    forwardMs[i] = time(forwardPasses);
                }
                if (grads && !igFirst) {
                    igMs[i] = time(integratedGradients);
                }
            }
            if (forward) {
                out.printf("bare forward: %.1f ms best of %d (%d rows)%n", min(forwardMs), r, rows);
            }
            if (grads) {
                out.printf("%s: %.1f ms best of %d (%d model evaluations, max |gap| %.3g)%n",
                        label, min(igMs), r, warm[0].diagnostics().modelEvaluations(),
                        maxAbs(warm[0].diagnostics().completenessGap().orElse(new double[0])));
            }
            if (forward && grads) {
                double[] ratios = new double[r];
                for (int i = 0; i < r; i++) {
                    ratios[i] = igMs[i] / forwardMs[i];
                }
                Arrays.sort(ratios);
                double median = r % 2 == 1 ? ratios[r / 2] : (ratios[r / 2 - 1] + ratios[r / 2]) / 2;
                out.printf("ratio " + (label.equals("integrated gradients") ? "IG" : method) + " / forward: %.2f (best over best); per repetition: median %.2f, range %.2f to %.2f%n",
                        min(igMs) / min(forwardMs), median, ratios[0], ratios[r - 1]);
            }
            out.printf("peak RSS: %s%n", peakRss());
        }
        return 0;
    }

    private static String cpuText(long nanos) {
        return nanos < 0 ? "unknown" : String.format("%.0f ms", nanos / 1e6);
    }

    /** CPU time of the process so far (all threads, native ones included), or -1 where the JVM cannot tell. */
    static long processCpuNanos() {
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }

    private static double time(Runnable r) {
        long t0 = System.nanoTime();
        r.run();
        return (System.nanoTime() - t0) / 1e6;
    }

    private static double min(double[] v) {
        return Arrays.stream(v).min().orElse(Double.NaN);
    }

    private static Tensor[] repeat(Tensor x, int rows) {
        Tensor[] parts = new Tensor[rows];
        for (int i = 0; i < rows; i++) {
            parts[i] = x.example(i % x.batchSize());
        }
        return parts;
    }

    private static double maxAbs(double[] v) {
        double m = 0;
        for (double d : v) {
            m = Math.max(m, Math.abs(d));
        }
        return m;
    }

    /** VmHWM from /proc/self/status (Linux), or "unknown". */
    static String peakRss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return line.substring("VmHWM:".length()).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
        return "unknown";
    }
}
