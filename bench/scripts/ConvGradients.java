import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.explain4j.core.grad.BackwardRequest;
import org.explain4j.onnx.OnnxModel;
import org.explain4j.onnx.grad.BackwardGraph;
import org.explain4j.onnx.grad.OnnxDifferentiableModel;
import org.explain4j.onnx.grad.rules.Polyphase;

/**
 * The input-gradient backward graph of a CNN in two forms of the strided Conv gradient, timed in
 * one JVM, alternately: (transpose) ConvTranspose, the form before branch convt; (polyphase) phase
 * convolutions interleaved by DepthToSpace. Both graphs come from the same builder, switched by
 * the system property explain4j.grad.stridedConv while each is derived. One session each (two
 * intra-op threads, ONNX Runtime's default spinning), one warm-up run each, then ROUNDS rounds
 * of one run of each, the order swapped every round. Prints wall and process CPU time per run,
 * the medians, the per-round ratio polyphase / transpose, and the largest difference of the two
 * gradients relative to the largest magnitude.
 *
 *   javac -cp JAR -d /tmp/p bench/scripts/ConvGradients.java
 *   java -cp JAR:/tmp/p ConvGradients MODEL.onnx [ROWS=25] [ROUNDS=8] [FORM=polyphase]
 *
 * FORM polyphase-all also decomposes the narrow RGB stem.
 *
 * The model's input must be (N, 3, 224, 224) float and its output (N, 1000) (ResNet-18 of bench).
 * PROFILE=prefix in the environment makes ONNX Runtime write a per-op trace of each session
 * (prefix.transpose, prefix.polyphase).
 */
public class ConvGradients {
    static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();

    static double cpu() {
        return OS.getProcessCpuTime() / 1e9;
    }

    static double now() {
        return System.nanoTime() / 1e9;
    }

    public static void main(String[] a) throws Exception {
        int rows = a.length > 1 ? Integer.parseInt(a[1]) : 25;
        int rounds = a.length > 2 ? Integer.parseInt(a[2]) : 8;
        String[] forms = {"transpose", a.length > 3 ? a[3] : "polyphase"};
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        float[] x = new float[rows * 3 * 224 * 224];
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextDouble() * 2 - 1);
        }
        float[] s = new float[rows * 1000];
        for (int i = 0; i < rows; i++) {
            s[i * 1000 + 633] = 1;
        }
        try (OnnxModel m = OnnxModel.load(Path.of(a[0]));
             OnnxTensor xt = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {rows, 3, 224, 224});
             OnnxTensor st = OnnxTensor.createTensor(env, FloatBuffer.wrap(s), new long[] {rows, 1000})) {
            OrtSession[] sessions = new OrtSession[2];
            BackwardGraph[] graphs = new BackwardGraph[2];
            for (int f = 0; f < 2; f++) {
                System.setProperty(Polyphase.PROPERTY, forms[f]);
                try (OnnxDifferentiableModel d = new OnnxDifferentiableModel(m)) {
                    graphs[f] = d.backwardGraph(BackwardRequest.gradientOfInput(), rows, 3, 224, 224);
                }
                long transposes = graphs[f].model().getGraph().getNodeList().stream()
                        .filter(n -> n.getOpType().equals("ConvTranspose")).count();
                double u0 = now(), c0 = cpu();
                sessions[f] = env.createSession(graphs[f].model().toByteArray(), options(forms[f]));
                System.out.printf("%-9s nodes %d, ConvTranspose %d, compile %.3f s (cpu %.3f)%n", forms[f],
                        graphs[f].model().getGraph().getNodeCount(), transposes, now() - u0, cpu() - c0);
            }
            System.clearProperty(Polyphase.PROPERTY);
            float[][] grads = new float[2][];
            for (int f = 0; f < 2; f++) {
                double[] w = run(sessions[f], graphs[f], xt, st, grads, f);
                System.out.printf("warm-up %-9s wall %.3f s cpu %.3f s%n", forms[f], w[0], w[1]);
            }
            double scale = 0, worst = 0;
            for (int i = 0; i < grads[0].length; i++) {
                scale = Math.max(scale, Math.abs(grads[0][i]));
                worst = Math.max(worst, Math.abs(grads[0][i] - grads[1][i]));
            }
            System.out.printf("largest |polyphase - transpose| = %.3g (largest |gradient| %.3g, relative %.3g)%n",
                    worst, scale, worst / scale);
            List<double[]> wall = List.of(new double[rounds], new double[rounds]);
            List<double[]> cpus = List.of(new double[rounds], new double[rounds]);
            for (int k = 0; k < rounds; k++) {
                for (int j = 0; j < 2; j++) {
                    int f = (k % 2 == 0) ? j : 1 - j;
                    double[] w = run(sessions[f], graphs[f], xt, st, grads, f);
                    wall.get(f)[k] = w[0];
                    cpus.get(f)[k] = w[1];
                }
                System.out.printf("round %d  transpose wall %.3f cpu %.3f | polyphase wall %.3f cpu %.3f"
                                + " | ratio wall %.3f cpu %.3f%n",
                        k + 1, wall.get(0)[k], cpus.get(0)[k], wall.get(1)[k], cpus.get(1)[k],
                        wall.get(1)[k] / wall.get(0)[k], cpus.get(1)[k] / cpus.get(0)[k]);
            }
            double[] rw = new double[rounds], rc = new double[rounds];
            for (int k = 0; k < rounds; k++) {
                rw[k] = wall.get(1)[k] / wall.get(0)[k];
                rc[k] = cpus.get(1)[k] / cpus.get(0)[k];
            }
            System.out.printf("median  transpose wall %.3f cpu %.3f | polyphase wall %.3f cpu %.3f | "
                            + "median ratio wall %.3f cpu %.3f (load %s)%n",
                    median(wall.get(0)), median(cpus.get(0)), median(wall.get(1)), median(cpus.get(1)),
                    median(rw), median(rc), java.nio.file.Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
            for (OrtSession o : sessions) {
                o.close();
            }
        }
    }

    static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
    }

    static OrtSession.SessionOptions options(String form) throws Exception {
        OrtSession.SessionOptions so = new OrtSession.SessionOptions();
        so.setIntraOpNumThreads(2);
        so.setInterOpNumThreads(1);
        String profile = System.getenv("PROFILE");
        if (profile != null && !profile.isBlank()) {
            so.enableProfiling(profile + "." + form);
        }
        return so;
    }

    /** Wall and CPU seconds of one run; the gradient is copied into grads[f]. */
    static double[] run(OrtSession s, BackwardGraph g, OnnxTensor x, OnnxTensor seed, float[][] grads, int f)
            throws Exception {
        double u0 = now(), v0 = cpu();
        try (OrtSession.Result r = s.run(Map.of(g.inputName(), x, g.seedName(), seed))) {
            double u1 = now(), v1 = cpu();
            FloatBuffer gb = ((OnnxTensor) r.get(g.gradientOutputs().get(g.inputName())).get()).getFloatBuffer();
            if (grads[f] == null) {
                grads[f] = new float[gb.remaining()];
            }
            gb.get(grads[f]);
            return new double[] {u1 - u0, v1 - v0};
        }
    }
}
